"""A market-data view over real consolidated books, driven by hand, and a venue harness."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from oms.events import (
    BookUpdate,
    MarketEvent,
    MarkPrice,
    OrderTypeName,
    SideName,
    Ticker,
    TimeInForceName,
    Trade,
)
from oms.marketdata import MarketListener
from oms.venue import Expired, Filled, VenueOrder, VenueReport
from oms.venue.sim import SimVenue
from oms_core import ASK, BID, ConsolidatedBook, InstrumentRegistry

REGISTRY = InstrumentRegistry.builtin()
SYMBOL = "BTC-USDT"
"""Tick 0.01, lot 0.00001, maker and taker fee 0.1%: a fill's fee is ceil(lots × ticks / 100)."""


class FakeMarket:
    """``MarketView`` whose books, marks and prints the test sets, publishing as it goes."""

    def __init__(self, registry: InstrumentRegistry) -> None:
        self.registry = registry
        self.books: dict[str, ConsolidatedBook] = {}
        self.marks: dict[str, int] = {}
        self.seqs: dict[str, int] = {}
        self.listeners: list[MarketListener] = []

    def book(self, symbol: str) -> ConsolidatedBook | None:
        return self.books.get(symbol)

    def mark(self, symbol: str) -> int | None:
        return self.marks.get(symbol)

    def ticker(self, symbol: str) -> Ticker | None:
        return None

    def recent_trades(self, symbol: str, limit: int = 50) -> list[Trade]:
        return []

    def book_seq(self, symbol: str) -> int:
        return self.seqs.get(symbol, 0)

    def subscribe(self, listener: MarketListener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def publish(self, event: MarketEvent) -> None:
        for listener in list(self.listeners):
            listener(event)

    def quote(
        self, side: int, price: int, lots: int, *, venue: str = "binance", symbol: str = SYMBOL
    ) -> None:
        """Set ``venue``'s size at a level and publish the consolidated level that changed."""
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = ConsolidatedBook(self.registry.get(symbol))
        book.update(venue, side, price, lots)
        level = [(price, sum(book.level(side, price).values()))]
        self.seqs[symbol] = self.seqs.get(symbol, 0) + 1
        self.publish(
            BookUpdate(
                symbol,
                self.seqs[symbol],
                bids=level if side == BID else [],
                asks=level if side == ASK else [],
                ts_ns=0,
            )
        )

    def trade(self, price: int, qty: int, aggressor: SideName = "SELL") -> None:
        self.publish(Trade(SYMBOL, "binance", price, qty, aggressor, ts_ns=0))

    def set_mark(self, price: int, symbol: str = SYMBOL) -> None:
        self.marks[symbol] = price
        self.publish(MarkPrice(symbol, price, ts_ns=0))


class Harness:
    """A simulated venue over a fake market, the reports it delivered and the positions it sees.

    ``positions`` feeds the venue's reduce-only lookup (signed lots per account and symbol);
    with ``track_positions=False`` the venue gets no lookup at all.
    """

    def __init__(
        self, *, name: str = "sim", latency_ms: float = 0.0, track_positions: bool = True
    ) -> None:
        self.market = FakeMarket(REGISTRY)
        self.positions: dict[tuple[str, str], int] = {}
        self.venue = SimVenue(
            name,
            REGISTRY,
            self.market,
            latency_ms=latency_ms,
            positions=self._position if track_positions else None,
        )
        self.latency_s = latency_ms / 1000
        self.batches: list[list[VenueReport]] = []
        self.arrivals: list[float] = []
        self.venue.connect(self._receive)

    def _receive(self, reports: Sequence[VenueReport]) -> None:
        self.batches.append(list(reports))
        self.arrivals.append(asyncio.get_running_loop().time())

    def _position(self, account: str, symbol: str) -> int:
        return self.positions.get((account, symbol), 0)

    async def reports(self) -> list[VenueReport]:
        """Everything delivered since the last call, once the venue's latency has passed.

        The sleep's timer is due after every report timer set so far, so those fire first.
        """
        await asyncio.sleep(self.latency_s + 0.001)
        out = [report for batch in self.batches for report in batch]
        self.batches.clear()
        return out

    def submit(
        self,
        order_id: int,
        side: SideName,
        qty: int,
        price: int = 0,
        *,
        order_type: OrderTypeName = "LIMIT",
        tif: TimeInForceName = "GTC",
        stop_price: int = 0,
        reduce_only: bool = False,
        account: str = "alice",
        symbol: str = SYMBOL,
    ) -> None:
        self.venue.submit(
            VenueOrder(
                order_id,
                account,
                symbol,
                side,
                order_type,
                tif,
                qty,
                price,
                stop_price,
                reduce_only,
            )
        )


def names(reports: list[VenueReport]) -> list[str]:
    return [type(report).__name__ for report in reports]


def fills(reports: list[VenueReport]) -> list[tuple[int, int, int, str]]:
    """``(qty, price, fee, liquidity)`` of each fill, in order."""
    return [(r.qty, r.price, r.fee, r.liquidity) for r in reports if isinstance(r, Filled)]


def expired(reports: list[VenueReport]) -> list[int]:
    return [r.order_id for r in reports if isinstance(r, Expired)]


def fee(lots: int, ticks: int) -> int:
    """The 0.1% fee of a BTC-USDT fill in USDT atoms: lots × ticks × 1e-7 × 1e-3 × 1e8, up."""
    return -(-lots * ticks // 100)
