"""Test doubles: a market view we control and a stand-in for risk and the processor.

The bus, store and idempotency store in tests are the real embedded adapters; these fakes
cover what a unit test must steer (book contents, a dead bus, the risk decision).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from oms.bus import Consumer
from oms.bus.memory import MemoryBus
from oms.events import (
    COMMANDS,
    EVENTS,
    NewOrder,
    OrderUpdate,
    Ticker,
    Trade,
    command_decoder,
    encode,
)
from oms.marketdata import BookSnapshot, MarketListener
from oms.store import Store
from oms_core import ConsolidatedBook, InstrumentRegistry


class FakeMarkets:
    """A ``MarketView`` whose books, marks, tickers and trades the test sets."""

    def __init__(self, registry: InstrumentRegistry) -> None:
        self._registry = registry
        self.books = {s: ConsolidatedBook(registry.get(s)) for s in registry.symbols()}
        self.seqs = dict.fromkeys(registry.symbols(), 0)
        self.marks: dict[str, int] = {}
        self.tickers: dict[str, Ticker] = {}
        self.trades: dict[str, list[Trade]] = {}

    @property
    def registry(self) -> InstrumentRegistry:
        return self._registry

    def book(self, symbol: str) -> ConsolidatedBook | None:
        return self.books.get(symbol)

    def mark(self, symbol: str) -> int | None:
        return self.marks.get(symbol)

    def ticker(self, symbol: str) -> Ticker | None:
        return self.tickers.get(symbol)

    def recent_trades(self, symbol: str, limit: int = 50) -> list[Trade]:
        return self.trades.get(symbol, [])[:limit]

    def book_seq(self, symbol: str) -> int:
        return self.seqs[symbol]

    def book_snapshot(self, symbol: str, levels: int = 20) -> BookSnapshot | None:
        """The fake publishes every change at once, so its live book is the published one."""
        book = self.books.get(symbol)
        if book is None:
            return None
        inst = self._registry.get(symbol)

        def text(rows: object) -> list[tuple[str, str]]:
            return [
                (str(inst.ticks_to_price(int(p))), str(inst.lots_to_qty(int(q))))
                for p, q in rows  # type: ignore[attr-defined]
            ]

        bids, asks = book.depth(levels)
        return BookSnapshot(symbol, self.seqs[symbol], text(bids), text(asks), 0)

    def subscribe(self, listener: MarketListener) -> Callable[[], None]:
        return lambda: None

    def quote(
        self, symbol: str, seq: int, bids: list[tuple[int, int]], asks: list[tuple[int, int]]
    ) -> None:
        book = self.books[symbol]
        for price, size in bids:
            book.update("SIM", 0, price, size)
        for price, size in asks:
            book.update("SIM", 1, price, size)
        self.seqs[symbol] = seq


def order_update(command: NewOrder, status: str, seq: int = 1, **changes: object) -> OrderUpdate:
    """The processor's report of ``command`` in ``status``."""
    fields: dict[str, object] = {
        "order_id": command.order_id,
        "account": command.account,
        "client_order_id": command.client_order_id,
        "symbol": command.symbol,
        "side": command.side,
        "order_type": command.order_type,
        "time_in_force": command.time_in_force,
        "qty": command.qty,
        "price": command.price,
        "stop_price": command.stop_price,
        "reduce_only": command.reduce_only,
        "status": status,
        "cum_qty": 0,
        "leaves_qty": command.qty if status in ("NEW", "PENDING_NEW") else 0,
        "cum_notional": 0,
        "fees": 0,
        "seq": seq,
        "created_ns": command.ts_ns,
        "updated_ns": command.ts_ns,
    }
    fields.update(changes)
    return OrderUpdate(**fields)  # type: ignore[arg-type]


class FakeProcessor:
    """Decides every new order like risk and the processor would, in one step.

    Orders above ``max_lots`` are REJECTED with INSUFFICIENT_MARGIN, the rest become NEW;
    each report is stored, then published on ``oms.events``.
    """

    def __init__(self, bus: MemoryBus, store: Store, max_lots: int = 10**12) -> None:
        self._bus = bus
        self._store = store
        self.max_lots = max_lots
        self.commands: list[object] = []
        self._consumer: Consumer = bus.consumer("fake-processor", [COMMANDS])
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.close()

    async def _run(self) -> None:
        while True:
            for record in await self._consumer.fetch(100, 0.05):
                command = command_decoder.decode(record.value)
                self.commands.append(command)
                if isinstance(command, NewOrder):
                    if command.qty > self.max_lots:
                        update = order_update(
                            command, "REJECTED", reject_reason="INSUFFICIENT_MARGIN"
                        )
                    else:
                        update = order_update(command, "NEW")
                    await self._store.write(orders=[update])
                    await self._bus.publish(EVENTS, command.account, encode(update))


def published(bus: MemoryBus, topic: str = COMMANDS) -> list[bytes]:
    """Everything published on ``topic`` so far."""
    return [record.value for record in bus.topic(topic).records]
