"""The market data service: venue feeds into consolidated books, marks, tickers and trades.

One loop turn (``step``) polls the source, applies each venue's changes to the symbol's
``oms_core.ConsolidatedBook`` and then emits what is due, per symbol:

- ``Trade`` for every print, at once;
- ``BookUpdate``: the top ``depth`` levels per side that changed since the last one (a level
  that left the top is sent with size 0), at most every ``book_interval_ms``; ``seq`` grows by
  one per update, and the first one of a symbol is marked ``snapshot``;
- ``MarkPrice`` when the mark (``oms.marketdata.mark``) changed, computed at most every
  ``mark_interval_ms``;
- ``Ticker`` at most every ``ticker_interval_ms``, when something changed.

Listeners get exactly these events in the same turn, before they are published on
``oms.marketdata`` (key: symbol). Throttling coalesces: a burst of venue updates inside one
interval costs one diff of the top levels, not one message per venue update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import islice
from pathlib import Path

import numpy as np

from oms.bus import Bus, BusUnavailableError
from oms.config import Settings
from oms.events import MARKETDATA, BookUpdate, MarketEvent, MarkPrice, Ticker, Trade, encode
from oms.marketdata import MarketListener
from oms.marketdata.depth import BookSnapshot, PublishedTop
from oms.marketdata.mark import mark_price
from oms.marketdata.replay import ReplaySource
from oms.marketdata.sim import SimulatedMarkets
from oms.marketdata.source import MarketSource, VenueUpdate
from oms.marketdata.stats import TradeWindow
from oms_core import ConsolidatedBook, Instrument, InstrumentRegistry

log = logging.getLogger(__name__)

_MS = 1_000_000
_CENT = Decimal("0.01")


class _SymbolState:
    """Everything the service keeps for one symbol."""

    __slots__ = (
        "book",
        "book_dirty",
        "book_due_ns",
        "instrument",
        "mark",
        "mark_dirty",
        "mark_due_ns",
        "published",
        "snapshot_due_ns",
        "ticker_dirty",
        "ticker_due_ns",
        "trades",
        "window",
    )

    def __init__(self, instrument: Instrument, trade_history: int) -> None:
        self.instrument = instrument
        self.book = ConsolidatedBook(instrument)
        self.published = PublishedTop()
        self.trades: deque[Trade] = deque(maxlen=trade_history)
        self.window = TradeWindow()
        self.mark: int | None = None
        self.book_dirty = self.mark_dirty = self.ticker_dirty = False
        self.book_due_ns = self.mark_due_ns = self.ticker_due_ns = self.snapshot_due_ns = 0


class MarketDataService:
    """Owns the consolidated books; implements ``MarketView`` and publishes market events.

    Args:
        registry: the instruments; one book per symbol.
        source: the venue feeds.
        bus: where events are published (None: listeners only, e.g. in tests).
        depth: levels per side kept in step by ``BookUpdate`` diffs.
        book_interval_ms, mark_interval_ms, ticker_interval_ms: the per-symbol throttles.
        snapshot_interval_ms: how often the whole published top goes out again as a
            ``BookUpdate`` with ``snapshot=True`` (same ``seq`` as the last diff), so a reader
            that joined late or missed a diff converges without asking.
        poll_interval_ms: the period of the loop started by ``start``.
        trade_history: prints kept per symbol for ``recent_trades``.
        clock: wall-clock nanoseconds, for event times and throttles.
    """

    def __init__(
        self,
        registry: InstrumentRegistry,
        source: MarketSource,
        bus: Bus | None = None,
        *,
        depth: int = 50,
        book_interval_ms: float = 100.0,
        mark_interval_ms: float = 100.0,
        ticker_interval_ms: float = 1000.0,
        snapshot_interval_ms: float = 1000.0,
        poll_interval_ms: float = 25.0,
        trade_history: int = 500,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._registry = registry
        self._source = source
        self._bus = bus
        self._depth = depth
        self._book_interval_ns = int(book_interval_ms * _MS)
        self._mark_interval_ns = int(mark_interval_ms * _MS)
        self._ticker_interval_ns = int(ticker_interval_ms * _MS)
        self._snapshot_interval_ns = int(snapshot_interval_ms * _MS)
        self._poll_interval_s = poll_interval_ms / 1000
        self._clock = clock
        self._states = {s: _SymbolState(registry.get(s), trade_history) for s in registry.symbols()}
        self._listeners: tuple[MarketListener, ...] = ()
        self._new_trades: list[MarketEvent] = []
        self._task: asyncio.Task[None] | None = None

    # --- MarketView ------------------------------------------------------------------------

    @property
    def registry(self) -> InstrumentRegistry:
        return self._registry

    def book(self, symbol: str) -> ConsolidatedBook | None:
        state = self._states.get(symbol)
        return state.book if state else None

    def mark(self, symbol: str) -> int | None:
        state = self._states.get(symbol)
        return state.mark if state else None

    def ticker(self, symbol: str) -> Ticker | None:
        """The ticker as of now (the published one is at most ``ticker_interval_ms`` older)."""
        state = self._states.get(symbol)
        return self._ticker(symbol, state, self._clock()) if state else None

    def recent_trades(self, symbol: str, limit: int = 50) -> list[Trade]:
        state = self._states.get(symbol)
        return list(islice(reversed(state.trades), limit)) if state else []

    def book_seq(self, symbol: str) -> int:
        state = self._states.get(symbol)
        return state.published.seq if state else 0

    def subscribe(self, listener: MarketListener) -> Callable[[], None]:
        self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            listeners = list(self._listeners)
            with contextlib.suppress(ValueError):
                listeners.remove(listener)
            self._listeners = tuple(listeners)

        return unsubscribe

    # --- snapshots for new readers --------------------------------------------------------

    def book_snapshot(self, symbol: str, levels: int = 20) -> BookSnapshot | None:
        """The published top ``levels`` levels (at most ``depth``) of ``symbol`` as decimal
        strings, with the ``seq`` of the last ``BookUpdate`` they include."""
        state = self._states.get(symbol)
        if state is None:
            return None
        return state.published.snapshot(state.instrument, min(levels, self._depth))

    # --- the loop -------------------------------------------------------------------------

    def apply(self, updates: Iterable[VenueUpdate]) -> None:
        """Apply venue updates to the books and record their prints."""
        states = self._states
        for update in updates:
            state = states[update.symbol]
            book = state.book
            if update.snapshot:
                book.remove_venue(update.venue)
            count = len(update.prices)
            if count == 1:
                book.update(update.venue, update.sides[0], update.prices[0], update.sizes[0])
            elif count:
                book.update_batch(
                    update.venue,
                    np.array(update.sides, dtype=np.uint8),
                    np.array(update.prices, dtype=np.int64),
                    np.array(update.sizes, dtype=np.int64),
                )
            if count or update.snapshot:
                state.book_dirty = state.mark_dirty = state.ticker_dirty = True
            for p in update.prints:
                trade = Trade(update.symbol, update.venue, p.price, p.qty, p.aggressor, p.ts_ns)
                state.trades.append(trade)
                state.window.add(p.price, p.qty, p.ts_ns)
                state.ticker_dirty = True
                self._new_trades.append(trade)

    def step(self, now_ns: int) -> list[MarketEvent]:
        """One loop turn at ``now_ns``: poll, apply, emit what is due to the listeners.

        Returns the events, for the caller to publish.
        """
        self.apply(self._source.poll(now_ns))
        events, self._new_trades = self._new_trades, []
        for symbol, state in self._states.items():
            self._emit_due(symbol, state, now_ns, events)
        if events:
            self._deliver(events)
        return events

    def _emit_due(
        self, symbol: str, state: _SymbolState, now_ns: int, events: list[MarketEvent]
    ) -> None:
        if state.book_dirty and now_ns >= state.book_due_ns:
            state.book_dirty = False
            state.book_due_ns = now_ns + self._book_interval_ns
            bids, asks = state.book.depth(self._depth)
            changed = state.published.advance(bids, asks, now_ns)
            if changed is not None:
                seq = state.published.seq
                events.append(BookUpdate(symbol, seq, *changed, now_ns, snapshot=seq == 1))
                if seq == 1:
                    state.snapshot_due_ns = now_ns + self._snapshot_interval_ns
        if state.published.seq and now_ns >= state.snapshot_due_ns:
            state.snapshot_due_ns = now_ns + self._snapshot_interval_ns
            top = state.published
            whole_bids = sorted(top.bids.items(), reverse=True)
            whole_asks = sorted(top.asks.items())
            events.append(
                BookUpdate(symbol, top.seq, whole_bids, whole_asks, now_ns, snapshot=True)
            )
        if state.mark_dirty and now_ns >= state.mark_due_ns:
            state.mark_dirty = False
            state.mark_due_ns = now_ns + self._mark_interval_ns
            mark = mark_price(state.book)
            if mark is not None and mark != state.mark:
                state.mark = mark
                events.append(MarkPrice(symbol, mark, now_ns))
                state.ticker_dirty = True
        if state.ticker_dirty and now_ns >= state.ticker_due_ns:
            state.ticker_dirty = False
            state.ticker_due_ns = now_ns + self._ticker_interval_ns
            events.append(self._ticker(symbol, state, now_ns))

    def _deliver(self, events: list[MarketEvent]) -> None:
        """Hand every event to every listener; a failing listener is logged and skipped."""
        for listener in self._listeners:
            for event in events:
                try:
                    listener(event)
                except Exception:
                    log.exception("market data listener %r failed on %s", listener, event)

    def _ticker(self, symbol: str, state: _SymbolState, now_ns: int) -> Ticker:
        inst = state.instrument
        window = state.window
        window.expire(now_ns)
        bid, ask = state.book.best_bid(), state.book.best_ask()
        last, open_ = window.last, window.open
        change = None
        if last is not None and open_ is not None:
            ratio = Decimal(100 * (last - open_)) / open_
            change = str(ratio.quantize(_CENT, rounding=ROUND_HALF_EVEN))
        return Ticker(
            symbol=symbol,
            bid=_price(inst, bid[0] if bid else None),
            bid_qty=str(inst.lots_to_qty(bid[1])) if bid else None,
            ask=_price(inst, ask[0] if ask else None),
            ask_qty=str(inst.lots_to_qty(ask[1])) if ask else None,
            last=_price(inst, last),
            mark=_price(inst, state.mark),
            open_24h=_price(inst, open_),
            high_24h=_price(inst, window.high),
            low_24h=_price(inst, window.low),
            volume_24h=str(inst.lots_to_qty(window.volume)),
            change_pct_24h=change,
            ts_ns=now_ns,
        )

    async def start(self) -> None:
        """Run the loop in a task: a turn every ``poll_interval_ms``."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="marketdata")

    async def stop(self) -> None:
        """Cancel the loop and wait for it (it holds nothing that needs flushing)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_turn = loop.time()
        while True:
            try:
                events = self.step(self._clock())
                if events and self._bus is not None:
                    items = [(event.symbol, encode(event)) for event in events]
                    await self._bus.publish_many(MARKETDATA, items)
            except BusUnavailableError as exc:
                log.warning("market data not published, the bus is unavailable: %s", exc)
            except Exception:
                log.exception("market data loop turn failed")
            # After a stall, carry on from now rather than running the missed turns back to back.
            next_turn = max(next_turn + self._poll_interval_s, loop.time())
            await asyncio.sleep(next_turn - loop.time())


def _price(instrument: Instrument, ticks: int | None) -> str | None:
    return None if ticks is None else str(instrument.ticks_to_price(ticks))


def open_source(settings: Settings, registry: InstrumentRegistry) -> MarketSource:
    """The source ``settings.marketdata`` names: ``sim`` or ``replay:PATH[?speed=X]``."""
    spec = settings.marketdata
    if spec == "sim":
        return SimulatedMarkets(
            registry,
            seed=settings.sim_seed,
            venues=settings.sim_venues,
            interval_ms=settings.sim_interval_ms,
        )
    if spec.startswith("replay:"):
        path, _, speed = spec.removeprefix("replay:").partition("?speed=")
        try:
            factor = float(speed or 1)
        except ValueError:
            raise ValueError(f"OMS_MARKETDATA={spec!r}: speed is not a number") from None
        return ReplaySource(Path(path), registry, speed=factor)
    raise ValueError(f"OMS_MARKETDATA must be 'sim' or 'replay:PATH[?speed=X]', not {spec!r}")


def create_marketdata(
    settings: Settings, registry: InstrumentRegistry, bus: Bus | None
) -> MarketDataService:
    """The service of this process, fed by the source its settings name (not started)."""
    return MarketDataService(registry, open_source(settings, registry), bus)


__all__ = ["MarketDataService", "create_marketdata", "open_source"]
