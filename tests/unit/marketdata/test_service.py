"""``oms.marketdata.service.MarketDataService``: books, marks, tickers and trades, throttled
and coalesced per symbol, delivered alike to listeners and the bus. Driven by ``step`` with
made-up times, so nothing here sleeps except the start/stop test."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

import oms_core
from oms.config import Settings
from oms.events import (
    MARKETDATA,
    BookUpdate,
    MarketEvent,
    MarkPrice,
    Ticker,
    Trade,
    market_decoder,
)
from oms.marketdata import MarketView
from oms.marketdata.replay import ReplaySource
from oms.marketdata.service import MarketDataService, create_marketdata
from oms.marketdata.sim import SimulatedMarkets
from oms.marketdata.source import VenuePrint, VenueUpdate
from oms_core import ASK, BID

REGISTRY = oms_core.InstrumentRegistry.builtin()
MS = 1_000_000
SAMPLE = Path(__file__).parents[3] / "oms/marketdata/samples/sample_l2.jsonl"


class ScriptedSource:
    """Hands out whatever the test queued, at the next poll."""

    def __init__(self) -> None:
        self.queued: list[VenueUpdate] = []

    def poll(self, now_ns: int) -> list[VenueUpdate]:
        out, self.queued = self.queued, []
        return out


class FakeBus:
    """Collects what is published."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, bytes]] = []

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        self.published.append((topic, key, value))

    async def publish_many(self, topic: str, items: Sequence[tuple[str, bytes]]) -> None:
        self.published += [(topic, k, v) for k, v in items]


def levels(venue: str, symbol: str = "BTC-USDT", **sides: list[tuple[int, int]]) -> VenueUpdate:
    u = VenueUpdate(venue, symbol, 0)
    for name, side in (("bids", BID), ("asks", ASK)):
        for price, size in sides.get(name, []):
            u.sides.append(side)
            u.prices.append(price)
            u.sizes.append(size)
    return u


def of(kind: type, events: list[MarketEvent]) -> list:
    return [e for e in events if isinstance(e, kind)]


@pytest.fixture
def source() -> ScriptedSource:
    return ScriptedSource()


@pytest.fixture
def service(source: ScriptedSource) -> MarketDataService:
    return MarketDataService(REGISTRY, source, clock=lambda: 10_000 * MS)


def test_the_service_is_a_market_view(service):
    view: MarketView = service
    assert view.registry is REGISTRY
    assert view.book("BTC-USDT") is not None
    assert view.book("DOGE-USDT") is None
    assert (view.mark("DOGE-USDT"), view.ticker("DOGE-USDT"), view.book_seq("DOGE-USDT")) == (
        None,
        None,
        0,
    )
    assert view.recent_trades("DOGE-USDT") == []


def test_venue_updates_reach_the_consolidated_book(service, source):
    source.queued = [
        levels("SIM-A", bids=[(100, 1)], asks=[(104, 2)]),
        levels("SIM-B", bids=[(101, 3)]),
    ]
    service.step(0)
    book = service.book("BTC-USDT")
    assert book.best_bid() == (101, 3, ["SIM-B"])
    assert book.best_ask() == (104, 2, ["SIM-A"])


def test_a_snapshot_update_replaces_the_venue_book(service, source):
    source.queued = [levels("SIM-A", bids=[(100, 1), (99, 1)], asks=[(104, 2)])]
    service.step(0)
    snapshot = levels("SIM-A", bids=[(98, 5)])
    source.queued = [VenueUpdate("SIM-A", "BTC-USDT", 0, snapshot.sides, [98], [5], snapshot=True)]
    service.step(1)
    assert [a.tolist() for a in service.book("BTC-USDT").depth(5)] == [[[98, 5]], []]


def test_book_updates_are_coalesced_and_throttled_per_symbol(service, source):
    source.queued = [levels("SIM-A", bids=[(100, 1)], asks=[(104, 1)])]
    first = of(BookUpdate, service.step(0))
    assert [(u.seq, u.bids, u.asks, u.snapshot) for u in first] == [
        (1, [(100, 1)], [(104, 1)], True)
    ]
    source.queued = [levels("SIM-A", bids=[(100, 2)]), levels("SIM-B", bids=[(101, 1)])]
    assert of(BookUpdate, service.step(50 * MS)) == []  # inside the 100 ms interval
    source.queued = [levels("SIM-A", bids=[(100, 3)], asks=[(104, 0), (105, 1)])]
    assert of(BookUpdate, service.step(99 * MS)) == []
    [update] = of(BookUpdate, service.step(100 * MS))
    assert (update.seq, update.bids, update.asks) == (2, [(101, 1), (100, 3)], [(104, 0), (105, 1)])
    assert not update.snapshot
    assert of(BookUpdate, service.step(300 * MS)) == []  # nothing changed since
    source.queued = [levels("SIM-A", symbol="ETH-USDT", bids=[(7, 1)])]
    [eth] = of(BookUpdate, service.step(301 * MS))
    assert (eth.symbol, eth.seq) == ("ETH-USDT", 1)
    assert service.book_seq("BTC-USDT") == 2


def test_the_whole_top_is_sent_again_every_second_for_readers_that_joined_late(service, source):
    source.queued = [levels("SIM-A", bids=[(100, 1)], asks=[(104, 1)])]
    service.step(0)
    source.queued = [levels("SIM-A", bids=[(101, 2)])]
    service.step(200 * MS)
    assert of(BookUpdate, service.step(999 * MS)) == []
    [again] = of(BookUpdate, service.step(1_000 * MS))
    assert (again.seq, again.snapshot) == (2, True)  # the seq of the last diff: nothing new
    assert (again.bids, again.asks) == ([(101, 2), (100, 1)], [(104, 1)])
    assert of(BookUpdate, service.step(1_999 * MS)) == []
    assert [u.snapshot for u in of(BookUpdate, service.step(2_000 * MS))] == [True]


def test_changes_below_the_top_levels_publish_nothing():
    source = ScriptedSource()
    service = MarketDataService(REGISTRY, source, depth=2)
    source.queued = [levels("SIM-A", bids=[(100, 1), (99, 1), (98, 1)])]
    service.step(0)
    source.queued = [levels("SIM-A", bids=[(98, 5), (97, 1)])]
    assert of(BookUpdate, service.step(200 * MS)) == []
    assert service.book_seq("BTC-USDT") == 1


def test_a_level_pushed_out_of_the_top_is_sent_with_size_0():
    source = ScriptedSource()
    service = MarketDataService(REGISTRY, source, depth=2)
    source.queued = [levels("SIM-A", asks=[(100, 1), (101, 1)])]
    service.step(0)
    source.queued = [levels("SIM-B", asks=[(99, 4)])]
    [update] = of(BookUpdate, service.step(100 * MS))
    assert update.asks == [(99, 4), (101, 0)]


def test_diffs_applied_to_an_empty_book_rebuild_the_consolidated_top():
    sim = SimulatedMarkets(REGISTRY, seed=5, symbols=["BTC-USDT", "SOL-USDT"])
    service = MarketDataService(REGISTRY, sim)
    rebuilt: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
    seqs: dict[str, int] = {}

    def rebuild(event: MarketEvent) -> None:
        if isinstance(event, BookUpdate):
            assert event.seq == seqs.get(event.symbol, 0) + 1
            seqs[event.symbol] = event.seq
            bids, asks = rebuilt.setdefault(event.symbol, ({}, {}))
            for side, changes in ((bids, event.bids), (asks, event.asks)):
                for price, size in changes:
                    if size:
                        side[price] = size
                    else:
                        del side[price]

    service.subscribe(rebuild)
    for turn in range(400):  # 10 s of 25 ms turns
        service.step(turn * 25 * MS)
        for symbol, (bids, asks) in rebuilt.items():
            published = service.book_snapshot(symbol, levels=50)
            assert published is not None
            assert (len(bids), len(asks)) == (len(published.bids), len(published.asks))
    for symbol in ("BTC-USDT", "SOL-USDT"):
        service.step(10_000 * MS + 1)  # flush anything still held by the throttle
        bids, asks = rebuilt[symbol]
        top_bids, top_asks = service.book(symbol).depth(50)
        assert sorted(bids.items(), reverse=True) == [tuple(r) for r in top_bids.tolist()]
        assert sorted(asks.items()) == [tuple(r) for r in top_asks.tolist()]
        assert seqs[symbol] == service.book_seq(symbol) > 50
    assert len(rebuilt["BTC-USDT"][0]) == 50  # deeper than the top: the cut-off was exercised


def test_every_print_is_a_trade_event_and_recent_trades_are_newest_first(service, source):
    source.queued = [
        VenueUpdate(
            "SIM-A",
            "BTC-USDT",
            5,
            prints=[VenuePrint(100, 2, "BUY", 5), VenuePrint(101, 3, "BUY", 5)],
        ),
        VenueUpdate("SIM-B", "BTC-USDT", 6, prints=[VenuePrint(99, 1, "SELL", 6)]),
    ]
    trades = of(Trade, service.step(0))
    assert [(t.venue, t.price, t.qty, t.aggressor, t.ts_ns) for t in trades] == [
        ("SIM-A", 100, 2, "BUY", 5),
        ("SIM-A", 101, 3, "BUY", 5),
        ("SIM-B", 99, 1, "SELL", 6),
    ]
    assert service.recent_trades("BTC-USDT", limit=2) == trades[::-1][:2]
    assert of(Trade, service.step(1)) == []


def test_the_mark_is_published_when_it_changes_at_most_every_100_ms(service, source):
    source.queued = [
        levels("SIM-A", bids=[(100, 1)], asks=[(102, 1)]),
        levels("SIM-B", bids=[(104, 1)], asks=[(106, 1)]),
        levels("SIM-C", bids=[(200, 1)], asks=[(202, 1)]),
    ]
    assert [m.price for m in of(MarkPrice, service.step(0))] == [105]
    assert service.mark("BTC-USDT") == 105
    source.queued = [levels("SIM-A", bids=[(101, 1)])]  # SIM-A's mid moves; the median does not
    assert of(MarkPrice, service.step(100 * MS)) == []
    source.queued = [levels("SIM-B", asks=[(108, 1), (106, 0)])]
    assert of(MarkPrice, service.step(150 * MS)) == []
    assert service.mark("BTC-USDT") == 105
    assert [m.price for m in of(MarkPrice, service.step(200 * MS))] == [106]


def test_the_ticker_is_published_at_most_once_a_second_with_the_day_figures(service, source):
    source.queued = [
        levels("SIM-A", bids=[(6_000_000, 50_000)], asks=[(6_000_100, 20_000)]),
        VenueUpdate("SIM-A", "BTC-USDT", 0, prints=[VenuePrint(5_000_000, 100_000, "BUY", 0)]),
        VenueUpdate("SIM-A", "BTC-USDT", 0, prints=[VenuePrint(6_000_000, 50_000, "SELL", 0)]),
    ]
    [ticker] = of(Ticker, service.step(0))
    assert ticker == Ticker(
        symbol="BTC-USDT",
        bid="60000",
        bid_qty="0.5",
        ask="60001",
        ask_qty="0.2",
        last="60000",
        mark="60000.5",
        open_24h="50000",
        high_24h="60000",
        low_24h="50000",
        volume_24h="1.5",
        change_pct_24h="20.00",
        ts_ns=0,
    )
    source.queued = [levels("SIM-A", bids=[(6_000_001, 1)])]
    assert of(Ticker, service.step(999 * MS)) == []
    [later] = of(Ticker, service.step(1000 * MS))
    assert later.bid == "60000.01"
    assert of(Ticker, service.step(5000 * MS)) == []  # nothing new


def test_events_come_in_order_trades_book_mark_ticker(service, source):
    source.queued = [
        levels("SIM-A", bids=[(100, 1)], asks=[(102, 1)]),
        VenueUpdate("SIM-A", "BTC-USDT", 0, prints=[VenuePrint(101, 1, "BUY", 0)]),
    ]
    assert [type(e) for e in service.step(0)] == [Trade, BookUpdate, MarkPrice, Ticker]


def test_a_failing_listener_is_logged_and_the_others_still_get_every_event(service, source, caplog):
    got: list[MarketEvent] = []

    def broken(event: MarketEvent) -> None:
        raise RuntimeError("listener bug")

    service.subscribe(broken)
    service.subscribe(got.append)
    source.queued = [levels("SIM-A", bids=[(100, 1)], asks=[(102, 1)])]
    with caplog.at_level(logging.ERROR, logger="oms.marketdata.service"):
        events = service.step(0)
    assert len(events) == 3
    assert got == events
    assert [r.exc_info[1].args for r in caplog.records] == [("listener bug",)] * 3


def test_unsubscribe_stops_delivery(service, source):
    got: list[MarketEvent] = []
    unsubscribe = service.subscribe(got.append)
    unsubscribe()
    unsubscribe()
    source.queued = [levels("SIM-A", bids=[(100, 1)])]
    assert service.step(0)
    assert got == []


def test_the_snapshot_for_new_readers_is_the_published_top_with_its_seq(service, source):
    source.queued = [levels("SIM-A", bids=[(6_000_000, 1), (5_999_900, 2)], asks=[(6_000_100, 3)])]
    service.step(0)
    source.queued = [levels("SIM-A", bids=[(6_000_050, 9)])]
    service.step(1)  # held back by the throttle: not in the snapshot yet
    snap = service.book_snapshot("BTC-USDT", levels=1)
    assert (snap.seq, snap.bids, snap.asks) == (1, [("60000", "0.00001")], [("60001", "0.00003")])
    assert service.book_snapshot("DOGE-USDT") is None


async def test_start_publishes_the_listeners_events_on_the_bus_and_stop_is_quick():
    bus = FakeBus()
    service = MarketDataService(
        REGISTRY, SimulatedMarkets(REGISTRY, seed=1), bus, poll_interval_ms=5
    )
    got: list[MarketEvent] = []
    service.subscribe(got.append)
    await service.start()
    await asyncio.sleep(0.15)
    started = time.monotonic()
    await service.stop()
    assert time.monotonic() - started < 0.05
    assert len(bus.published) == len(got) > 0
    assert {topic for topic, _, _ in bus.published} == {MARKETDATA}
    assert [market_decoder.decode(v) for _, _, v in bus.published] == got
    assert [k for _, k, _ in bus.published] == [e.symbol for e in got]
    await service.stop()  # stopping twice is harmless


def test_create_marketdata_reads_the_source_from_the_settings():
    sim = create_marketdata(Settings(marketdata="sim", sim_venues=4), REGISTRY, None)
    sim.step(0)
    assert sim.book("ETH-USDT").venues() == ["SIM-A", "SIM-B", "SIM-C", "SIM-D"]
    replay = create_marketdata(Settings(marketdata=f"replay:{SAMPLE}?speed=10"), REGISTRY, None)
    replay.step(0)
    assert replay.book("BTC-USDT").venues() == ["SIM-A", "SIM-B"]
    with pytest.raises(ValueError, match="OMS_MARKETDATA"):
        create_marketdata(Settings(marketdata="kafka"), REGISTRY, None)
    with pytest.raises(ValueError, match="speed is not a number"):
        create_marketdata(Settings(marketdata=f"replay:{SAMPLE}?speed=fast"), REGISTRY, None)
    with pytest.raises(ValueError, match="speed must be positive"):
        ReplaySource(SAMPLE, REGISTRY, speed=0)
