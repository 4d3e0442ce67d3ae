"""A SQLite journal that makes the in-process bus durable: messages and committed offsets.

Writes are group-committed: callers queue rows and await one future; a single writer thread
flushes everything queued in one transaction, so under load one fsync covers many messages.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from oms.bus import BusUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    topic TEXT NOT NULL, offset INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (topic, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets (
    grp TEXT NOT NULL, topic TEXT NOT NULL, offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic)
) WITHOUT ROWID;
"""

LogRow = tuple[str, int, str, bytes]
OffsetRow = tuple[str, str, int]
DurableSink = Callable[[list[LogRow]], None]


class Journal:
    """The durable log of some topics and the offsets groups committed on them.

    The journal numbers messages itself, in the order they are flushed, and hands each flushed
    batch to ``on_durable`` (on the event loop) before any publisher of it is answered: the
    in-memory log then grows in offset order without holes, whatever order publishers resume.
    """

    def __init__(self, path: Path, on_durable: DurableSink) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bus-journal")
        self._on_durable = on_durable
        self._next: dict[str, int] = {}
        self._rows: list[tuple[str, str, bytes]] = []
        self._offsets: dict[tuple[str, str], int] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None

    def load(self) -> tuple[list[LogRow], list[OffsetRow]]:
        """Every retained message (by topic, in offset order) and every committed offset."""
        rows = list(
            self._db.execute("SELECT topic, offset, key, value FROM log ORDER BY topic, offset")
        )
        offsets = list(self._db.execute("SELECT grp, topic, offset FROM offsets"))
        for topic, offset, _, _ in rows:
            self._next[topic] = offset + 1
        for _, topic, offset in offsets:
            self._next[topic] = max(self._next.get(topic, 0), offset)
        return rows, offsets

    def next_offset(self, topic: str) -> int:
        return self._next.get(topic, 0)

    async def append(self, topic: str, items: Sequence[tuple[str, bytes]]) -> None:
        """Durable (and handed to ``on_durable``) when this returns."""
        self._rows.extend((topic, k, v) for k, v in items)
        await self._wait_flush()

    async def commit(self, group: str, offsets: Iterable[tuple[str, int]]) -> None:
        for topic, offset in offsets:
            self._offsets[(group, topic)] = offset
        await self._wait_flush()

    async def trim(self, topic: str, below: int) -> None:
        """Forget messages every group is done with."""
        await asyncio.get_running_loop().run_in_executor(
            self._writer, self._delete_below, topic, below
        )

    async def drain(self) -> None:
        """Wait for the flush in progress (if any)."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._db.close()

    async def _wait_flush(self) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        if not self._flushing:
            self._flushing = True
            self._flusher = loop.create_task(self._flush_loop())
        await waiter

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiters:
                pending, self._rows = self._rows, []
                offsets, self._offsets = self._offsets, {}
                waiters, self._waiters = self._waiters, []
                numbered = self._number(pending)
                try:
                    await loop.run_in_executor(self._writer, self._write, numbered, offsets)
                except sqlite3.Error as exc:  # every waiter learns; nothing is reported durable
                    for topic, offset, _, _ in reversed(numbered):
                        self._next[topic] = offset
                    # A full disk or a failing device: retryable, like a broker that is down.
                    error = BusUnavailableError(f"bus journal write failed: {exc}")
                    error.__cause__ = exc
                    for w in waiters:
                        if not w.done():
                            w.set_exception(error)
                    continue
                if numbered:
                    self._on_durable(numbered)
                for w in waiters:
                    if not w.done():
                        w.set_result(None)
        finally:
            self._flushing = False

    def _number(self, pending: list[tuple[str, str, bytes]]) -> list[LogRow]:
        out: list[LogRow] = []
        for topic, key, value in pending:
            offset = self._next.get(topic, 0)
            self._next[topic] = offset + 1
            out.append((topic, offset, key, value))
        return out

    def _write(self, rows: list[LogRow], offsets: dict[tuple[str, str], int]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            if rows:
                self._db.executemany("INSERT INTO log VALUES (?, ?, ?, ?)", rows)
            if offsets:
                self._db.executemany(
                    "INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT (grp, topic) "
                    "DO UPDATE SET offset = max(offset, excluded.offset)",
                    [(g, t, o) for (g, t), o in offsets.items()],
                )

    def _delete_below(self, topic: str, below: int) -> None:
        with self._db:
            self._db.execute("DELETE FROM log WHERE topic = ? AND offset < ?", (topic, below))


__all__ = ["Journal"]
