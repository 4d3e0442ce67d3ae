"""The process's one tap on the bus: fans events out to WebSocket sessions, resolves RESULT waits.

One task reads ``oms.events``, ``oms.accounts`` and ``oms.marketdata`` from the latest offset
(it never commits: a restarted tap starts at the end again, with no one to replay to) and
hands each message to the sessions that asked for it, keyed by account (private channels) or
symbol (market channels). Handing over never awaits a socket: each session has bounded
buffers and its own writer task, so a slow client can only hurt itself. Private messages are
never dropped: a session whose private buffer overflows is closed (code 4008). Tickers are
coalesced to the latest; trades keep the newest ``limit``; book diffs past the limit are thrown
away and replaced by a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
import orjson

from api import render
from api.instruments import Catalog
from api.metrics import ApiMetrics
from api.order_cache import OrderCache
from oms.bus import Consumer, Record
from oms.deadletter import dead_letter
from oms.events import (
    ACCOUNTS,
    EVENTS,
    MARKETDATA,
    AccountSnapshot,
    BookUpdate,
    Execution,
    OrderUpdate,
    Ticker,
    Trade,
    event_decoder,
    market_decoder,
    snapshot_decoder,
)
from oms.runtime import Runtime
from oms.store import StoreUnavailableError

_log = logging.getLogger(__name__)
_WARM_TIMEOUT_S = 5.0
"""An API serves cold rather than wait longer than this for the open orders at start."""

PRIVATE_CHANNELS = frozenset({"orders", "executions", "positions", "account"})
MARKET_CHANNELS = frozenset({"book", "ticker", "trades"})

CLOSE_GOING_AWAY = 1001
CLOSE_AUTH_FAILED = 4001
CLOSE_SLOW_CONSUMER = 4008
CLOSE_TOO_MANY = 4029

_HEARTBEAT = '{"type":"heartbeat"}'

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


def message(kind: str, channel: str | None, data: object) -> str:
    """The text of one stream message."""
    return orjson.dumps({"type": kind, "channel": channel, "data": data}).decode()


@dataclass(slots=True)
class BookFeed:
    """One session's view of one book channel: the last seq it was sent, and what waits."""

    last_seq: int = -1
    resync: bool = True
    pending: deque[tuple[int, bool, str]] = field(default_factory=deque)


class Session:
    """One authenticated WebSocket: its subscriptions, buffers and writer loop."""

    def __init__(
        self, account: str, send: Send, close: Close, *, limit: int, heartbeat_s: float
    ) -> None:
        self.account = account
        self.channels: set[str] = set()
        self._send = send
        self._close = close
        self._limit = limit
        self._heartbeat_s = heartbeat_s
        self._private: deque[str] = deque()
        self._tickers: dict[str, str] = {}
        self._trades: deque[str] = deque(maxlen=limit)
        self._books: dict[str, BookFeed] = {}
        self._wake = asyncio.Event()
        self._ending: tuple[int, str] | None = None

    @property
    def overflowed(self) -> bool:
        return self._ending is not None and self._ending[0] == CLOSE_SLOW_CONSUMER

    def end(self, code: int, reason: str) -> None:
        """Have the writer close the socket with ``code`` and stop."""
        if self._ending is None:
            self._ending = (code, reason)
            self._private.clear()
            self._wake.set()

    # --- fed by the gateway (never awaits) ---------------------------------------------------

    def push_private(self, text: str) -> bool:
        """Queue a private message; False (and the session is doomed) when the buffer is full."""
        if self._ending is not None:
            return False
        if len(self._private) >= self._limit:
            self.end(CLOSE_SLOW_CONSUMER, "slow consumer: private queue overflowed")
            return False
        self._private.append(text)
        self._wake.set()
        return True

    def push_ticker(self, channel: str, text: str) -> None:
        self._tickers[channel] = text
        self._wake.set()

    def push_trade(self, text: str) -> None:
        self._trades.append(text)
        self._wake.set()

    def push_book(self, symbol: str, seq: int, snapshot: bool, text: str) -> None:
        feed = self._books.get(symbol)
        if feed is None:
            return
        if len(feed.pending) >= self._limit:
            feed.pending.clear()
            feed.resync = True
        else:
            feed.pending.append((seq, snapshot, text))
        self._wake.set()

    def follow_book(self, symbol: str) -> None:
        """Start (or restart) a book channel with a snapshot."""
        feed = self._books.setdefault(symbol, BookFeed())
        feed.resync = True
        feed.pending.clear()
        self._wake.set()

    def unfollow_book(self, symbol: str) -> None:
        self._books.pop(symbol, None)

    def send_soon(self, text: str) -> None:
        """A control answer, delivered in order with private messages."""
        self._private.append(text)
        self._wake.set()

    # --- the writer --------------------------------------------------------------------------

    async def run_writer(self, book_snapshot: Callable[[str], tuple[int, str] | None]) -> None:
        """Send whatever is queued, and a heartbeat every ``heartbeat_s``; returns once the
        session was ended (after closing the socket with the code given to ``end``)."""
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self._heartbeat_s
        while True:
            delay = next_beat - loop.time()
            if delay > 0 and not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            if self._ending is not None:
                await self._close(*self._ending)
                return
            if loop.time() >= next_beat:
                await self._send(_HEARTBEAT)
                next_beat = loop.time() + self._heartbeat_s
            while self._private:
                await self._send(self._private.popleft())
            while self._tickers:
                channel = next(iter(self._tickers))
                await self._send(self._tickers.pop(channel))
            while self._trades:
                await self._send(self._trades.popleft())
            for symbol in list(self._books):
                await self._flush_book(symbol, book_snapshot)

    async def _flush_book(
        self, symbol: str, book_snapshot: Callable[[str], tuple[int, str] | None]
    ) -> None:
        feed = self._books.get(symbol)
        while feed is not None and (feed.resync or feed.pending):
            if feed.resync:
                feed.resync = False
                snapshot = book_snapshot(symbol)
                if snapshot is None:
                    return
                feed.last_seq, text = snapshot
                await self._send(text)
                continue
            seq, is_snapshot, text = feed.pending.popleft()
            if seq <= feed.last_seq and not is_snapshot:
                continue
            if is_snapshot or seq == feed.last_seq + 1:
                feed.last_seq = seq
                await self._send(text)
            else:
                feed.resync = True
            feed = self._books.get(symbol)


class Gateway:
    """Owns the bus tap, the sessions by account and symbol, and the RESULT waiters."""

    def __init__(
        self,
        runtime: Runtime,
        catalog: Catalog,
        metrics: ApiMetrics,
        *,
        heartbeat_s: float = 10.0,
        queue_limit: int = 1000,
        book_depth: int = 20,
    ) -> None:
        self._runtime = runtime
        self._catalog = catalog
        self._metrics = metrics
        self.heartbeat_s = heartbeat_s
        self.queue_limit = queue_limit
        self.book_depth = book_depth
        self._by_account: defaultdict[str, set[Session]] = defaultdict(set)
        self._by_symbol: defaultdict[str, set[Session]] = defaultdict(set)
        self._sessions: set[Session] = set()
        self._results: dict[int, asyncio.Future[OrderUpdate]] = {}
        self.orders = OrderCache()
        """The newest update of recently changed orders (read before the store)."""
        self._consumer: Consumer | None = None
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        group = f"api-gateway-{self._runtime.settings.node_id}"
        topics = [EVENTS, ACCOUNTS, MARKETDATA]
        self._consumer = self._runtime.bus.consumer(group, topics, from_latest=True)
        self._task = asyncio.create_task(self._pump(self._consumer), name="api-gateway")
        await self._warm_orders()

    async def _warm_orders(self) -> None:
        """Fill the order cache with the open orders, the ones cancels and amends name: after a
        restart they would otherwise each cost a store query (a collection scan on FerretDB).
        The stream is read from before this, and the cache keeps the newest ``seq`` either way."""
        try:
            async with asyncio.timeout(_WARM_TIMEOUT_S):
                open_orders = await self._runtime.store.open_orders()
        except (StoreUnavailableError, TimeoutError) as exc:
            _log.warning("order cache starts cold: %s", exc or "the store took too long")
            return
        for order in open_orders[-self.orders.capacity :]:
            self.orders.put(order)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for waiter in self._results.values():
            waiter.cancel()
        for session in list(self._sessions):
            session.end(CLOSE_GOING_AWAY, "server shutting down")
        if self._consumer is not None:
            await self._consumer.close()

    # --- RESULT waits ------------------------------------------------------------------------

    def expect(self, order_id: int) -> asyncio.Future[OrderUpdate]:
        """Register interest before publishing, so a fast answer cannot be missed."""
        waiter: asyncio.Future[OrderUpdate] = asyncio.get_running_loop().create_future()
        self._results[order_id] = waiter
        return waiter

    def forget(self, order_id: int) -> None:
        self._results.pop(order_id, None)

    # --- sessions ----------------------------------------------------------------------------

    def add(self, session: Session) -> None:
        self._sessions.add(session)
        self._metrics.ws_connections.set(len(self._sessions))

    def connections(self, account: str) -> int:
        """Open sessions of ``account`` (one API key per account)."""
        return sum(1 for session in self._sessions if session.account == account)

    def remove(self, session: Session) -> None:
        self._sessions.discard(session)
        self._by_account[session.account].discard(session)
        for sessions in self._by_symbol.values():
            sessions.discard(session)
        self._metrics.ws_connections.set(len(self._sessions))

    def subscribe(self, session: Session, channel: str) -> None:
        """Add an already validated channel to a session."""
        session.channels.add(channel)
        if channel in PRIVATE_CHANNELS:
            self._by_account[session.account].add(session)
            return
        kind, symbol = channel.split(":", 1)
        self._by_symbol[symbol].add(session)
        if kind == "book":
            session.follow_book(symbol)

    def unsubscribe(self, session: Session, channel: str) -> None:
        session.channels.discard(channel)
        if channel in PRIVATE_CHANNELS:
            if not session.channels & PRIVATE_CHANNELS:
                self._by_account[session.account].discard(session)
            return
        kind, symbol = channel.split(":", 1)
        if kind == "book":
            session.unfollow_book(symbol)
        if not any(c.endswith(f":{symbol}") for c in session.channels):
            self._by_symbol[symbol].discard(session)

    def book_snapshot(self, symbol: str) -> tuple[int, str] | None:
        """The top of ``symbol``'s book as last published, as a stream message, and its seq.

        Taken from what the diffs were computed against, not the live book: a level that came
        and went between two diffs is in neither, and must not be in the snapshot either.
        """
        snapshot = self._runtime.markets.book_snapshot(symbol, self.book_depth)
        market = self._catalog.markets.get(symbol)
        if snapshot is None or market is None:
            return None
        inst = market.instrument

        def rows(levels: list[tuple[str, str]]) -> list[tuple[int, int]]:
            # Rendered like the diffs, so a client can key its levels by the price text.
            return [(inst.price_to_ticks(p), inst.qty_to_lots(q)) for p, q in levels]

        data = {
            "symbol": symbol,
            "seq": snapshot.seq,
            "snapshot": True,
            "bids": render.levels(rows(snapshot.bids), market),
            "asks": render.levels(rows(snapshot.asks), market),
        }
        return snapshot.seq, message("book", f"book:{symbol}", data)

    # --- the tap -----------------------------------------------------------------------------

    async def _pump(self, consumer: Consumer) -> None:
        while True:
            try:
                records = await consumer.fetch(500, 0.5)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("gateway: reading the bus failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for record in records:
                try:
                    self._dispatch(record)
                except (msgspec.DecodeError, ValueError) as exc:
                    await dead_letter(self._runtime.bus, "api-gateway", record, exc)

    def _dispatch(self, record: Record) -> None:
        if record.topic == MARKETDATA:
            sessions = self._by_symbol.get(record.key)
            if sessions:
                self._fan_market(market_decoder.decode(record.value), sessions)
        elif record.topic == EVENTS:
            # Always decoded: every order update goes into the cache.
            sessions = self._by_account.get(record.key)
            self._fan_event(event_decoder.decode(record.value), sessions or set())
        elif record.topic == ACCOUNTS:
            sessions = self._by_account.get(record.key)
            if sessions:
                self._fan_snapshot(snapshot_decoder.decode(record.value), sessions)

    def _fan_event(self, event: object, sessions: set[Session]) -> None:
        if isinstance(event, OrderUpdate):
            self.orders.put(event)
            waiter = self._results.get(event.order_id)
            if waiter is not None and event.status != "PENDING_NEW" and not waiter.done():
                waiter.set_result(event)
            market = self._catalog.markets.get(event.symbol)
            if market is not None and sessions:
                self._fan_private(sessions, "orders", "order", render.order(event, market))
        elif isinstance(event, Execution) and sessions:
            market = self._catalog.markets.get(event.symbol)
            if market is not None:
                data = render.execution(event, market)
                self._fan_private(sessions, "executions", "execution", data)

    def _fan_snapshot(self, snapshot: AccountSnapshot, sessions: set[Session]) -> None:
        self._fan_private(sessions, "account", "account", render.account(snapshot))
        positions = {"positions": [render.position(p) for p in snapshot.positions]}
        self._fan_private(sessions, "positions", "positions", positions)

    def _fan_private(self, sessions: set[Session], channel: str, kind: str, data: object) -> None:
        text: str | None = None
        for session in list(sessions):
            if channel not in session.channels:
                continue
            text = text or message(kind, channel, data)
            if not session.push_private(text):
                self._metrics.ws_dropped.inc()
                self.remove(session)

    def _fan_market(self, event: object, sessions: set[Session]) -> None:
        if isinstance(event, BookUpdate):
            market = self._catalog.markets.get(event.symbol)
            channel = f"book:{event.symbol}"
            if market is None:
                return
            text = message("book", channel, render.book_levels(event, market))
            for session in sessions:
                if channel in session.channels:
                    session.push_book(event.symbol, event.seq, event.snapshot, text)
        elif isinstance(event, Ticker):
            channel = f"ticker:{event.symbol}"
            text = message("ticker", channel, render.ticker(event))
            for session in sessions:
                if channel in session.channels:
                    session.push_ticker(channel, text)
        elif isinstance(event, Trade):
            market = self._catalog.markets.get(event.symbol)
            channel = f"trades:{event.symbol}"
            if market is None:
                return
            text = message("trade", channel, render.trade(event, market))
            for session in sessions:
                if channel in session.channels:
                    session.push_trade(text)


__all__ = [
    "CLOSE_AUTH_FAILED",
    "CLOSE_GOING_AWAY",
    "CLOSE_SLOW_CONSUMER",
    "MARKET_CHANNELS",
    "PRIVATE_CHANNELS",
    "Gateway",
    "Session",
    "message",
]
