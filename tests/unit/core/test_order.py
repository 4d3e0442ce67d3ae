"""The order state machine and order table (``core_rs/src/order.rs``, ``order_table.rs``).

Random event streams run against ``oms_core.OrderTable`` and the pure-Python reference in
``tests/reference/order_model.py`` must agree after every step; the targeted tests below pin
each rule by name.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import oms_core
from oms_core import Applied, Liquidity, OrderStatus, OrderTable, OrderType, Side, TimeInForce
from tests.reference.order_model import (
    ORDER_TYPES,
    TIMES_IN_FORCE,
    Event,
    EventKind,
    OrderRuleError,
    ReferenceOrder,
    ReferenceOrderTable,
)
from tests.reference.order_model import Applied as ModelApplied

# --- shared helpers -------------------------------------------------------------------------

VIEW_FIELDS = (
    "order_id",
    "client_order_id",
    "account",
    "instrument",
    "side",
    "order_type",
    "time_in_force",
    "reduce_only",
    "status",
    "risk_accepted",
    "triggered",
    "late_fill",
    "reject_reason",
    "qty",
    "price",
    "stop_price",
    "cum_qty",
    "leaves_qty",
    "cum_notional",
    "fees",
    "last_qty",
    "last_price",
    "seq",
    "pending_replace",
)
BATCH_ERRORS = list(oms_core.BATCH_ERRORS)
KIND_CODES = {kind: code for code, kind in enumerate(EventKind)}


def plain(value: object) -> object:
    """`value` with enums (core or reference) replaced by their wire names."""
    return value if isinstance(value, int | tuple | dict | None) else str(value)


def snapshot(order: oms_core.OrderView | ReferenceOrder) -> dict[str, object]:
    """The comparable fields of a view or a reference order."""
    return {name: plain(getattr(order, name)) for name in VIEW_FIELDS}


def outcome(action: Callable[[], object]) -> tuple[str, object]:
    """``("ok", result)`` or ``("error", code)`` for the core and the reference alike."""
    try:
        result = action()
    except (oms_core.OmsError, OrderRuleError) as error:
        return ("error", error.code)
    return ("ok", plain(result))


def add_to_table(table: OrderTable, request: dict[str, Any]) -> None:
    """``OrderTable.add`` with a request whose enums are given by wire name."""
    table.add(
        **{
            **request,
            "side": getattr(Side, request["side"]),
            "order_type": getattr(OrderType, request["order_type"]),
            "time_in_force": getattr(TimeInForce, request["time_in_force"]),
        }
    )


def apply_by_call(table: OrderTable, order_id: int, event: Event) -> object:
    """Applies `event` through its per-call method: the new status, or `Applied` for a fill."""
    k = EventKind
    if event.kind is k.FILL:
        return table.fill(order_id, event.exec_id, event.qty, event.price, event.fee)
    calls: dict[EventKind, Callable[[], OrderStatus]] = {
        k.RISK_ACCEPTED: lambda: table.risk_accept(order_id),
        k.RISK_REJECTED: lambda: table.risk_reject(order_id, event.reason),
        k.VENUE_ACK: lambda: table.venue_ack(order_id),
        k.VENUE_REJECT: lambda: table.venue_reject(order_id, event.reason),
        k.CANCEL_REQUESTED: lambda: table.cancel_request(order_id),
        k.CANCEL_ACKED: lambda: table.cancel_ack(order_id),
        k.CANCEL_REJECTED: lambda: table.cancel_reject(order_id),
        k.REPLACE_REQUESTED: lambda: table.replace_request(order_id, event.qty, event.price),
        k.REPLACE_ACKED: lambda: table.replace_ack(order_id),
        k.REPLACE_REJECTED: lambda: table.replace_reject(order_id),
        k.EXPIRED: lambda: table.expire(order_id),
        k.STOP_TRIGGERED: lambda: table.trigger_stop(order_id),
    }
    return calls[event.kind]()


def apply_to_model(model: ReferenceOrderTable, order_id: int, event: Event) -> object:
    """The reference's answer in the per-call form: `Applied` for a fill, else the status."""
    applied = model.apply(order_id, event)
    return applied if event.kind is EventKind.FILL else model.orders[order_id].status


class BatchRow(NamedTuple):
    """One row of the columnar batch form."""

    order_id: int
    kind: int
    qty: int = 0
    price: int = 0
    fee: int = 0
    reason: int = 0
    liquidity: int = 1  # TAKER, as the per-call fill defaults to
    exec_id: str | None = None

    @classmethod
    def of(cls, order_id: int, event: Event) -> BatchRow:
        return cls(
            order_id,
            KIND_CODES[event.kind],
            event.qty,
            event.price,
            event.fee,
            event.reason,
            exec_id=event.exec_id,
        )


def run_batch(table: OrderTable, rows: list[BatchRow]) -> list[int]:
    """``OrderTable.apply_batch`` over `rows`, as a list of result codes."""

    def column(name: str, dtype: type[np.generic]) -> np.ndarray:
        return np.array([getattr(row, name) for row in rows], dtype=dtype)

    codes = table.apply_batch(
        column("order_id", np.uint64),
        column("kind", np.uint8),
        column("qty", np.int64),
        column("price", np.int64),
        column("fee", np.int64),
        [row.exec_id for row in rows],
        reasons=column("reason", np.uint16),
        liquidity=column("liquidity", np.uint8),
    )
    assert codes.dtype == np.int8
    return codes.tolist()


def batch_code(result: tuple[str, object]) -> int:
    """The batch code of an outcome: an `Applied` value, or ``-k`` for ``BATCH_ERRORS[k-1]``."""
    kind, value = result
    if kind == "ok":
        return list(ModelApplied).index(ModelApplied(value))
    known = value if value in BATCH_ERRORS else "OMS_ERROR"
    return -(BATCH_ERRORS.index(known) + 1)


def model_batch_code(model: ReferenceOrderTable, row: BatchRow) -> int:
    """What the reference says `apply_batch` should answer for `row`."""

    def apply_row() -> ModelApplied:
        event = Event.from_columns(
            row.kind, row.qty, row.price, row.fee, row.reason, row.liquidity, row.exec_id or ""
        )
        return model.apply(row.order_id, event)

    return batch_code(outcome(apply_row))


# --- strategies ---------------------------------------------------------------------------


# Strategies are built once and cached: building and validating them per draw would cost
# more than running the core and the reference.


@functools.cache
def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` about four times in five, else `bad`."""
    # Not one_of(good, good, ...): one_of drops repeated strategies, so it cannot weight.
    return st.sampled_from([good, good, good, good, bad]).flatmap(lambda chosen: chosen)


ORDER_IDS = st.integers(0, 11)
EXEC_IDS = mostly(st.sampled_from([f"e{i}" for i in range(12)]), st.just(""))
CLIENT_IDS = mostly(
    st.sampled_from([*(f"c{i}" for i in range(16)), "x" * 36]),
    st.sampled_from(["", "x" * 37, "has space", "tab\there", "é"]),
)
LOTS = mostly(st.integers(1, 8), st.integers(-1, 0))
TICKS = mostly(st.integers(1, 600), st.integers(-1, 0))
FEES = mostly(st.integers(-3, 5), st.sampled_from([2**63 - 1, -(2**63)]))  # maker rebates < 0


@st.composite
def order_requests(
    draw: st.DrawFn,
    order_ids: st.SearchStrategy[int] = ORDER_IDS,
    client_ids: st.SearchStrategy[str] = CLIENT_IDS,
) -> dict[str, Any]:
    """Mostly well-formed order requests; some have a bad size, price, stop or client id."""
    order_type = draw(st.sampled_from(ORDER_TYPES))
    price = draw(TICKS) if order_type in ("LIMIT", "STOP_LIMIT") else 0
    stop_price = draw(TICKS) if order_type.startswith("STOP") else 0
    if draw(mostly(st.just(False), st.just(True))):
        price, stop_price = draw(st.integers(-1, 600)), draw(st.integers(-1, 600))
    return {
        "order_id": draw(order_ids),
        "client_order_id": draw(client_ids),
        "account": draw(st.integers(1, 2)),
        "instrument": draw(st.integers(0, 4)),
        "side": draw(st.sampled_from(("BUY", "SELL"))),
        "order_type": order_type,
        "time_in_force": draw(st.sampled_from(TIMES_IN_FORCE)),
        "qty": draw(mostly(st.integers(1, 12), st.integers(-1, 0))),
        "price": price,
        "stop_price": stop_price,
        "reduce_only": draw(st.booleans()),
    }


# How often each kind is drawn: an order's life (risk, ack, fills, amends) is common and its
# early ends (rejects, expiry) are rare, so streams reach deep states before orders end.
EVENT_WEIGHTS = {
    EventKind.RISK_ACCEPTED: 4,
    EventKind.RISK_REJECTED: 1,
    EventKind.VENUE_ACK: 4,
    EventKind.VENUE_REJECT: 1,
    EventKind.FILL: 10,
    EventKind.CANCEL_REQUESTED: 2,
    EventKind.CANCEL_ACKED: 2,
    EventKind.CANCEL_REJECTED: 2,
    EventKind.REPLACE_REQUESTED: 3,
    EventKind.REPLACE_ACKED: 2,
    EventKind.REPLACE_REJECTED: 2,
    EventKind.EXPIRED: 1,
    EventKind.STOP_TRIGGERED: 3,
}


@functools.cache
def event_of_kind(kind: EventKind) -> st.SearchStrategy[Event]:
    """Events of one kind, with good and (sometimes) bad arguments."""
    if kind is EventKind.FILL:
        return st.builds(Event, st.just(kind), qty=LOTS, price=TICKS, fee=FEES, exec_id=EXEC_IDS)
    if kind is EventKind.REPLACE_REQUESTED:
        return st.builds(Event, st.just(kind), qty=st.integers(-1, 15), price=TICKS)
    if kind in (EventKind.RISK_REJECTED, EventKind.VENUE_REJECT):
        return st.builds(Event, st.just(kind), reason=st.integers(0, 2**16 - 1))
    return st.just(Event(kind))


@functools.cache
def events(kinds: tuple[EventKind, ...] = tuple(EventKind)) -> st.SearchStrategy[Event]:
    """Events of `kinds` (default: all), each kind drawn as often as `EVENT_WEIGHTS` says."""
    weighted = [kind for kind in kinds for _ in range(EVENT_WEIGHTS[kind])]
    return st.sampled_from(weighted).flatmap(event_of_kind)


def allowed_kinds(order: ReferenceOrder) -> tuple[EventKind, ...]:
    """The kinds the order's state allows now, asked of a copy of the reference order."""
    allowed = []
    for kind in EventKind:
        probe = copy.copy(order)
        probe.exec_ids = set(order.exec_ids)
        try:
            probe.apply(Event(kind, qty=1, price=1, exec_id="probe"))
        except OrderRuleError as error:
            if error.code == "INVALID_TRANSITION":
                continue
        allowed.append(kind)
    return tuple(allowed)


@functools.lru_cache(maxsize=1024)
def one_of_ids(order_ids: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.sampled_from(order_ids)


@functools.lru_cache(maxsize=1024)
def batch_rows(order_ids: st.SearchStrategy[int]) -> st.SearchStrategy[BatchRow]:
    """Rows from real events, plus rows with unknown kind or liquidity codes or no exec id."""
    from_events = st.builds(BatchRow.of, order_ids, events())
    raw = st.builds(
        BatchRow,
        order_ids,
        st.integers(0, 14),
        qty=LOTS,
        price=TICKS,
        fee=FEES,
        reason=st.integers(0, 9),
        liquidity=st.integers(0, 2),
        exec_id=st.one_of(st.none(), EXEC_IDS),
    )
    return st.one_of(from_events, from_events, from_events, raw)


# --- (a) the core agrees with the reference on long random streams -------------------------


class OrderTableMatchesReference(RuleBasedStateMachine):
    """Adds, events (per call and in batches) and evictions on many orders at once.

    After every event the touched order must match the reference (untouched orders cannot
    have changed); at the end of each run every order is compared.
    """

    MAX_ORDERS = 40

    def __init__(self) -> None:
        super().__init__()
        self.table = OrderTable()
        self.model = ReferenceOrderTable()
        self.fresh_id = 100  # above ORDER_IDS, so fresh ids are free

    def assert_same_order(self, order_id: int) -> None:
        order, view = self.model.orders.get(order_id), self.table.get(order_id)
        if order is None:
            assert view is None
            return
        assert view is not None
        assert snapshot(view) == snapshot(order)
        found = self.table.get_by_client_id(order.account, order.client_order_id)
        assert found is not None
        assert found.order_id == order_id

    def order_ids(self) -> st.SearchStrategy[int]:
        """Mostly ids of orders in the table, sometimes any id (maybe unknown)."""
        if not self.model.orders:
            return ORDER_IDS
        return mostly(one_of_ids(tuple(sorted(self.model.orders))), ORDER_IDS)

    def next_events(self, order_id: int) -> st.SearchStrategy[Event]:
        """Mostly events the order's state allows, so streams go deep; else any event."""
        order = self.model.orders.get(order_id)
        kinds = allowed_kinds(order) if order is not None else ()
        return mostly(events(kinds), events()) if kinds else events()

    @initialize()
    def add_one_order_of_each_type_per_account(self) -> None:
        """Orders to act on from the first step, even in runs that never add one."""
        for account in (1, 2):
            for order_type in ORDER_TYPES:
                self.fresh_id += 1
                price = 500 if order_type in ("LIMIT", "STOP_LIMIT") else 0
                stop_price = 450 if order_type.startswith("STOP") else 0
                request = {
                    "order_id": self.fresh_id,
                    "client_order_id": f"n{self.fresh_id}",
                    "account": account,
                    "instrument": 0,
                    "side": "BUY",
                    "order_type": order_type,
                    "time_in_force": "GTC",
                    "qty": 10,
                    "price": price,
                    "stop_price": stop_price,
                }
                self.model.add(**request)
                add_to_table(self.table, request)

    @precondition(lambda self: len(self.model.orders) < self.MAX_ORDERS)
    @rule(data=st.data())
    def add_order(self, data: st.DataObject) -> None:
        """Mostly a fresh order id and client id, sometimes ones that may be taken."""
        self.fresh_id += 1
        order_ids = mostly(st.just(self.fresh_id), ORDER_IDS)
        client_ids = mostly(st.just(f"n{self.fresh_id}"), CLIENT_IDS)
        request = data.draw(order_requests(order_ids, client_ids))
        expected = outcome(lambda: self.model.add(**request))
        assert outcome(lambda: add_to_table(self.table, request)) == expected
        self.assert_same_order(request["order_id"])

    def apply_event(self, order_id: int, event: Event) -> None:
        expected = outcome(lambda: apply_to_model(self.model, order_id, event))
        assert outcome(lambda: apply_by_call(self.table, order_id, event)) == expected
        self.assert_same_order(order_id)

    @rule(data=st.data())
    def apply_events_one_by_one(self, data: st.DataObject) -> None:
        for _ in range(data.draw(st.integers(1, 8))):
            order_id = data.draw(self.order_ids())
            self.apply_event(order_id, data.draw(self.next_events(order_id)))

    @rule(data=st.data())
    def apply_batch(self, data: st.DataObject) -> None:
        rows = data.draw(st.lists(batch_rows(self.order_ids()), max_size=12))
        expected = [model_batch_code(self.model, row) for row in rows]
        assert run_batch(self.table, rows) == expected
        for order_id in {row.order_id for row in rows}:
            self.assert_same_order(order_id)

    @rule(data=st.data())
    def evict(self, data: st.DataObject) -> None:
        order_id = data.draw(self.order_ids())
        order = self.model.orders.get(order_id)
        expected = outcome(lambda: snapshot(self.model.evict(order_id)))
        assert outcome(lambda: snapshot(self.table.evict(order_id))) == expected
        self.assert_same_order(order_id)
        if order is not None and order_id not in self.model.orders:
            assert self.table.get_by_client_id(order.account, order.client_order_id) is None

    @invariant()
    def table_holds_as_many_orders_as_the_reference(self) -> None:
        assert len(self.table) == len(self.model.orders)

    def teardown(self) -> None:
        for order_id in self.model.orders:
            self.assert_same_order(order_id)


OrderTableMatchesReference.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=300,
    deadline=None,
    # Long streams are the point here, so the smallest example is large on purpose.
    suppress_health_check=[HealthCheck.large_base_example],
)
TestOrderTableMatchesReferenceOnRandomStreams = OrderTableMatchesReference.TestCase


# --- (b) the rules, one by one --------------------------------------------------------------

ORDER_ID = 1
PRICES = {
    OrderType.LIMIT: (500, 0),
    OrderType.MARKET: (0, 0),
    OrderType.STOP_MARKET: (0, 450),
    OrderType.STOP_LIMIT: (440, 450),
}


def fresh_order(order_type: OrderType = OrderType.LIMIT, qty: int = 10) -> OrderTable:
    """A table holding order 1 in PENDING_NEW."""
    price, stop_price = PRICES[order_type]
    table = OrderTable()
    table.add(ORDER_ID, "c-1", 7, 0, Side.BUY, order_type, TimeInForce.GTC, qty, price, stop_price)
    return table


def working_order(order_type: OrderType = OrderType.LIMIT, qty: int = 10) -> OrderTable:
    """A table holding order 1 accepted by risk and acknowledged by the venue (NEW)."""
    table = fresh_order(order_type, qty)
    table.risk_accept(ORDER_ID)
    table.venue_ack(ORDER_ID)
    return table


def view(table: OrderTable) -> oms_core.OrderView:
    order = table.get(ORDER_ID)
    assert order is not None
    return order


def test_a_new_order_is_pending_new_at_seq_zero_with_everything_left() -> None:
    order = view(fresh_order())
    assert (order.status, order.seq, order.cum_qty, order.leaves_qty) == (
        OrderStatus.PENDING_NEW,
        0,
        0,
        10,
    )
    assert (order.risk_accepted, order.triggered, order.late_fill) == (False, False, False)
    assert order.pending_replace is None
    assert order.cum_notional == order.fees == order.last_qty == order.last_price == 0


def test_happy_path_reaches_filled_with_exact_totals() -> None:
    table = working_order()
    assert table.fill(ORDER_ID, "e1", 4, 500, 3, Liquidity.MAKER) == Applied.CHANGED
    assert table.status(ORDER_ID) == OrderStatus.PARTIALLY_FILLED
    assert table.fill(ORDER_ID, "e2", 6, 499, 5) == Applied.CHANGED
    order = view(table)
    assert (order.status, order.cum_qty, order.leaves_qty) == (OrderStatus.FILLED, 10, 0)
    assert (order.cum_notional, order.fees, order.seq) == (4 * 500 + 6 * 499, 8, 4)
    assert (order.last_qty, order.last_price) == (6, 499)


def test_each_per_call_method_returns_the_new_status() -> None:
    table = fresh_order()
    assert table.risk_accept(ORDER_ID) == OrderStatus.PENDING_NEW
    assert table.venue_ack(ORDER_ID) == OrderStatus.NEW
    assert table.cancel_request(ORDER_ID) == OrderStatus.PENDING_CANCEL
    assert table.cancel_ack(ORDER_ID) == OrderStatus.CANCELED


def test_every_applied_event_bumps_seq_by_one() -> None:
    table = fresh_order()
    steps = [
        lambda: table.risk_accept(ORDER_ID),
        lambda: table.venue_ack(ORDER_ID),
        lambda: table.fill(ORDER_ID, "e1", 2, 500),
        lambda: table.replace_request(ORDER_ID, 12, 505),
        lambda: table.replace_ack(ORDER_ID),
        lambda: table.cancel_request(ORDER_ID),
        lambda: table.cancel_reject(ORDER_ID),
        lambda: table.expire(ORDER_ID),
        lambda: table.fill(ORDER_ID, "e2", 1, 500),
    ]
    for expected_seq, step in enumerate(steps, start=1):
        step()
        assert view(table).seq == expected_seq


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(lambda t: t.venue_ack(ORDER_ID), id="venue_ack"),
        pytest.param(lambda t: t.venue_reject(ORDER_ID, 1), id="venue_reject"),
        pytest.param(lambda t: t.cancel_request(ORDER_ID), id="cancel_request"),
        pytest.param(lambda t: t.cancel_ack(ORDER_ID), id="cancel_ack"),
        pytest.param(lambda t: t.cancel_reject(ORDER_ID), id="cancel_reject"),
        pytest.param(lambda t: t.replace_request(ORDER_ID, 20, 500), id="replace_request"),
        pytest.param(lambda t: t.replace_ack(ORDER_ID), id="replace_ack"),
        pytest.param(lambda t: t.replace_reject(ORDER_ID), id="replace_reject"),
        pytest.param(lambda t: t.expire(ORDER_ID), id="expire"),
        pytest.param(lambda t: t.trigger_stop(ORDER_ID), id="trigger_stop"),
        pytest.param(lambda t: t.fill(ORDER_ID, "e1", 1, 500), id="fill"),
    ],
)
def test_events_before_risk_acceptance_are_invalid_transitions_that_change_nothing(
    event: Callable[[OrderTable], object],
) -> None:
    table = fresh_order()
    before = snapshot(view(table))
    with pytest.raises(oms_core.InvalidTransition) as raised:
        event(table)
    assert raised.value.code == "INVALID_TRANSITION"
    assert snapshot(view(table)) == before


def test_risk_reject_is_terminal_with_its_reason_and_no_leaves() -> None:
    table = fresh_order()
    assert table.risk_reject(ORDER_ID, 42) == OrderStatus.REJECTED
    order = view(table)
    assert (order.reject_reason, order.leaves_qty, order.seq) == (42, 0, 1)
    for event in (table.venue_ack, table.cancel_request, table.expire, table.risk_accept):
        with pytest.raises(oms_core.InvalidTransition):
            event(ORDER_ID)


def test_risk_decides_only_once() -> None:
    table = fresh_order()
    table.risk_accept(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.risk_accept(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.risk_reject(ORDER_ID, 1)


def test_venue_reject_after_risk_acceptance_is_terminal_with_its_reason() -> None:
    table = fresh_order()
    table.risk_accept(ORDER_ID)
    assert table.venue_reject(ORDER_ID, 9) == OrderStatus.REJECTED
    assert view(table).reject_reason == 9


def test_venue_reject_after_venue_ack_is_refused() -> None:
    table = working_order()
    with pytest.raises(oms_core.InvalidTransition):
        table.venue_reject(ORDER_ID, 9)


def test_fill_before_venue_ack_is_booked_once_risk_accepted() -> None:
    table = fresh_order()
    table.risk_accept(ORDER_ID)
    assert table.fill(ORDER_ID, "e1", 3, 500) == Applied.CHANGED
    assert (view(table).status, view(table).cum_qty) == (OrderStatus.PARTIALLY_FILLED, 3)


def test_fill_before_venue_ack_can_complete_the_order() -> None:
    table = fresh_order()
    table.risk_accept(ORDER_ID)
    table.fill(ORDER_ID, "e1", 10, 500)
    assert table.status(ORDER_ID) == OrderStatus.FILLED


@pytest.mark.parametrize("start_filled", [0, 3])
def test_cancel_reject_restores_previous_state(start_filled: int) -> None:
    table = working_order()
    if start_filled:
        table.fill(ORDER_ID, "e1", start_filled, 500)
    previous = table.status(ORDER_ID)
    assert table.cancel_request(ORDER_ID) == OrderStatus.PENDING_CANCEL
    assert table.cancel_reject(ORDER_ID) == previous


def test_cancel_reject_after_a_fill_while_pending_returns_to_partially_filled() -> None:
    table = working_order()
    table.cancel_request(ORDER_ID)
    table.fill(ORDER_ID, "e1", 4, 500)
    assert table.status(ORDER_ID) == OrderStatus.PENDING_CANCEL
    assert table.cancel_reject(ORDER_ID) == OrderStatus.PARTIALLY_FILLED


def test_fill_during_pending_cancel_keeps_pending_until_filled() -> None:
    table = working_order()
    table.cancel_request(ORDER_ID)
    table.fill(ORDER_ID, "e1", 4, 500)
    assert view(table).leaves_qty == 6
    table.fill(ORDER_ID, "e2", 6, 500)
    assert table.status(ORDER_ID) == OrderStatus.FILLED
    with pytest.raises(oms_core.InvalidTransition):
        table.cancel_ack(ORDER_ID)


def test_cancel_is_refused_while_a_cancel_or_replace_is_pending() -> None:
    table = working_order()
    table.cancel_request(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.cancel_request(ORDER_ID)
    table.cancel_reject(ORDER_ID)
    table.replace_request(ORDER_ID, 12, 500)
    with pytest.raises(oms_core.InvalidTransition):
        table.cancel_request(ORDER_ID)


def test_replace_reject_restores_terms_and_state() -> None:
    table = working_order()
    assert table.replace_request(ORDER_ID, 20, 510) == OrderStatus.PENDING_REPLACE
    assert view(table).pending_replace == (20, 510)
    assert table.replace_reject(ORDER_ID) == OrderStatus.NEW
    order = view(table)
    assert (order.qty, order.price, order.leaves_qty, order.pending_replace) == (10, 500, 10, None)


def test_replace_ack_applies_the_new_quantity_and_price() -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 3, 500)
    table.replace_request(ORDER_ID, 20, 510)
    assert table.replace_ack(ORDER_ID) == OrderStatus.PARTIALLY_FILLED
    order = view(table)
    assert (order.qty, order.price, order.leaves_qty, order.pending_replace) == (20, 510, 17, None)


def test_fill_during_pending_replace_reaching_the_new_quantity_completes_on_ack() -> None:
    table = working_order()
    table.replace_request(ORDER_ID, 6, 500)
    table.fill(ORDER_ID, "e1", 7, 500)
    assert table.status(ORDER_ID) == OrderStatus.PENDING_REPLACE
    assert table.replace_ack(ORDER_ID) == OrderStatus.FILLED
    order = view(table)
    assert (order.qty, order.cum_qty, order.leaves_qty) == (7, 7, 0)


def test_fill_during_pending_replace_up_to_the_old_quantity_fills_the_order() -> None:
    table = working_order()
    table.replace_request(ORDER_ID, 20, 500)
    table.fill(ORDER_ID, "e1", 10, 500)
    assert (table.status(ORDER_ID), view(table).pending_replace) == (OrderStatus.FILLED, None)
    with pytest.raises(oms_core.InvalidTransition):
        table.replace_ack(ORDER_ID)


@pytest.mark.parametrize("new_qty", [5, 4, 0, -1])
def test_replace_to_at_most_the_filled_quantity_is_refused(new_qty: int) -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 5, 500)
    with pytest.raises(oms_core.InvalidQuantity):
        table.replace_request(ORDER_ID, new_qty, 500)
    assert table.status(ORDER_ID) == OrderStatus.PARTIALLY_FILLED


@pytest.mark.parametrize("new_price", [0, -5])
def test_replace_to_a_non_positive_price_is_refused(new_price: int) -> None:
    table = working_order()
    with pytest.raises(oms_core.InvalidPrice):
        table.replace_request(ORDER_ID, 20, new_price)
    assert (table.status(ORDER_ID), view(table).seq) == (OrderStatus.NEW, 2)


@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.STOP_MARKET])
def test_orders_without_a_limit_price_cannot_be_amended(order_type: OrderType) -> None:
    table = working_order(order_type)
    with pytest.raises(oms_core.InvalidArgument):
        table.replace_request(ORDER_ID, 20, 1)


def test_stop_limit_orders_can_be_amended_before_the_trigger() -> None:
    table = working_order(OrderType.STOP_LIMIT)
    table.replace_request(ORDER_ID, 20, 445)
    table.replace_ack(ORDER_ID)
    order = view(table)
    assert (order.qty, order.price, order.stop_price, order.triggered) == (20, 445, 450, False)


def test_replace_is_refused_before_venue_ack() -> None:
    table = fresh_order()
    table.risk_accept(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.replace_request(ORDER_ID, 20, 500)


@pytest.mark.parametrize("end", ["cancel", "expire"])
def test_late_fill_after_cancel_or_expiry_is_booked_and_flagged(end: str) -> None:
    table = working_order()
    if end == "cancel":
        table.cancel_request(ORDER_ID)
        table.cancel_ack(ORDER_ID)
    else:
        table.expire(ORDER_ID)
    final, seq = table.status(ORDER_ID), view(table).seq
    assert table.fill(ORDER_ID, "e9", 3, 501, 2) == Applied.LATE_FILL
    order = view(table)
    assert (order.status, order.late_fill, order.cum_qty, order.leaves_qty) == (final, True, 3, 0)
    assert (order.cum_notional, order.fees, order.seq) == (3 * 501, 2, seq + 1)


def test_late_fill_cannot_exceed_the_remainder_of_the_order() -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 4, 500)
    table.expire(ORDER_ID)
    before = snapshot(view(table))
    with pytest.raises(oms_core.Overfill):
        table.fill(ORDER_ID, "e2", 7, 500)
    assert snapshot(view(table)) == before
    assert table.fill(ORDER_ID, "e2", 6, 500) == Applied.LATE_FILL
    assert table.status(ORDER_ID) == OrderStatus.EXPIRED


@pytest.mark.parametrize("end", ["filled", "rejected"])
def test_fill_after_filled_or_rejected_is_refused(end: str) -> None:
    table = fresh_order()
    if end == "filled":
        table.risk_accept(ORDER_ID)
        table.fill(ORDER_ID, "e1", 10, 500)
    else:
        table.risk_reject(ORDER_ID, 1)
    with pytest.raises(oms_core.InvalidTransition):
        table.fill(ORDER_ID, "e2", 1, 500)


def test_repeated_exec_id_is_a_duplicate_and_changes_nothing() -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 2, 500)
    before = snapshot(view(table))
    assert table.fill(ORDER_ID, "e1", 2, 500) == Applied.DUPLICATE
    assert table.fill(ORDER_ID, "e1", 99, -1, 5) == Applied.DUPLICATE
    assert snapshot(view(table)) == before


def test_repeated_exec_id_is_a_duplicate_even_after_the_order_is_done() -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 10, 500)
    assert table.fill(ORDER_ID, "e1", 10, 500) == Applied.DUPLICATE


def test_exec_ids_are_per_order() -> None:
    table = working_order()
    table.add(2, "c-2", 7, 0, Side.SELL, OrderType.LIMIT, TimeInForce.GTC, 5, 500)
    table.risk_accept(2)
    table.fill(ORDER_ID, "e1", 1, 500)
    assert table.fill(2, "e1", 1, 500) == Applied.CHANGED


def test_overfill_raises_and_changes_nothing() -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 4, 500)
    before = snapshot(view(table))
    with pytest.raises(oms_core.Overfill) as raised:
        table.fill(ORDER_ID, "e2", 7, 500)
    assert raised.value.code == "OVERFILL"
    assert snapshot(view(table)) == before
    assert table.fill(ORDER_ID, "e2", 6, 500) == Applied.CHANGED


@pytest.mark.parametrize(
    ("qty", "price", "exec_id", "error"),
    [
        (0, 500, "e1", oms_core.InvalidQuantity),
        (-1, 500, "e1", oms_core.InvalidQuantity),
        (1, 0, "e1", oms_core.InvalidPrice),
        (1, -500, "e1", oms_core.InvalidPrice),
        (1, 500, "", oms_core.InvalidArgument),
    ],
)
def test_malformed_fills_are_refused_and_change_nothing(
    qty: int, price: int, exec_id: str, error: type[oms_core.OmsError]
) -> None:
    table = working_order()
    before = snapshot(view(table))
    with pytest.raises(error):
        table.fill(ORDER_ID, exec_id, qty, price)
    assert snapshot(view(table)) == before


def test_refused_fill_does_not_burn_its_exec_id() -> None:
    table = working_order()
    with pytest.raises(oms_core.Overfill):
        table.fill(ORDER_ID, "e1", 11, 500)
    assert table.fill(ORDER_ID, "e1", 1, 500) == Applied.CHANGED


def test_maker_rebates_lower_the_fee_total() -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 1, 500, 10, Liquidity.TAKER)
    table.fill(ORDER_ID, "e2", 1, 500, -4, Liquidity.MAKER)
    assert view(table).fees == 6


@pytest.mark.parametrize("order_type", [OrderType.STOP_MARKET, OrderType.STOP_LIMIT])
def test_stop_orders_fill_only_after_the_trigger(order_type: OrderType) -> None:
    table = working_order(order_type)
    with pytest.raises(oms_core.InvalidTransition):
        table.fill(ORDER_ID, "e1", 1, 450)
    assert table.trigger_stop(ORDER_ID) == OrderStatus.NEW
    assert view(table).triggered
    assert table.fill(ORDER_ID, "e1", 10, 450) == Applied.CHANGED
    assert table.status(ORDER_ID) == OrderStatus.FILLED


def test_stop_trigger_fires_once() -> None:
    table = working_order(OrderType.STOP_MARKET)
    table.trigger_stop(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.trigger_stop(ORDER_ID)


@pytest.mark.parametrize("order_type", [OrderType.LIMIT, OrderType.MARKET])
def test_only_stop_orders_can_be_triggered(order_type: OrderType) -> None:
    with pytest.raises(oms_core.InvalidTransition):
        working_order(order_type).trigger_stop(ORDER_ID)


def test_stop_trigger_needs_the_venue_ack() -> None:
    table = fresh_order(OrderType.STOP_MARKET)
    table.risk_accept(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.trigger_stop(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.fill(ORDER_ID, "e1", 1, 450)


@pytest.mark.parametrize(
    ("pending", "resolve", "after"),
    [
        ("cancel", "cancel_reject", OrderStatus.NEW),
        ("cancel", "cancel_ack", OrderStatus.CANCELED),
        ("replace", "replace_reject", OrderStatus.NEW),
        ("replace", "replace_ack", OrderStatus.NEW),
    ],
)
def test_stop_trigger_is_accepted_while_a_cancel_or_replace_is_pending(
    pending: str, resolve: str, after: OrderStatus
) -> None:
    table = working_order(OrderType.STOP_LIMIT)
    if pending == "cancel":
        table.cancel_request(ORDER_ID)
    else:
        table.replace_request(ORDER_ID, 20, 445)
    status = table.status(ORDER_ID)
    assert table.trigger_stop(ORDER_ID) == status
    assert view(table).triggered
    with pytest.raises(oms_core.InvalidTransition):
        table.trigger_stop(ORDER_ID)
    assert getattr(table, resolve)(ORDER_ID) == after
    assert view(table).triggered


def test_a_stop_triggered_while_a_replace_is_pending_fills_before_the_ack() -> None:
    table = working_order(OrderType.STOP_LIMIT)
    table.replace_request(ORDER_ID, 20, 445)
    table.trigger_stop(ORDER_ID)
    assert table.fill(ORDER_ID, "e1", 3, 440) == Applied.CHANGED
    assert table.status(ORDER_ID) == OrderStatus.PENDING_REPLACE
    assert table.replace_ack(ORDER_ID) == OrderStatus.PARTIALLY_FILLED
    assert (view(table).cum_qty, view(table).leaves_qty) == (3, 17)


@pytest.mark.parametrize("pending", [None, "cancel", "replace"])
def test_expiry_of_a_working_order_is_terminal_with_no_leaves(pending: str | None) -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 4, 500)
    if pending == "cancel":
        table.cancel_request(ORDER_ID)
    elif pending == "replace":
        table.replace_request(ORDER_ID, 20, 500)
    assert table.expire(ORDER_ID) == OrderStatus.EXPIRED
    order = view(table)
    assert (order.cum_qty, order.leaves_qty, order.pending_replace) == (4, 0, None)


def test_expiry_before_the_venue_ack_is_refused() -> None:
    table = fresh_order()
    table.risk_accept(ORDER_ID)
    with pytest.raises(oms_core.InvalidTransition):
        table.expire(ORDER_ID)


def test_order_view_is_a_snapshot_that_later_events_do_not_change() -> None:
    table = working_order()
    before = view(table)
    table.fill(ORDER_ID, "e1", 4, 500)
    assert (before.cum_qty, before.status) == (0, OrderStatus.NEW)


def test_avg_price_is_the_exact_volume_weighted_fill_price() -> None:
    btc_perp = oms_core.InstrumentRegistry.builtin().get("BTC-USDT-PERP")
    table = working_order()
    assert view(table).avg_price(btc_perp) is None
    table.fill(ORDER_ID, "e1", 1, 500_000)
    table.fill(ORDER_ID, "e2", 2, 500_001)
    # (1 × 50000.0 + 2 × 50000.1) / 3 = 50000.0666…, 9 decimals, half to even.
    assert view(table).avg_price(btc_perp) == Decimal("50000.066666667")


# --- requests and the table -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_type", "tif", "qty", "price", "stop_price", "error"),
    [
        (OrderType.LIMIT, TimeInForce.GTC, 0, 500, 0, oms_core.InvalidQuantity),
        (OrderType.LIMIT, TimeInForce.GTC, -3, 500, 0, oms_core.InvalidQuantity),
        (OrderType.LIMIT, TimeInForce.GTC, 1, 0, 0, oms_core.InvalidPrice),
        (OrderType.LIMIT, TimeInForce.GTC, 1, 500, 450, oms_core.InvalidPrice),
        (OrderType.MARKET, TimeInForce.IOC, 1, 500, 0, oms_core.InvalidPrice),
        (OrderType.MARKET, TimeInForce.IOC, 1, 0, 450, oms_core.InvalidPrice),
        (OrderType.MARKET, TimeInForce.GTX, 1, 0, 0, oms_core.InvalidArgument),
        (OrderType.STOP_MARKET, TimeInForce.GTC, 1, 0, 0, oms_core.InvalidPrice),
        (OrderType.STOP_MARKET, TimeInForce.GTC, 1, 440, 450, oms_core.InvalidPrice),
        (OrderType.STOP_LIMIT, TimeInForce.GTC, 1, 0, 450, oms_core.InvalidPrice),
        (OrderType.STOP_LIMIT, TimeInForce.GTC, 1, 440, 0, oms_core.InvalidPrice),
    ],
)
def test_malformed_order_requests_are_refused_and_not_added(
    order_type: OrderType,
    tif: TimeInForce,
    qty: int,
    price: int,
    stop_price: int,
    error: type[oms_core.OmsError],
) -> None:
    table = OrderTable()
    with pytest.raises(error):
        table.add(1, "c-1", 7, 0, Side.BUY, order_type, tif, qty, price, stop_price)
    assert len(table) == 0
    assert table.get(1) is None


def test_a_price_on_a_market_order_is_an_invalid_price() -> None:
    with pytest.raises(oms_core.InvalidPrice):
        OrderTable().add(1, "c-1", 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1, price=5)


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price", "message"),
    [
        (OrderType.MARKET, 5, 0, "MARKET orders take no price"),
        (OrderType.LIMIT, 0, 0, "LIMIT orders need a positive price"),
        (OrderType.LIMIT, -5, 0, "LIMIT orders need a positive price"),
        (OrderType.STOP_LIMIT, 0, 450, "STOP_LIMIT orders need a positive price"),
        (OrderType.STOP_MARKET, 0, 0, "STOP_MARKET orders need a positive stop price"),
        (OrderType.LIMIT, 500, 450, "LIMIT orders take no stop price"),
    ],
)
def test_price_errors_say_what_the_order_type_needs(
    order_type: OrderType, price: int, stop_price: int, message: str
) -> None:
    table = OrderTable()
    with pytest.raises(oms_core.InvalidPrice) as raised:
        table.add(1, "c-1", 7, 0, Side.BUY, order_type, TimeInForce.GTC, 1, price, stop_price)
    assert str(raised.value).endswith(message)


@pytest.mark.parametrize(
    "client_order_id",
    ["", "x" * 37, "has space", "tab\there", "nul\x00", "del\x7f", "é", "newline\n"],
)
def test_client_order_ids_outside_1_to_36_printable_ascii_are_invalid_arguments(
    client_order_id: str,
) -> None:
    table = OrderTable()
    with pytest.raises(oms_core.InvalidArgument):
        table.add(1, client_order_id, 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)
    assert len(table) == 0


@pytest.mark.parametrize("client_order_id", ["x", "x" * 36, "!~{}-_.:"])
def test_client_order_ids_of_1_to_36_printable_ascii_are_accepted(client_order_id: str) -> None:
    table = OrderTable()
    table.add(1, client_order_id, 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)
    found = table.get_by_client_id(7, client_order_id)
    assert found is not None
    assert found.client_order_id == client_order_id


def test_client_order_id_with_a_lone_surrogate_is_a_unicode_error() -> None:
    # pyo3 cannot encode the str as UTF-8; a clear Python error, not an OmsError.
    with pytest.raises(UnicodeEncodeError):
        OrderTable().add(1, "a\ud800", 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)


def test_lookup_by_a_malformed_client_order_id_finds_nothing() -> None:
    table = fresh_order()
    assert table.get_by_client_id(7, "") is None
    assert table.get_by_client_id(7, "x" * 37) is None


def test_order_id_or_client_order_id_in_the_same_account_cannot_be_reused() -> None:
    table = fresh_order()
    with pytest.raises(oms_core.DuplicateOrder):
        table.add(ORDER_ID, "other", 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)
    with pytest.raises(oms_core.DuplicateOrder):
        table.add(2, "c-1", 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)
    table.add(2, "c-1", 8, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)
    assert len(table) == 2


def test_the_view_carries_the_request_terms() -> None:
    table = OrderTable()
    table.add(5, "c-5", 9, 3, Side.SELL, OrderType.STOP_LIMIT, TimeInForce.FOK, 8, 440, 450, True)
    order = table.get(5)
    assert order is not None
    assert (order.order_id, order.client_order_id, order.account, order.instrument) == (
        5,
        "c-5",
        9,
        3,
    )
    assert (order.side, order.order_type, order.time_in_force) == (
        Side.SELL,
        OrderType.STOP_LIMIT,
        TimeInForce.FOK,
    )
    assert (order.qty, order.price, order.stop_price, order.reduce_only) == (8, 440, 450, True)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda t: t.status(99), id="status"),
        pytest.param(lambda t: t.risk_accept(99), id="risk_accept"),
        pytest.param(lambda t: t.risk_reject(99, 1), id="risk_reject"),
        pytest.param(lambda t: t.venue_ack(99), id="venue_ack"),
        pytest.param(lambda t: t.venue_reject(99, 1), id="venue_reject"),
        pytest.param(lambda t: t.cancel_request(99), id="cancel_request"),
        pytest.param(lambda t: t.cancel_ack(99), id="cancel_ack"),
        pytest.param(lambda t: t.cancel_reject(99), id="cancel_reject"),
        pytest.param(lambda t: t.replace_request(99, 1, 1), id="replace_request"),
        pytest.param(lambda t: t.replace_ack(99), id="replace_ack"),
        pytest.param(lambda t: t.replace_reject(99), id="replace_reject"),
        pytest.param(lambda t: t.expire(99), id="expire"),
        pytest.param(lambda t: t.trigger_stop(99), id="trigger_stop"),
        pytest.param(lambda t: t.fill(99, "e1", 1, 1), id="fill"),
        pytest.param(lambda t: t.evict(99), id="evict"),
    ],
)
def test_calls_on_an_unknown_order_id_raise_unknown_order(
    call: Callable[[OrderTable], object],
) -> None:
    with pytest.raises(oms_core.UnknownOrder) as raised:
        call(fresh_order())
    assert raised.value.code == "UNKNOWN_ORDER"


def test_get_of_an_unknown_order_id_is_none() -> None:
    assert fresh_order().get(99) is None


def test_only_terminal_orders_are_evicted_and_both_ids_are_freed() -> None:
    table = working_order()
    with pytest.raises(oms_core.InvalidTransition):
        table.evict(ORDER_ID)
    table.cancel_request(ORDER_ID)
    table.cancel_ack(ORDER_ID)
    gone = table.evict(ORDER_ID)
    assert (gone.order_id, gone.status, len(table)) == (ORDER_ID, OrderStatus.CANCELED, 0)
    assert table.get(ORDER_ID) is None
    assert table.get_by_client_id(7, "c-1") is None
    table.add(ORDER_ID, "c-1", 7, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, 1)
    assert view(table).status == OrderStatus.PENDING_NEW


def test_table_keeps_many_orders_apart() -> None:
    table = OrderTable(capacity=16)
    for order_id in range(2_000):
        account = order_id % 3
        table.add(
            order_id, f"c{order_id}", account, 0, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, 5, 100
        )
    for order_id in range(0, 2_000, 7):
        table.risk_accept(order_id)
        table.fill(order_id, "e", 5, 100)
    assert len(table) == 2_000
    assert table.allocated_bytes() > 0
    for order_id in range(2_000):
        found = table.get_by_client_id(order_id % 3, f"c{order_id}")
        assert found is not None
        assert found.order_id == order_id
        expected = OrderStatus.FILLED if order_id % 7 == 0 else OrderStatus.PENDING_NEW
        assert found.status == expected


# --- (c) apply_batch ------------------------------------------------------------------------


def table_with_every_kind_of_order() -> OrderTable:
    """Orders 0-3 (one per type) in PENDING_NEW, and 4-7 (same types) acknowledged."""
    table = OrderTable()
    for order_id in range(8):
        order_type = list(PRICES)[order_id % 4]
        price, stop_price = PRICES[order_type]
        table.add(
            order_id,
            f"c{order_id}",
            1,
            0,
            Side.BUY,
            order_type,
            TimeInForce.GTC,
            10,
            price,
            stop_price,
        )
        if order_id >= 4:
            table.risk_accept(order_id)
            table.venue_ack(order_id)
    return table


def per_call_batch_code(table: OrderTable, order_id: int, event: Event) -> int:
    """What `apply_batch` should answer for the outcome of the per-call method."""
    kind, value = outcome(lambda: apply_by_call(table, order_id, event))
    if kind == "ok" and event.kind is not EventKind.FILL:
        value = "CHANGED"
    return batch_code((kind, value))


@settings(max_examples=60, deadline=None)
@given(script=st.lists(st.tuples(st.integers(0, 8), events()), max_size=80))
def test_apply_batch_gives_the_same_results_as_per_call_methods(
    script: list[tuple[int, Event]],
) -> None:
    by_call, by_batch = table_with_every_kind_of_order(), table_with_every_kind_of_order()
    expected = [per_call_batch_code(by_call, order_id, event) for order_id, event in script]
    assert run_batch(by_batch, [BatchRow.of(order_id, event) for order_id, event in script]) == (
        expected
    )
    for order_id in range(8):
        assert snapshot(by_batch.get(order_id)) == snapshot(by_call.get(order_id))


def test_batch_errors_are_the_documented_codes_in_order() -> None:
    assert BATCH_ERRORS == [
        "INVALID_TRANSITION",
        "OVERFILL",
        "UNKNOWN_ORDER",
        "INVALID_QUANTITY",
        "INVALID_PRICE",
        "INVALID_ARGUMENT",
        "OMS_ERROR",
    ]
    exception_codes = {
        cls.code
        for cls in vars(oms_core).values()
        if isinstance(cls, type) and issubclass(cls, oms_core.OmsError)
    }
    assert set(BATCH_ERRORS) <= exception_codes


def test_batch_results_map_each_failure_to_its_batch_error() -> None:
    fill = KIND_CODES[EventKind.FILL]
    rows = [
        BatchRow(4, fill, 4, 500, exec_id="e1"),  # CHANGED
        BatchRow(4, fill, 4, 500, exec_id="e1"),  # DUPLICATE
        BatchRow(4, KIND_CODES[EventKind.RISK_ACCEPTED]),  # INVALID_TRANSITION
        BatchRow(4, fill, 7, 500, exec_id="e2"),  # OVERFILL
        BatchRow(99, KIND_CODES[EventKind.VENUE_ACK]),  # UNKNOWN_ORDER
        BatchRow(4, fill, 0, 500, exec_id="e3"),  # INVALID_QUANTITY
        BatchRow(4, fill, 1, 0, exec_id="e3"),  # INVALID_PRICE
        BatchRow(4, fill, 1, 500, exec_id=None),  # INVALID_ARGUMENT
        BatchRow(4, KIND_CODES[EventKind.EXPIRED]),  # CHANGED
        BatchRow(4, fill, 1, 500, exec_id="e4"),  # LATE_FILL
    ]
    codes = run_batch(table_with_every_kind_of_order(), rows)
    assert codes[:2] == [int(Applied.CHANGED), int(Applied.DUPLICATE)]
    assert [BATCH_ERRORS[-code - 1] for code in codes[2:8]] == BATCH_ERRORS[:6]
    assert codes[8:] == [int(Applied.CHANGED), int(Applied.LATE_FILL)]


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(BatchRow(4, 13), id="kind-13"),
        pytest.param(BatchRow(4, 255), id="kind-255"),
        pytest.param(BatchRow(4, 4, 1, 500, liquidity=2, exec_id="e1"), id="liquidity-2"),
        pytest.param(BatchRow(99, 13), id="unknown-kind-before-unknown-order"),
    ],
)
def test_batch_rows_with_unknown_codes_are_invalid_arguments(row: BatchRow) -> None:
    table = table_with_every_kind_of_order()
    before = snapshot(table.get(4))
    assert run_batch(table, [row]) == [-(BATCH_ERRORS.index("INVALID_ARGUMENT") + 1)]
    assert snapshot(table.get(4)) == before


def test_batch_liquidity_is_only_read_for_fills() -> None:
    table = table_with_every_kind_of_order()
    assert run_batch(table, [BatchRow(4, KIND_CODES[EventKind.EXPIRED], liquidity=9)]) == [0]


def test_batch_reject_reasons_reach_the_order() -> None:
    table = table_with_every_kind_of_order()
    run_batch(table, [BatchRow(0, KIND_CODES[EventKind.RISK_REJECTED], reason=65_535)])
    assert (table.status(0), table.get(0).reject_reason) == (OrderStatus.REJECTED, 65_535)


def test_batch_failure_does_not_stop_the_rest_of_the_batch() -> None:
    venue_ack = KIND_CODES[EventKind.VENUE_ACK]
    rows = [BatchRow(0, venue_ack), BatchRow(99, venue_ack), BatchRow(4, 5)]
    table = table_with_every_kind_of_order()
    assert run_batch(table, rows)[2] == int(Applied.CHANGED)
    assert table.status(4) == OrderStatus.PENDING_CANCEL


def test_empty_batch_returns_an_empty_result() -> None:
    assert run_batch(table_with_every_kind_of_order(), []) == []


BATCH_COLUMNS = ("order_ids", "kinds", "qtys", "prices", "fees", "exec_ids", "reasons", "liquidity")


@pytest.mark.parametrize("short_column", BATCH_COLUMNS)
def test_batch_columns_of_different_length_raise_invalid_argument(short_column: str) -> None:
    columns: dict[str, Any] = {
        "order_ids": np.array([4, 4], dtype=np.uint64),
        "kinds": np.array([5, 6], dtype=np.uint8),
        "qtys": np.zeros(2, dtype=np.int64),
        "prices": np.zeros(2, dtype=np.int64),
        "fees": np.zeros(2, dtype=np.int64),
        "exec_ids": [None, None],
        "reasons": np.zeros(2, dtype=np.uint16),
        "liquidity": np.zeros(2, dtype=np.uint8),
    }
    columns[short_column] = columns[short_column][:1]
    table = table_with_every_kind_of_order()
    with pytest.raises(oms_core.InvalidArgument):
        table.apply_batch(**columns)
    assert table.status(4) == OrderStatus.NEW


def test_batch_columns_of_the_wrong_dtype_raise_type_error() -> None:
    table = table_with_every_kind_of_order()
    ids = np.array([4], dtype=np.int64)  # must be uint64
    zeros = np.zeros(1, dtype=np.int64)
    with pytest.raises(TypeError):
        table.apply_batch(ids, np.array([5], dtype=np.uint8), zeros, zeros, zeros, [None])


# --- arithmetic at the i64 limits -----------------------------------------------------------


@pytest.mark.parametrize("fee", [2**63 - 1, -(2**63)])
def test_fee_total_beyond_i64_is_refused_and_changes_nothing(fee: int) -> None:
    table = working_order()
    table.fill(ORDER_ID, "e1", 1, 500, fee)
    before = snapshot(view(table))
    with pytest.raises(oms_core.NumberOverflow):
        table.fill(ORDER_ID, "e2", 1, 500, 1 if fee > 0 else -1)
    assert snapshot(view(table)) == before
    assert table.fill(ORDER_ID, "e2", 1, 500, -fee // 2) == Applied.CHANGED


def test_avg_price_of_a_notional_near_the_i128_limit_is_exact() -> None:
    btc_perp = oms_core.InstrumentRegistry.builtin().get("BTC-USDT-PERP")
    lots = ticks = 2**63 - 1
    table = OrderTable()
    table.add(1, "c-1", 7, 0, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, lots, ticks)
    table.risk_accept(1)
    table.fill(1, "e1", lots - 1, ticks)
    table.fill(1, "e2", 1, ticks - 1)
    order = table.get(1)
    assert order is not None
    assert order.cum_notional == (lots - 1) * ticks + (ticks - 1)
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(order.cum_notional) * btc_perp.tick_size / Decimal(lots)
        assert order.avg_price(btc_perp) == exact.quantize(Decimal("1e-9"), ROUND_HALF_EVEN)
