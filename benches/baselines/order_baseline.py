"""The order state machine as a reasonably fast pure-Python program, to benchmark
``oms_core.OrderTable``.

Same states, events, transitions and result codes as ``core_rs/src/order.rs`` and
``order_table.rs`` (``tests/reference/order_model.py`` is the readable version; this one is
written for speed: slotted orders, int codes, a dict per index). Statuses, event kinds and
results use the ``oms_core`` wire codes; errors are the negative codes of
``oms_core.BATCH_ERRORS`` (``-1`` INVALID_TRANSITION ... ``-6`` INVALID_ARGUMENT).
"""

from __future__ import annotations

from collections.abc import Iterable

# Statuses (OrderStatus wire codes).
PENDING_NEW, NEW, PARTIALLY_FILLED, FILLED, PENDING_CANCEL, CANCELED = 0, 1, 2, 3, 4, 5
PENDING_REPLACE, REJECTED, EXPIRED = 6, 7, 8
# Event kinds (EventKind wire codes).
RISK_ACCEPTED, RISK_REJECTED, VENUE_ACK, VENUE_REJECT, FILL = 0, 1, 2, 3, 4
CANCEL_REQUESTED, CANCEL_ACKED, CANCEL_REJECTED = 5, 6, 7
REPLACE_REQUESTED, REPLACE_ACKED, REPLACE_REJECTED, EXPIRE, STOP_TRIGGERED = 8, 9, 10, 11, 12
# Results: Applied values, or negative BATCH_ERRORS codes.
CHANGED, DUPLICATE, LATE_FILL = 0, 1, 2
INVALID_TRANSITION, OVERFILL, UNKNOWN_ORDER = -1, -2, -3
INVALID_QUANTITY, INVALID_PRICE, INVALID_ARGUMENT = -4, -5, -6

WORKING = (NEW, PARTIALLY_FILLED)
FILLABLE = (NEW, PARTIALLY_FILLED, PENDING_CANCEL, PENDING_REPLACE)
LATE = (CANCELED, EXPIRED)
EXPIRABLE = (NEW, PARTIALLY_FILLED, PENDING_CANCEL, PENDING_REPLACE)
# An untriggered stop may trigger while a cancel or an amend is on its way.
TRIGGERABLE = (NEW, PENDING_CANCEL, PENDING_REPLACE)


class Order:
    """One order; prices in ticks, sizes in lots, fees in money atoms."""

    __slots__ = (
        "account",
        "client_order_id",
        "cum_notional",
        "cum_qty",
        "exec_ids",
        "fees",
        "instrument",
        "last_price",
        "last_qty",
        "late_fill",
        "order_id",
        "order_type",
        "pending_price",
        "pending_qty",
        "price",
        "qty",
        "reduce_only",
        "reject_reason",
        "risk_accepted",
        "seq",
        "side",
        "status",
        "stop_price",
        "time_in_force",
        "triggered",
    )

    def __init__(
        self,
        order_id: int,
        client_order_id: str,
        account: int,
        instrument: int,
        side: int,
        order_type: int,
        time_in_force: int,
        qty: int,
        price: int,
        stop_price: int,
        reduce_only: bool,
    ) -> None:
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.account = account
        self.instrument = instrument
        self.side = side
        self.order_type = order_type
        self.time_in_force = time_in_force
        self.reduce_only = reduce_only
        self.status = PENDING_NEW
        self.risk_accepted = False
        self.triggered = False
        self.late_fill = False
        self.reject_reason = 0
        self.qty = qty
        self.price = price
        self.stop_price = stop_price
        self.cum_qty = 0
        self.cum_notional = 0
        self.fees = 0
        self.pending_qty = 0
        self.pending_price = 0
        self.last_qty = 0
        self.last_price = 0
        self.seq = 0
        self.exec_ids: list[str] | None = None

    def apply(self, kind: int, qty: int, price: int, fee: int, reason: int, exec_id: str) -> int:
        """Applies one event; returns an Applied code, or a negative error code (no change)."""
        if kind == FILL:
            return self.fill(exec_id, qty, price, fee)
        s = self.status
        if kind == VENUE_ACK:
            if s != PENDING_NEW or not self.risk_accepted:
                return INVALID_TRANSITION
            self.status = NEW
        elif kind == RISK_ACCEPTED:
            if s != PENDING_NEW or self.risk_accepted:
                return INVALID_TRANSITION
            self.risk_accepted = True
        elif kind in (RISK_REJECTED, VENUE_REJECT):
            if s != PENDING_NEW or self.risk_accepted != (kind == VENUE_REJECT):
                return INVALID_TRANSITION
            self.reject_reason = reason
            self.status = REJECTED
        elif kind == CANCEL_REQUESTED:
            if s != NEW and s != PARTIALLY_FILLED:
                return INVALID_TRANSITION
            self.status = PENDING_CANCEL
        elif kind == CANCEL_ACKED:
            if s != PENDING_CANCEL:
                return INVALID_TRANSITION
            self.status = CANCELED
        elif kind in (CANCEL_REJECTED, REPLACE_REJECTED):
            if s != (PENDING_CANCEL if kind == CANCEL_REJECTED else PENDING_REPLACE):
                return INVALID_TRANSITION
            self.status = PARTIALLY_FILLED if self.cum_qty > 0 else NEW
        elif kind == REPLACE_REQUESTED:
            if s != NEW and s != PARTIALLY_FILLED:
                return INVALID_TRANSITION
            if self.order_type != 0 and self.order_type != 3:
                return INVALID_ARGUMENT
            if qty <= self.cum_qty:
                return INVALID_QUANTITY
            if price <= 0:
                return INVALID_PRICE
            self.pending_qty = qty
            self.pending_price = price
            self.status = PENDING_REPLACE
        elif kind == REPLACE_ACKED:
            if s != PENDING_REPLACE:
                return INVALID_TRANSITION
            self.price = self.pending_price
            cum = self.cum_qty
            self.qty = max(self.pending_qty, cum)
            self.status = FILLED if cum == self.qty else PARTIALLY_FILLED if cum else NEW
        elif kind == EXPIRE:
            if s not in EXPIRABLE:
                return INVALID_TRANSITION
            self.status = EXPIRED
        elif kind == STOP_TRIGGERED:
            if s not in TRIGGERABLE or self.order_type < 2 or self.triggered:
                return INVALID_TRANSITION
            self.triggered = True
        else:
            return INVALID_ARGUMENT
        self.seq += 1
        return CHANGED

    def fill(self, exec_id: str, qty: int, price: int, fee: int) -> int:
        """Books one execution: DUPLICATE for a known exec id, LATE_FILL after cancel/expiry."""
        exec_ids = self.exec_ids
        if exec_ids is not None and exec_id in exec_ids:
            return DUPLICATE
        s = self.status
        late = s in (CANCELED, EXPIRED)
        if s in FILLABLE:
            pass
        elif not (late or (s == PENDING_NEW and self.risk_accepted)):
            return INVALID_TRANSITION
        if self.order_type >= 2 and not self.triggered:
            return INVALID_TRANSITION
        if qty <= 0:
            return INVALID_QUANTITY
        if price <= 0:
            return INVALID_PRICE
        if not exec_id:
            return INVALID_ARGUMENT
        cum = self.cum_qty + qty
        if cum > self.qty:
            return OVERFILL
        self.cum_qty = cum
        self.cum_notional += qty * price
        self.fees += fee
        self.last_qty = qty
        self.last_price = price
        if exec_ids is None:
            self.exec_ids = [exec_id]
        else:
            exec_ids.append(exec_id)
        self.seq += 1
        if late:
            self.late_fill = True
            return LATE_FILL
        if cum == self.qty:
            self.status = FILLED
        elif s != PENDING_CANCEL and s != PENDING_REPLACE:
            self.status = PARTIALLY_FILLED
        return CHANGED


class OrderTableBaseline:
    """Live orders by id and by (account, client order id), like ``oms_core.OrderTable``."""

    __slots__ = ("by_client_id", "by_id")

    def __init__(self) -> None:
        self.by_id: dict[int, Order] = {}
        self.by_client_id: dict[tuple[int, str], Order] = {}

    def add(
        self,
        order_id: int,
        client_order_id: str,
        account: int,
        instrument: int,
        side: int,
        order_type: int,
        time_in_force: int,
        qty: int,
        price: int = 0,
        stop_price: int = 0,
        reduce_only: bool = False,
    ) -> None:
        key = (account, client_order_id)
        if order_id in self.by_id or key in self.by_client_id:
            raise KeyError(f"duplicate order {order_id} / {client_order_id!r}")
        order = Order(
            order_id,
            client_order_id,
            account,
            instrument,
            side,
            order_type,
            time_in_force,
            qty,
            price,
            stop_price,
            reduce_only,
        )
        self.by_id[order_id] = order
        self.by_client_id[key] = order

    def venue_ack(self, order_id: int) -> int:
        """Returns the new status, like ``OrderTable.venue_ack`` (errors as negative codes)."""
        order = self.by_id.get(order_id)
        if order is None:
            return UNKNOWN_ORDER
        code = order.apply(VENUE_ACK, 0, 0, 0, 0, "")
        return code if code < 0 else order.status

    def fill(self, order_id: int, exec_id: str, qty: int, price: int, fee: int = 0) -> int:
        order = self.by_id.get(order_id)
        return UNKNOWN_ORDER if order is None else order.fill(exec_id, qty, price, fee)

    def apply_batch(self, events: Iterable[tuple[int, int, int, int, int, int, str]]) -> list[int]:
        """``(order_id, kind, qty, price, fee, reason, exec_id)`` rows, in order; one code each."""
        get = self.by_id.get
        out = []
        append = out.append
        for order_id, kind, qty, price, fee, reason, exec_id in events:
            order = get(order_id)
            if kind > STOP_TRIGGERED:  # an unknown kind code fails before the lookup
                append(INVALID_ARGUMENT)
            elif order is None:
                append(UNKNOWN_ORDER)
            elif kind == FILL:
                append(order.fill(exec_id, qty, price, fee))
            else:
                append(order.apply(kind, qty, price, fee, reason, exec_id))
        return out

    def __len__(self) -> int:
        return len(self.by_id)
