"""``MarketFollower`` rebuilds the market data service's view from its published events."""

from __future__ import annotations

import oms_core
from oms.marketdata.follower import MarketFollower
from oms.marketdata.service import MarketDataService
from oms.marketdata.sim import SimulatedMarkets

REGISTRY = oms_core.InstrumentRegistry.builtin()
MS = 1_000_000


def _run(
    service: MarketDataService,
    followers: list[MarketFollower],
    start_ms: int,
    end_ms: int,
    late: MarketFollower | None = None,
    late_from_ms: int = 0,
) -> None:
    for t in range(start_ms, end_ms, 25):
        for event in service.step(t * MS):
            for f in followers:
                f.apply(event)
            if late is not None and t >= late_from_ms:
                late.apply(event)


def _top(book: oms_core.ConsolidatedBook) -> tuple[list[list[int]], list[list[int]]]:
    bids, asks = book.depth(50)
    return bids.tolist(), asks.tolist()


def test_a_follower_from_the_start_holds_the_published_top() -> None:
    service = MarketDataService(REGISTRY, SimulatedMarkets(REGISTRY, seed=3), None)
    follower = MarketFollower(REGISTRY, bus=None, role="test")  # type: ignore[arg-type]
    _run(service, [follower], 0, 3_000)
    for symbol in REGISTRY.symbols():
        published = service.book_snapshot(symbol, 50)
        mine = follower.book_snapshot(symbol, 50)
        assert published is not None
        assert mine is not None
        assert (mine.seq, mine.bids, mine.asks) == (published.seq, published.bids, published.asks)
        assert follower.mark(symbol) == service.mark(symbol)


def test_a_late_joiner_converges_at_the_next_full_snapshot() -> None:
    service = MarketDataService(REGISTRY, SimulatedMarkets(REGISTRY, seed=5), None)
    late = MarketFollower(REGISTRY, bus=None, role="test")  # type: ignore[arg-type]
    _run(service, [], 0, 2_025)
    _run(service, [], 2_025, 2_900, late=late, late_from_ms=2_025)
    assert late.book_snapshot("BTC-USDT", 50) is None  # only diffs so far: not trusted
    _run(service, [], 2_900, 5_000, late=late, late_from_ms=0)
    published = service.book_snapshot("BTC-USDT", 50)
    mine = late.book_snapshot("BTC-USDT", 50)
    assert published is not None
    assert mine is not None
    assert (mine.bids, mine.asks) == (published.bids, published.asks)
    assert _top(late.book("BTC-USDT"))[0]  # type: ignore[arg-type]
