"""Risk and the processor together on the real embedded bus and store, with a scripted venue.

The venue is a fake (this is a unit test of the two services); the simulated venue has its own
tests, and the end-to-end suite runs everything for real.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from oms.bus.memory import MemoryBus
from oms.config import AccountConfig
from oms.events import (
    COMMANDS,
    DEADLETTER,
    EVENTS,
    MARKETDATA,
    ORDERS,
    AmendOrder,
    CancelAll,
    CancelOrder,
    DeadLetter,
    MarkPrice,
    NewOrder,
    OrderUpdate,
    SetTradingState,
    dead_letter_decoder,
    encode,
    event_decoder,
)
from oms.processor.service import ProcessorService
from oms.risk.service import RiskService
from oms.store import StoreUnavailableError
from oms.store.sqlite import SqliteStore
from oms.venue import (
    Acked,
    Canceled,
    Filled,
    Replaced,
    ReportSink,
    VenueOrder,
    VenueReport,
)

BTC_PERP_MARK = 500_000  # 50,000.0 in ticks of 0.1


class ScriptedVenue:
    """Acks everything; fills MARKET orders at ``fill_price``; rests the rest until told."""

    name = "SIM"

    def __init__(self, fill_price: int = BTC_PERP_MARK) -> None:
        self.fill_price = fill_price
        self.sink: ReportSink | None = None
        self.resting: dict[int, VenueOrder] = {}
        self.submitted: list[VenueOrder] = []
        self.hold_replaces = False
        self.held_replaces: list[int] = []
        self._ids = itertools.count(1)

    def connect(self, on_reports: ReportSink) -> None:
        self.sink = on_reports

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def _send(self, reports: Sequence[VenueReport]) -> None:
        assert self.sink is not None
        asyncio.get_running_loop().call_soon(self.sink, list(reports))

    def fill(self, order_id: int, qty: int, price: int) -> None:
        exec_id = f"T-{next(self._ids)}"
        self._send([Filled(order_id, exec_id, qty, price, 0, "MAKER", 1)])

    def submit(self, order: VenueOrder) -> None:
        self.submitted.append(order)
        reports: list[VenueReport] = [Acked(order.order_id)]
        if order.order_type == "MARKET":
            exec_id = f"T-{next(self._ids)}"
            reports.append(
                Filled(order.order_id, exec_id, order.qty, self.fill_price, 0, "TAKER", 1)
            )
        else:
            self.resting[order.order_id] = order
        self._send(reports)

    def amend(self, order_id: int, qty: int, price: int) -> None:
        if self.hold_replaces:
            self.held_replaces.append(order_id)
        else:
            self._send([Replaced(order_id)])

    def release_replaces(self) -> None:
        self._send([Replaced(order_id) for order_id in self.held_replaces])
        self.held_replaces.clear()

    def cancel(self, order_id: int) -> None:
        self.resting.pop(order_id, None)
        self._send([Canceled(order_id)])


ALICE = AccountConfig(
    name="alice",
    api_key="k" * 16,
    api_secret="s" * 32,
    deposits={"USDT": "100000"},
    leverage={"BTC-USDT-PERP": 10},
)


class Oms:
    """Risk + processor on a journaled bus and a SQLite store in ``path``."""

    def __init__(self, path: Path, venue: ScriptedVenue) -> None:
        import oms_core

        self.registry = oms_core.InstrumentRegistry.builtin()
        self.bus = MemoryBus(path / "bus.db")
        self.store = SqliteStore(path / "oms.db")
        self.venue = venue
        self.risk = RiskService(
            self.registry, [ALICE], self.bus, self.store, snapshot_interval_s=0.02
        )
        self.processor = ProcessorService(
            self.registry, ["alice"], self.bus, self.store, {"SIM": venue}
        )
        self.tap = self.bus.consumer("test-tap", [EVENTS], from_latest=True)
        self.updates: dict[int, OrderUpdate] = {}
        self._ids = itertools.count(1)

    async def start(self) -> None:
        await self.risk.recover()
        await self.processor.recover()
        await self.risk.start()
        await self.processor.start()
        await self.bus.publish(
            MARKETDATA, "BTC-USDT-PERP", encode(MarkPrice("BTC-USDT-PERP", BTC_PERP_MARK, 1))
        )
        await asyncio.sleep(0.1)

    async def stop(self) -> None:
        await self.processor.stop()
        await self.risk.stop()
        await self.store.close()
        await self.bus.close()

    async def send(self, cmd: object) -> None:
        await self.bus.publish(COMMANDS, "alice", encode(cmd))  # type: ignore[arg-type]

    async def place(
        self,
        order_type: str = "LIMIT",
        side: str = "BUY",
        qty: int = 100,
        price: int = 490_000,
        **kw: object,
    ) -> int:
        order_id = next(self._ids) + 1000 * len(self.updates)
        await self.send(
            NewOrder(
                order_id,
                "alice",
                f"c{order_id}",
                "BTC-USDT-PERP",
                side,
                order_type,
                "GTC",
                qty,
                price,
                **kw,
            )
        )  # type: ignore[arg-type]
        return order_id

    async def until(self, order_id: int, predicate: Callable[[OrderUpdate], bool]) -> OrderUpdate:
        for _ in range(200):
            for r in await self.tap.fetch(1000, timeout=0.01):
                e = event_decoder.decode(r.value)
                if isinstance(e, OrderUpdate):
                    self.updates[e.order_id] = e
            u = self.updates.get(order_id)
            if u is not None and predicate(u):
                return u
        raise AssertionError(f"order {order_id} never got there: {self.updates.get(order_id)}")


async def eventually(check: Callable[[], bool]) -> None:
    """Risk reads events after the processor publishes them: give it a moment."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


@pytest.fixture
async def oms(tmp_path: Path) -> AsyncIterator[Oms]:
    o = Oms(tmp_path, ScriptedVenue())
    await o.start()
    yield o
    await o.stop()


async def test_limit_order_is_accepted_acked_and_holds_margin(oms: Oms) -> None:
    oid = await oms.place(qty=1000, price=490_000)  # 1 BTC at 49,000 → 4,900 IM at 10x
    u = await oms.until(oid, lambda u: u.status == "NEW")
    assert (u.leaves_qty, u.cum_qty) == (1000, 0)
    snap = oms.risk.snapshot("alice")
    assert Decimal(snap.available_margin) < Decimal("100000") - Decimal("4900")
    assert (await oms.store.get_order(oid)) == u


async def test_market_order_fills_and_books_the_position(oms: Oms) -> None:
    oid = await oms.place("MARKET", qty=100, price=0)
    u = await oms.until(oid, lambda u: u.status == "FILLED")
    assert u.cum_qty == 100
    assert u.cum_notional > 0
    await eventually(lambda: oms.risk.position_lots("alice", "BTC-USDT-PERP") == 100)
    execs, _ = await oms.store.list_executions("alice")
    assert [(e.qty, e.price) for e in execs] == [(100, BTC_PERP_MARK)]


async def test_risk_rejection_reaches_the_order_with_its_reason(oms: Oms) -> None:
    oid = await oms.place(qty=100, price=100_000)  # 10,000: far outside the 10% band
    u = await oms.until(oid, lambda u: u.status == "REJECTED")
    assert u.reject_reason == "PRICE_OUTSIDE_BAND"
    assert oms.venue.submitted == []


async def test_cancel_and_cancel_all_release_the_reservations(oms: Oms) -> None:
    free = Decimal(oms.risk.snapshot("alice").available_margin)
    a = await oms.place(qty=100)
    b = await oms.place(qty=200)
    await oms.until(b, lambda u: u.status == "NEW")
    await oms.send(CancelOrder(a, "alice"))
    assert (await oms.until(a, lambda u: u.status == "CANCELED")).leaves_qty == 0
    await oms.send(CancelAll("alice", "BTC-USDT-PERP"))
    await oms.until(b, lambda u: u.status == "CANCELED")
    await eventually(lambda: Decimal(oms.risk.snapshot("alice").available_margin) == free)
    assert oms.processor.open_order_count() == 0


async def test_amend_is_checked_by_risk_then_confirmed_by_the_venue(oms: Oms) -> None:
    oid = await oms.place(qty=100, price=490_000)
    await oms.until(oid, lambda u: u.status == "NEW")
    await oms.send(AmendOrder(oid, "alice", 300, 491_000))
    u = await oms.until(oid, lambda u: u.qty == 300)
    assert (u.status, u.price, u.leaves_qty) == ("NEW", 491_000, 300)
    # An amend risk refuses leaves the order as it was, with the reason.
    await oms.send(AmendOrder(oid, "alice", 10_000_000, 491_000))
    u = await oms.until(oid, lambda u: u.reject_reason != "")
    assert (u.status, u.qty) == ("NEW", 300)
    assert u.reject_reason in {
        "INSUFFICIENT_MARGIN",
        "QTY_ABOVE_MAX",
        "NOTIONAL_ABOVE_MAX",
        "MAX_POSITION_EXCEEDED",
    }


async def test_a_cancel_while_the_venue_confirms_a_replace_is_sent_once_it_is_replaced(
    oms: Oms,
) -> None:
    oid = await oms.place(qty=100, price=490_000)
    await oms.until(oid, lambda u: u.status == "NEW")
    oms.venue.hold_replaces = True
    await oms.send(AmendOrder(oid, "alice", 200, 491_000))
    await eventually(lambda: oms.venue.held_replaces == [oid])
    await oms.send(CancelOrder(oid, "alice"))
    # Commands of one account are handled in order: once a later order is live, so is the cancel.
    marker = await oms.place(qty=100, price=489_000)
    await oms.until(marker, lambda u: u.status == "NEW")
    assert oms.updates[oid].status == "PENDING_REPLACE"
    oms.venue.release_replaces()
    u = await oms.until(oid, lambda u: u.status == "CANCELED")
    assert (u.qty, u.price, u.leaves_qty) == (200, 491_000, 0)
    assert oms.processor.open_order_count() == 1  # the marker


async def test_a_cancel_while_risk_checks_an_amend_survives_the_amend_being_refused(
    oms: Oms,
) -> None:
    oid = await oms.place(qty=100, price=490_000)
    await oms.until(oid, lambda u: u.status == "NEW")
    await oms.send(AmendOrder(oid, "alice", 10_000_000, 491_000))  # risk refuses this size
    await oms.send(CancelOrder(oid, "alice"))
    u = await oms.until(oid, lambda u: u.status == "CANCELED")
    assert (u.qty, u.leaves_qty) == (100, 0)
    assert oms.processor.open_order_count() == 0


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _trading_counts() -> dict[str, float]:
    return {
        "decided": _sample("oms_order_decision_seconds_count"),
        "accepted": _sample("oms_risk_decisions_total", outcome="accepted", reason=""),
        "band": _sample(
            "oms_risk_decisions_total", outcome="rejected", reason="PRICE_OUTSIDE_BAND"
        ),
        "filled": _sample("oms_orders_finished_total", status="FILLED"),
        "rejected": _sample("oms_orders_finished_total", status="REJECTED"),
        "fills": _sample("oms_executions_total", symbol="BTC-USDT-PERP"),
    }


async def test_decisions_fills_and_finished_orders_are_counted_for_operators(oms: Oms) -> None:
    before = _trading_counts()
    stamped = dict(ts_ns=time.time_ns())
    filled = await oms.place("MARKET", qty=100, price=0, **stamped)
    refused = await oms.place(qty=100, price=100_000, **stamped)  # outside the price band
    resting = await oms.place(qty=100, price=490_000, **stamped)
    await oms.until(filled, lambda u: u.status == "FILLED")
    await oms.until(refused, lambda u: u.status == "REJECTED")
    await oms.until(resting, lambda u: u.status == "NEW")
    after = _trading_counts()
    assert {k: after[k] - before[k] for k in before} == {
        "decided": 3,
        "accepted": 2,
        "band": 1,
        "filled": 1,
        "rejected": 1,
        "fills": 1,
    }
    await eventually(lambda: _sample("oms_open_orders") == 1)  # the resting one


async def test_exposure_and_kill_switches_are_gauged_once_a_second(oms: Oms) -> None:
    filled = await oms.place("MARKET", qty=100, price=0)  # 0.1 BTC long at 50,000
    await oms.until(filled, lambda u: u.status == "FILLED")
    await oms.send(SetTradingState("HALTED", "alice"))
    long_btc = {"symbol": "BTC-USDT-PERP", "side": "long"}
    for _ in range(300):  # the gauges follow the full round of snapshots, once a second
        if (
            _sample("oms_position_notional", **long_btc) == 5000
            and _sample("oms_accounts_trading_state", state="HALTED") == 1
        ):
            break
        await asyncio.sleep(0.01)
    assert _sample("oms_position_notional", **long_btc) == 5000
    assert _sample("oms_accounts_trading_state", state="HALTED") == 1
    assert _sample("oms_accounts_trading_state", state="ACTIVE") == 0
    assert _sample("oms_global_trading_state", state="ACTIVE") == 1


async def test_halting_the_account_rejects_new_orders_and_cancels_open_ones(oms: Oms) -> None:
    oid = await oms.place(qty=100)
    await oms.until(oid, lambda u: u.status == "NEW")
    await oms.send(SetTradingState("HALTED", "alice"))
    await oms.until(oid, lambda u: u.status == "CANCELED")
    late = await oms.place(qty=100)
    assert (
        await oms.until(late, lambda u: u.status == "REJECTED")
    ).reject_reason == "TRADING_HALTED"


async def test_restart_recovers_open_orders_fills_and_positions(tmp_path: Path) -> None:
    first = Oms(tmp_path, ScriptedVenue())
    await first.start()
    filled = await first.place("MARKET", qty=100, price=0)
    resting = await first.place(qty=300, price=490_000)
    await first.until(filled, lambda u: u.status == "FILLED")
    await first.until(resting, lambda u: u.status == "NEW")
    first.venue.fill(resting, 100, 490_000)
    await first.until(resting, lambda u: u.status == "PARTIALLY_FILLED")
    await eventually(lambda: first.risk.position_lots("alice", "BTC-USDT-PERP") == 200)
    before = first.risk.snapshot("alice")
    await first.stop()

    venue = ScriptedVenue()
    second = Oms(tmp_path, venue)
    await second.start()
    after = second.risk.snapshot("alice")
    assert second.risk.position_lots("alice", "BTC-USDT-PERP") == 200
    assert (after.equity, after.available_margin) == (before.equity, before.available_margin)
    # The open order is working again at the venue for what is left, and still cancellable.
    assert [(o.order_id, o.qty) for o in venue.submitted] == [(resting, 200)]
    await second.send(CancelOrder(resting, "alice"))
    u = await second.until(resting, lambda u: u.status == "CANCELED")
    assert (u.cum_qty, u.leaves_qty) == (100, 0)
    stored = await second.store.get_order(resting)
    assert stored is not None
    assert stored.seq == u.seq
    await second.stop()


class FlakyStore(SqliteStore):
    """The real store, which fails every write while ``down`` is set (a database outage)."""

    down = False
    failed = 0

    async def write(self, *args: object, **kwargs: object) -> None:
        if self.down:
            self.failed += 1
            raise StoreUnavailableError("database down")
        await super().write(*args, **kwargs)  # type: ignore[arg-type]


async def test_processing_pauses_while_the_store_is_down_and_loses_nothing(tmp_path: Path) -> None:
    oms = Oms(tmp_path, ScriptedVenue())
    flaky = FlakyStore(tmp_path / "flaky.db")
    oms.store = oms.risk._store = oms.processor._store = flaky  # type: ignore[misc]
    await oms.start()
    flaky.down = True
    oid = await oms.place("MARKET", qty=100, price=0)
    await eventually(lambda: flaky.failed >= 2)
    assert await flaky.get_order(oid) is None
    flaky.down = False
    u = await oms.until(oid, lambda u: u.status == "FILLED")
    stored = await flaky.get_order(oid)
    assert stored is not None
    assert stored.seq == u.seq
    execs, _ = await flaky.list_executions("alice")
    assert [e.qty for e in execs] == [100]
    await eventually(lambda: oms.risk.position_lots("alice", "BTC-USDT-PERP") == 100)
    await oms.stop()


async def _dead_letters(oms: Oms, n: int) -> list[DeadLetter]:
    tap = oms.bus.consumer("test-dead", [DEADLETTER])
    letters: list[DeadLetter] = []
    for _ in range(200):
        letters += [dead_letter_decoder.decode(r.value) for r in await tap.fetch(100, 0.01)]
        if len(letters) >= n:
            break
    await tap.close()
    return letters


async def test_a_malformed_command_is_set_aside_and_the_next_one_still_trades(oms: Oms) -> None:
    await oms.bus.publish(COMMANDS, "alice", b'{"type":"NewOrder.v1","order_id":"nope"}')
    await oms.bus.publish(COMMANDS, "alice", b"\xff not json")
    oid = await oms.place(qty=1000, price=490_000)
    assert (await oms.until(oid, lambda u: u.status == "NEW")).status == "NEW"
    letters = await _dead_letters(oms, 2)
    assert [(d.service, d.topic, d.key) for d in letters] == [("risk", COMMANDS, "alice")] * 2
    assert letters[1].value == b"\xff not json"  # kept whole, bytes intact
    assert "order_id" in letters[0].error
    assert "malformed" in letters[1].error
    assert letters[0].offset < letters[1].offset


async def test_a_malformed_instruction_is_set_aside_by_the_processor(oms: Oms) -> None:
    await oms.bus.publish(ORDERS, "alice", b'{"type":"OrderAccepted.v1"}')
    oid = await oms.place(qty=1000, price=490_000)
    await oms.until(oid, lambda u: u.status == "NEW")
    [letter] = await _dead_letters(oms, 1)
    assert (letter.service, letter.topic) == ("processor", ORDERS)
