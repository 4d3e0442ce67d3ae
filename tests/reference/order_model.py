"""A pure-Python reference of the order state machine and order table in ``core_rs``.

It follows the rules of ``core_rs/src/order.rs`` and ``core_rs/src/order_table.rs`` one by one,
written for reading rather than speed, so tests can run the Rust core and this model side by
side and demand identical results. Quantities are in lots, prices in ticks, fees in money atoms.
Errors carry the same stable codes as ``oms_core`` exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_CLIENT_ORDER_ID_LEN = 36
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


class Status(StrEnum):
    """Order states, in wire-code order."""

    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    PENDING_REPLACE = "PENDING_REPLACE"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class EventKind(StrEnum):
    """Everything that can happen to an order, in wire-code order (the batch codes)."""

    RISK_ACCEPTED = "RISK_ACCEPTED"
    RISK_REJECTED = "RISK_REJECTED"
    VENUE_ACK = "VENUE_ACK"
    VENUE_REJECT = "VENUE_REJECT"
    FILL = "FILL"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCEL_ACKED = "CANCEL_ACKED"
    CANCEL_REJECTED = "CANCEL_REJECTED"
    REPLACE_REQUESTED = "REPLACE_REQUESTED"
    REPLACE_ACKED = "REPLACE_ACKED"
    REPLACE_REJECTED = "REPLACE_REJECTED"
    EXPIRED = "EXPIRED"
    STOP_TRIGGERED = "STOP_TRIGGERED"


class Applied(StrEnum):
    """How an event landed, in wire-code order."""

    CHANGED = "CHANGED"
    DUPLICATE = "DUPLICATE"
    LATE_FILL = "LATE_FILL"


ORDER_TYPES = ("LIMIT", "MARKET", "STOP_MARKET", "STOP_LIMIT")
TIMES_IN_FORCE = ("GTC", "IOC", "FOK", "GTX")
LIQUIDITIES = ("MAKER", "TAKER")

TERMINAL = frozenset({Status.FILLED, Status.CANCELED, Status.REJECTED, Status.EXPIRED})
WORKING = frozenset({Status.NEW, Status.PARTIALLY_FILLED})
LIVE_AFTER_ACK = WORKING | {Status.PENDING_CANCEL, Status.PENDING_REPLACE}
LATE = frozenset({Status.CANCELED, Status.EXPIRED})
# States of an untriggered stop order after the ack: the venue may trigger it while a cancel
# or an amend is on its way.
UNTRIGGERED_STOP = frozenset({Status.NEW, Status.PENDING_CANCEL, Status.PENDING_REPLACE})


class OrderRuleError(Exception):
    """A refused request or event; ``code`` matches the ``oms_core`` exception's ``code``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def _transition_error(status: Status, kind: EventKind) -> OrderRuleError:
    return OrderRuleError("INVALID_TRANSITION", f"{kind} in state {status}")


@dataclass(frozen=True)
class Event:
    """One event; the fields its kind does not use are ignored."""

    kind: EventKind
    qty: int = 0
    price: int = 0
    fee: int = 0
    reason: int = 0
    exec_id: str = ""

    @classmethod
    def from_columns(
        cls,
        kind_code: int,
        qty: int,
        price: int,
        fee: int,
        reason: int,
        liquidity: int,
        exec_id: str,
    ) -> Event:
        """Decodes one row of a batch; unknown kind or liquidity codes are INVALID_ARGUMENT."""
        kinds = list(EventKind)
        if not 0 <= kind_code < len(kinds):
            raise OrderRuleError("INVALID_ARGUMENT", f"{kind_code} is not a valid EventKind")
        kind = kinds[kind_code]
        if kind is EventKind.FILL and not 0 <= liquidity < len(LIQUIDITIES):
            raise OrderRuleError("INVALID_ARGUMENT", f"{liquidity} is not a valid Liquidity")
        return cls(kind, qty=qty, price=price, fee=fee, reason=reason, exec_id=exec_id)


def check_client_order_id(text: str) -> None:
    """1 to 36 printable ASCII characters (no space)."""
    printable = all("!" <= ch <= "~" for ch in text)
    if not text or len(text) > MAX_CLIENT_ORDER_ID_LEN or not printable:
        raise OrderRuleError("INVALID_ARGUMENT", f"bad client order id {text!r}")


@dataclass
class ReferenceOrder:
    """One order and its execution totals; changes only through :meth:`apply`."""

    order_id: int
    client_order_id: str
    account: int
    instrument: int
    side: str
    order_type: str
    time_in_force: str
    qty: int
    price: int = 0
    stop_price: int = 0
    reduce_only: bool = False
    status: Status = Status.PENDING_NEW
    risk_accepted: bool = False
    triggered: bool = False
    late_fill: bool = False
    reject_reason: int = 0
    cum_qty: int = 0
    cum_notional: int = 0
    fees: int = 0
    last_qty: int = 0
    last_price: int = 0
    seq: int = 0
    amend: tuple[int, int] = (0, 0)  # (qty, price) of the last amend requested
    exec_ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        """Checks the request's shape (not risk), as ``OrderRequest::validate`` does."""
        if self.qty <= 0:
            raise OrderRuleError("INVALID_QUANTITY", f"quantity {self.qty} lots")
        needs_price = self.order_type in ("LIMIT", "STOP_LIMIT")
        if (self.price <= 0) if needs_price else (self.price != 0):
            raise OrderRuleError("INVALID_PRICE", f"{self.order_type} price {self.price}")
        if (self.stop_price <= 0) if self.is_stop else (self.stop_price != 0):
            raise OrderRuleError("INVALID_PRICE", f"{self.order_type} stop {self.stop_price}")
        if self.order_type == "MARKET" and self.time_in_force == "GTX":
            raise OrderRuleError("INVALID_ARGUMENT", "a market order cannot be post-only")

    @property
    def is_stop(self) -> bool:
        return self.order_type in ("STOP_MARKET", "STOP_LIMIT")

    @property
    def leaves_qty(self) -> int:
        """Quantity still working: ``qty - cum_qty`` while live, 0 once terminal."""
        return 0 if self.status in TERMINAL else self.qty - self.cum_qty

    @property
    def pending_replace(self) -> tuple[int, int] | None:
        """The amend ``(qty, price)`` waiting for the venue, if any."""
        return self.amend if self.status is Status.PENDING_REPLACE else None

    def _status_from_fills(self) -> Status:
        return Status.PARTIALLY_FILLED if self.cum_qty > 0 else Status.NEW

    def apply(self, event: Event) -> Applied:
        """Applies one event: all of it, or (raising ``OrderRuleError``) none of it."""
        if event.kind is EventKind.FILL:
            return self._apply_fill(event)
        self._transition(event)
        self.seq += 1
        return Applied.CHANGED

    def _transition(self, event: Event) -> None:
        s, kind = self.status, event.kind
        fresh = s is Status.PENDING_NEW and not self.risk_accepted
        awaiting_venue = s is Status.PENDING_NEW and self.risk_accepted
        if kind is EventKind.RISK_ACCEPTED and fresh:
            self.risk_accepted = True
        elif (kind is EventKind.RISK_REJECTED and fresh) or (
            kind is EventKind.VENUE_REJECT and awaiting_venue
        ):
            self.reject_reason = event.reason
            self.status = Status.REJECTED
        elif kind is EventKind.VENUE_ACK and awaiting_venue:
            self.status = Status.NEW
        elif kind is EventKind.CANCEL_REQUESTED and s in WORKING:
            self.status = Status.PENDING_CANCEL
        elif kind is EventKind.CANCEL_ACKED and s is Status.PENDING_CANCEL:
            self.status = Status.CANCELED
        elif (kind is EventKind.CANCEL_REJECTED and s is Status.PENDING_CANCEL) or (
            kind is EventKind.REPLACE_REJECTED and s is Status.PENDING_REPLACE
        ):
            self.status = self._status_from_fills()
        elif kind is EventKind.REPLACE_REQUESTED and s in WORKING:
            self._check_amend(event.qty, event.price)
            self.amend = (event.qty, event.price)
            self.status = Status.PENDING_REPLACE
        elif kind is EventKind.REPLACE_ACKED and s is Status.PENDING_REPLACE:
            new_qty, self.price = self.amend
            # Amending down to the filled quantity (or below) completes the order.
            self.qty = max(new_qty, self.cum_qty)
            done = self.cum_qty == self.qty
            self.status = Status.FILLED if done else self._status_from_fills()
        elif kind is EventKind.EXPIRED and s in LIVE_AFTER_ACK:
            self.status = Status.EXPIRED
        elif kind is EventKind.STOP_TRIGGERED and (
            s in UNTRIGGERED_STOP and self.is_stop and not self.triggered
        ):
            self.triggered = True
        else:
            raise _transition_error(s, kind)

    def _check_amend(self, qty: int, price: int) -> None:
        if self.order_type not in ("LIMIT", "STOP_LIMIT"):
            raise OrderRuleError("INVALID_ARGUMENT", f"{self.order_type} orders cannot be amended")
        if qty <= self.cum_qty:
            raise OrderRuleError("INVALID_QUANTITY", f"new qty {qty} <= filled {self.cum_qty}")
        if price <= 0:
            raise OrderRuleError("INVALID_PRICE", f"new price {price} ticks")

    def _apply_fill(self, event: Event) -> Applied:
        if event.exec_id in self.exec_ids:
            return Applied.DUPLICATE
        s = self.status
        late = s in LATE
        # A venue may fill before its ack reaches us, once risk accepted the order.
        fillable = s in LIVE_AFTER_ACK or late or (s is Status.PENDING_NEW and self.risk_accepted)
        if not fillable or (self.is_stop and not self.triggered):
            raise _transition_error(s, event.kind)
        if event.qty <= 0:
            raise OrderRuleError("INVALID_QUANTITY", f"fill of {event.qty} lots")
        if event.price <= 0:
            raise OrderRuleError("INVALID_PRICE", f"fill at {event.price} ticks")
        if not event.exec_id:
            raise OrderRuleError("INVALID_ARGUMENT", "a fill needs an exec id")
        if event.qty > self.qty - self.cum_qty:
            raise OrderRuleError("OVERFILL", f"{event.qty} > {self.qty - self.cum_qty}")
        fees = self.fees + event.fee
        if not I64_MIN <= fees <= I64_MAX:
            raise OrderRuleError("NUMBER_OVERFLOW", f"fees of order {self.order_id} overflow")
        self.cum_qty += event.qty
        self.cum_notional += event.qty * event.price
        self.fees = fees
        self.last_qty, self.last_price = event.qty, event.price
        self.exec_ids.add(event.exec_id)
        self.seq += 1
        if late:
            self.late_fill = True
            return Applied.LATE_FILL
        if self.cum_qty == self.qty:
            self.status = Status.FILLED
        elif s not in (Status.PENDING_CANCEL, Status.PENDING_REPLACE):
            self.status = Status.PARTIALLY_FILLED
        return Applied.CHANGED


class ReferenceOrderTable:
    """Orders by id and by (account, client order id), like ``oms_core.OrderTable``."""

    def __init__(self) -> None:
        self.orders: dict[int, ReferenceOrder] = {}

    def add(self, order_id: int, client_order_id: str, account: int, **terms: Any) -> None:
        """Adds an order in PENDING_NEW; ``terms`` are the other ``ReferenceOrder`` fields."""
        check_client_order_id(client_order_id)
        if order_id in self.orders:
            raise OrderRuleError("DUPLICATE_ORDER", f"order id {order_id}")
        if self.find_by_client_id(account, client_order_id) is not None:
            raise OrderRuleError("DUPLICATE_ORDER", f"client order id {client_order_id!r}")
        self.orders[order_id] = ReferenceOrder(order_id, client_order_id, account, **terms)

    def find_by_client_id(self, account: int, client_order_id: str) -> ReferenceOrder | None:
        for order in self.orders.values():
            if order.account == account and order.client_order_id == client_order_id:
                return order
        return None

    def get(self, order_id: int) -> ReferenceOrder:
        if order_id not in self.orders:
            raise OrderRuleError("UNKNOWN_ORDER", str(order_id))
        return self.orders[order_id]

    def apply(self, order_id: int, event: Event) -> Applied:
        return self.get(order_id).apply(event)

    def evict(self, order_id: int) -> ReferenceOrder:
        """Removes a terminal order; a live one is INVALID_TRANSITION."""
        order = self.get(order_id)
        if order.status not in TERMINAL:
            raise OrderRuleError("INVALID_TRANSITION", f"EVICT in state {order.status}")
        return self.orders.pop(order_id)
