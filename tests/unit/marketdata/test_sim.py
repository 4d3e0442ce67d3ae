"""``oms.marketdata.sim``: reproducible, realistic-looking venue books on the instruments' grids."""

from __future__ import annotations

import pytest

import oms_core
from oms.marketdata.sim import LEVELS, START_PRICES, SimulatedMarkets, venue_names
from oms.marketdata.source import VenueUpdate
from oms_core import ASK, BID

REGISTRY = oms_core.InstrumentRegistry.builtin()
MS = 1_000_000


def run(sim: SimulatedMarkets, seconds: float, poll_ms: int = 25) -> list[VenueUpdate]:
    """Poll ``sim`` from time 0 every ``poll_ms`` for ``seconds``; every update, in order."""
    out: list[VenueUpdate] = []
    for now in range(0, int(seconds * 1000) * MS + 1, poll_ms * MS):
        out += sim.poll(now)
    return out


class VenueBooks:
    """Each venue's book rebuilt from the stream as plain dicts (nothing uncrosses them)."""

    def __init__(self) -> None:
        self.books: dict[tuple[str, str], tuple[dict[int, int], dict[int, int]]] = {}

    def apply(self, u: VenueUpdate) -> tuple[dict[int, int], dict[int, int]]:
        if u.snapshot or (u.venue, u.symbol) not in self.books:
            self.books[u.venue, u.symbol] = ({}, {})
        book = self.books[u.venue, u.symbol]
        for side, price, size in zip(u.sides, u.prices, u.sizes, strict=True):
            if size:
                book[side][price] = size
            else:
                book[side].pop(price, None)
        return book


@pytest.fixture(scope="module")
def stream() -> list[VenueUpdate]:
    return run(SimulatedMarkets(REGISTRY, seed=11), seconds=30)


def test_the_same_seed_gives_the_same_stream():
    a = run(SimulatedMarkets(REGISTRY, seed=3), seconds=5)
    b = run(SimulatedMarkets(REGISTRY, seed=3), seconds=5)
    c = run(SimulatedMarkets(REGISTRY, seed=4), seconds=5)
    assert len(a) > 1000
    assert a == b
    assert a != c


def test_the_stream_does_not_depend_on_the_polling_cadence():
    sim = SimulatedMarkets(REGISTRY, seed=3, symbols=["ETH-USDT", "ETH-USDT-PERP"])
    other = SimulatedMarkets(REGISTRY, seed=3, symbols=["ETH-USDT", "ETH-USDT-PERP"])
    assert run(sim, seconds=5, poll_ms=20) == run(other, seconds=5, poll_ms=125)


def test_every_instrument_opens_with_a_snapshot_per_venue(stream):
    opening = [u for u in stream if u.snapshot]
    assert [(u.symbol, u.venue) for u in opening] == [
        (s, v) for s in REGISTRY.symbols() for v in venue_names(3)
    ]
    for u in opening:
        assert u.sides.count(BID) == u.sides.count(ASK) == LEVELS


def test_prices_and_sizes_stay_on_the_grid_and_above_the_minimum(stream):
    for u in stream:
        min_lots = REGISTRY.get(u.symbol).qty_to_lots(REGISTRY.get(u.symbol).min_qty)
        assert all(type(p) is int and p > 0 for p in u.prices)
        assert all(type(s) is int and (s == 0 or s >= min_lots) for s in u.sizes)
        assert all(type(p.qty) is int and p.qty >= 1 and p.price > 0 for p in u.prints)


def test_a_venue_book_never_crosses_and_keeps_about_twenty_levels(stream):
    books = VenueBooks()
    for u in stream:
        bids, asks = books.apply(u)
        assert max(bids) < min(asks), (u.venue, u.symbol, u.ts_ns)
        assert LEVELS - 4 <= len(bids) <= LEVELS + 4
        assert LEVELS - 4 <= len(asks) <= LEVELS + 4


def test_prints_take_the_best_levels_of_the_side_they_hit(stream):
    books = VenueBooks()
    prints = sweeps = 0
    for u in stream:
        before = {side: dict(levels) for side, levels in enumerate(books.apply(u))}
        after = books.books[u.venue, u.symbol]
        if not u.prints:
            continue
        prints += 1
        sweeps += len(u.prints) > 1
        buy = u.prints[0].aggressor == "BUY"
        prices = [p.price for p in u.prints]
        assert all(p.aggressor == u.prints[0].aggressor for p in u.prints)
        assert prices == sorted(prices, reverse=not buy)  # level after level from the touch
        assert all(p in before[ASK if buy else BID] or p in u.prices for p in prices)
        # Nothing better than the last price printed is left on the side that was hit.
        if buy:
            assert min(after[ASK]) >= prices[-1]
        else:
            assert max(after[BID]) <= prices[-1]
    assert prints > 100
    assert sweeps > 5


def test_opening_prices_are_realistic_and_perpetuals_trade_near_spot(stream):
    books = VenueBooks()
    for u in stream:
        books.apply(u)
    for symbol in REGISTRY.symbols():
        inst = REGISTRY.get(symbol)
        bids, asks = books.books["SIM-A", symbol]
        mid = float(inst.ticks_to_price(max(bids) + min(asks))) / 2
        assert mid == pytest.approx(START_PRICES[inst.base], rel=0.01)


def test_venues_cross_each_other_now_and_then_but_rarely(stream):
    consolidated = {s: oms_core.ConsolidatedBook(REGISTRY.get(s)) for s in REGISTRY.symbols()}
    crossed = checks = 0
    for u in stream:
        book = consolidated[u.symbol]
        for side, price, size in zip(u.sides, u.prices, u.sizes, strict=True):
            book.update(u.venue, side, price, size)
        checks += 1
        crossed += book.is_crossed()
    assert 0 < crossed / checks < 0.2
