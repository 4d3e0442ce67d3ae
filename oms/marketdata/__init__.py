"""The market-data port: consolidated books, marks, tickers and trades, read in process.

``MarketDataService`` (``oms.marketdata.service``) owns the books and implements this view for
the simulated venues and the API; it also publishes the same events on ``oms.marketdata``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from oms.events import MarketEvent, Ticker, Trade
from oms.marketdata.depth import BookSnapshot
from oms_core import ConsolidatedBook, InstrumentRegistry

MarketListener = Callable[[MarketEvent], None]


class MarketView(Protocol):
    @property
    def registry(self) -> InstrumentRegistry: ...

    def book(self, symbol: str) -> ConsolidatedBook | None:
        """The consolidated book of ``symbol`` (None for an unknown symbol)."""
        ...

    def mark(self, symbol: str) -> int | None:
        """The mark price in ticks, once the venues have quoted."""
        ...

    def ticker(self, symbol: str) -> Ticker | None: ...

    def recent_trades(self, symbol: str, limit: int = 50) -> list[Trade]:
        """The newest prints first."""
        ...

    def book_snapshot(self, symbol: str, levels: int = 20) -> BookSnapshot | None:
        """The top levels as last published, with their ``seq``: the start a client that then
        applies the later ``BookUpdate``s needs (the live book may hold levels no diff names)."""
        ...

    def book_seq(self, symbol: str) -> int:
        """Sequence number of the last ``BookUpdate`` published for ``symbol``."""
        ...

    def subscribe(self, listener: MarketListener) -> Callable[[], None]:
        """Call ``listener`` with every event as it happens; returns the unsubscribe function."""
        ...


__all__ = ["BookSnapshot", "MarketListener", "MarketView"]
