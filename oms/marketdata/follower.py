"""A ``MarketView`` rebuilt from ``oms.marketdata``, for processes that do not run market data.

In distributed mode the API and the processor (whose simulated venue fills against the books)
run apart from the market data service; each follows the topic in its own consumer group
(every process needs every symbol) and keeps the consolidated top of book, marks, tickers and
recent trades. The book is rebuilt from ``BookUpdate`` diffs; the full top the service sends
again every second (``snapshot=True``) replaces it, so a late joiner or a reader that saw
a gap converges without asking anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable

import msgspec

from oms.bus import Bus, Consumer
from oms.deadletter import dead_letter
from oms.events import MARKETDATA, BookUpdate, MarketEvent, MarkPrice, Ticker, Trade
from oms.events import market_decoder as _decoder
from oms.marketdata import MarketListener
from oms.marketdata.depth import BookSnapshot
from oms_core import ASK, BID, ConsolidatedBook, InstrumentRegistry

log = logging.getLogger("oms.marketdata.follower")

_VENUE = "consolidated"


class _Followed:
    __slots__ = ("book", "in_sync", "instrument", "mark", "seq", "ticker", "trades", "ts_ns")

    def __init__(self, registry: InstrumentRegistry, symbol: str, trade_history: int) -> None:
        self.instrument = registry.get(symbol)
        self.book = ConsolidatedBook(self.instrument)
        self.seq = 0
        self.ts_ns = 0
        self.in_sync = False
        self.mark: int | None = None
        self.ticker: Ticker | None = None
        self.trades: deque[Trade] = deque(maxlen=trade_history)


class MarketFollower:
    """Follows the market data topic; implements ``MarketView``."""

    def __init__(
        self, registry: InstrumentRegistry, bus: Bus, *, role: str, trade_history: int = 500
    ) -> None:
        self._registry = registry
        self._bus = bus
        # Its own group per process: followers must each see every partition.
        self._group = f"{role}-marketdata-{uuid.uuid4().hex[:12]}"
        self._symbols = {s: _Followed(registry, s, trade_history) for s in registry.symbols()}
        self._listeners: tuple[MarketListener, ...] = ()
        self._consumer: Consumer | None = None
        self._task: asyncio.Task[None] | None = None

    # --- MarketView --------------------------------------------------------------------------

    @property
    def registry(self) -> InstrumentRegistry:
        return self._registry

    def book(self, symbol: str) -> ConsolidatedBook | None:
        state = self._symbols.get(symbol)
        return state.book if state is not None else None

    def mark(self, symbol: str) -> int | None:
        state = self._symbols.get(symbol)
        return state.mark if state is not None else None

    def ticker(self, symbol: str) -> Ticker | None:
        """The last published ticker with the top of book as it is now (tickers go out once
        a second; the book moves in between)."""
        state = self._symbols.get(symbol)
        if state is None or state.ticker is None:
            return None
        inst = state.instrument
        bid, ask = state.book.best_bid(), state.book.best_ask()
        return msgspec.structs.replace(
            state.ticker,
            bid=str(inst.ticks_to_price(bid[0])) if bid else None,
            bid_qty=str(inst.lots_to_qty(bid[1])) if bid else None,
            ask=str(inst.ticks_to_price(ask[0])) if ask else None,
            ask_qty=str(inst.lots_to_qty(ask[1])) if ask else None,
        )

    def recent_trades(self, symbol: str, limit: int = 50) -> list[Trade]:
        state = self._symbols.get(symbol)
        if state is None:
            return []
        return list(state.trades)[: -limit - 1 : -1]

    def book_seq(self, symbol: str) -> int:
        state = self._symbols.get(symbol)
        return state.seq if state is not None else 0

    def book_snapshot(self, symbol: str, levels: int = 20) -> BookSnapshot | None:
        state = self._symbols.get(symbol)
        if state is None or not state.in_sync:
            return None
        price, qty = state.instrument.ticks_to_price, state.instrument.lots_to_qty
        bids, asks = state.book.depth(levels)
        return BookSnapshot(
            symbol=symbol,
            seq=state.seq,
            bids=[(str(price(int(p))), str(qty(int(s)))) for p, s in bids],
            asks=[(str(price(int(p))), str(qty(int(s)))) for p, s in asks],
            ts_ns=state.ts_ns,
        )

    def subscribe(self, listener: MarketListener) -> Callable[[], None]:
        self._listeners += (listener,)

        def unsubscribe() -> None:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

        return unsubscribe

    # --- following ---------------------------------------------------------------------------

    def apply(self, event: MarketEvent) -> None:
        """Take one event into the view, then hand it to the listeners."""
        state = self._symbols.get(event.symbol)
        if state is None:
            return
        if isinstance(event, BookUpdate):
            self._apply_book(state, event)
        elif isinstance(event, MarkPrice):
            state.mark = event.price
        elif isinstance(event, Ticker):
            state.ticker = event
        elif isinstance(event, Trade):
            state.trades.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("market data listener %r failed on %s", listener, event)

    def _apply_book(self, state: _Followed, update: BookUpdate) -> None:
        if update.snapshot:
            state.book.remove_venue(_VENUE)
            state.in_sync = True
        elif update.seq != state.seq + 1:
            if state.in_sync:
                log.warning(
                    "%s: book diff %d after %d; resync at the next snapshot",
                    update.symbol,
                    update.seq,
                    state.seq,
                )
            state.in_sync = False
        book = state.book
        for price, size in update.bids:
            book.update(_VENUE, BID, price, size)
        for price, size in update.asks:
            book.update(_VENUE, ASK, price, size)
        state.seq = update.seq
        state.ts_ns = update.ts_ns

    async def synced(self, timeout: float) -> bool:
        """Wait until every symbol's book has had a full snapshot (the service sends one every
        second), at most ``timeout`` seconds; whether it got there."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(s.in_sync for s in self._symbols.values()):
            if loop.time() >= deadline:
                waiting = [k for k, s in self._symbols.items() if not s.in_sync]
                log.warning("market data: no snapshot yet for %s", ", ".join(waiting))
                return False
            await asyncio.sleep(0.05)
        return True

    async def start(self) -> None:
        self._consumer = self._bus.consumer(self._group, [MARKETDATA], from_latest=True)
        self._task = asyncio.create_task(self._run(self._consumer), name="marketdata-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.close()

    async def _run(self, consumer: Consumer) -> None:
        while True:
            try:
                records = await consumer.fetch(1000, timeout=0.1)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("market data follower could not read the bus; retrying")
                await asyncio.sleep(1.0)
                continue
            for record in records:
                try:
                    self.apply(_decoder.decode(record.value))
                except Exception as exc:
                    await dead_letter(self._bus, self._group, record, exc)


__all__ = ["MarketFollower"]
