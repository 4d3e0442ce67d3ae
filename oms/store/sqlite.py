"""The embedded store: one SQLite file in WAL mode, written by one thread with group commit.

Writers queue batches and await one future; a single writer thread applies everything queued
in one transaction. Replays are harmless: an order row changes only for a higher ``seq``, an
execution is inserted once per ``exec_id``, a snapshot only for a higher ``seq``. Reads use
their own connection on the event loop: they are indexed point or page queries, cheaper than
a hop to a thread, and WAL lets them run beside the writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from oms.events import (
    TERMINAL_STATUSES,
    AccountSnapshot,
    Execution,
    OrderUpdate,
    encode,
    execution_decoder,
    order_update_decoder,
    snapshot_decoder,
)
from oms.store import StoreUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    status TEXT NOT NULL,
    open INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account, order_id);
CREATE INDEX IF NOT EXISTS orders_by_client_id ON orders (account, client_order_id);
CREATE INDEX IF NOT EXISTS open_orders ON orders (open, order_id) WHERE open = 1;
CREATE TABLE IF NOT EXISTS executions (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    exec_id TEXT NOT NULL UNIQUE,
    order_id INTEGER NOT NULL,
    account TEXT NOT NULL,
    symbol TEXT NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_account ON executions (account, n);
CREATE TABLE IF NOT EXISTS snapshots (
    account TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    doc BLOB NOT NULL
);
"""

_UPSERT_ORDER = """
INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (order_id) DO UPDATE SET
    status = excluded.status, open = excluded.open, seq = excluded.seq, doc = excluded.doc
WHERE excluded.seq > orders.seq
"""
_INSERT_EXECUTION = "INSERT OR IGNORE INTO executions VALUES (NULL, ?, ?, ?, ?, ?)"
_UPSERT_SNAPSHOT = """
INSERT INTO snapshots VALUES (?, ?, ?)
ON CONFLICT (account) DO UPDATE SET seq = excluded.seq, doc = excluded.doc
WHERE excluded.seq > snapshots.seq
"""

_Batch = tuple[Sequence[OrderUpdate], Sequence[Execution], Sequence[AccountSnapshot]]


def path_of(url: str) -> Path:
    """``sqlite:///var/oms/oms.db`` → ``var/oms/oms.db``; ``sqlite:////abs`` → ``/abs``."""
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        raise ValueError(f"not a sqlite URL: {url!r}")
    return Path(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)


class SqliteStore:
    """The ``Store`` port on a SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._write_db.execute("PRAGMA journal_mode=WAL")
        self._write_db.execute("PRAGMA synchronous=FULL")
        self._write_db.executescript(_SCHEMA)
        self._read_db = sqlite3.connect(path, isolation_level=None)
        self._read_db.execute("PRAGMA query_only=ON")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._queued: list[_Batch] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        return cls(path_of(url))

    # --- writes ----------------------------------------------------------------------------

    async def write(
        self,
        orders: Sequence[OrderUpdate] = (),
        executions: Sequence[Execution] = (),
        snapshots: Sequence[AccountSnapshot] = (),
    ) -> None:
        if not (orders or executions or snapshots):
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._queued.append((orders, executions, snapshots))
        self._waiters.append(waiter)
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush_loop())
        await waiter

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiters:
            batches, self._queued = self._queued, []
            waiters, self._waiters = self._waiters, []
            try:
                await loop.run_in_executor(self._writer, self._apply, batches)
            except sqlite3.Error as exc:
                error = StoreUnavailableError(f"store write failed: {exc}")
                for w in waiters:
                    if not w.done():
                        w.set_exception(error)
                continue
            for w in waiters:
                if not w.done():
                    w.set_result(None)

    def _apply(self, batches: list[_Batch]) -> None:
        orders = [
            (
                o.order_id,
                o.account,
                o.client_order_id,
                o.symbol,
                o.status,
                int(o.status not in TERMINAL_STATUSES),
                o.seq,
                encode(o),
            )
            for b in batches
            for o in b[0]
        ]
        executions = [
            (e.exec_id, e.order_id, e.account, e.symbol, encode(e)) for b in batches for e in b[1]
        ]
        snapshots = [(s.account, s.seq, encode(s)) for b in batches for s in b[2]]
        db = self._write_db
        with db:
            db.execute("BEGIN")
            if orders:
                db.executemany(_UPSERT_ORDER, orders)
            if executions:
                db.executemany(_INSERT_EXECUTION, executions)
            if snapshots:
                db.executemany(_UPSERT_SNAPSHOT, snapshots)

    # --- reads -----------------------------------------------------------------------------

    async def get_order(self, order_id: int) -> OrderUpdate | None:
        row = self._read_db.execute(
            "SELECT doc FROM orders WHERE order_id = ?", (order_id,)
        ).fetchone()
        return order_update_decoder.decode(row[0]) if row else None

    async def get_order_by_client_id(
        self, account: str, client_order_id: str
    ) -> OrderUpdate | None:
        row = self._read_db.execute(
            "SELECT doc FROM orders WHERE account = ? AND client_order_id = ? "
            "ORDER BY order_id DESC LIMIT 1",
            (account, client_order_id),
        ).fetchone()
        return order_update_decoder.decode(row[0]) if row else None

    async def list_orders(
        self,
        account: str,
        *,
        statuses: Collection[str] = (),
        symbol: str | None = None,
        limit: int = 100,
        cursor: int | None = None,
    ) -> list[OrderUpdate]:
        sql = ["SELECT doc FROM orders WHERE account = ?"]
        args: list[object] = [account]
        if statuses:
            sql.append(f"AND status IN ({','.join('?' * len(statuses))})")
            args += list(statuses)
        if symbol is not None:
            sql.append("AND symbol = ?")
            args.append(symbol)
        if cursor is not None:
            sql.append("AND order_id < ?")
            args.append(cursor)
        sql.append("ORDER BY order_id DESC LIMIT ?")
        args.append(limit)
        rows = self._read_db.execute(" ".join(sql), args)
        return [order_update_decoder.decode(r[0]) for r in rows]

    async def open_orders(self, account: str | None = None) -> list[OrderUpdate]:
        if account is None:
            rows = self._read_db.execute("SELECT doc FROM orders WHERE open = 1 ORDER BY order_id")
        else:
            rows = self._read_db.execute(
                "SELECT doc FROM orders WHERE open = 1 AND account = ? ORDER BY order_id",
                (account,),
            )
        return [order_update_decoder.decode(r[0]) for r in rows]

    async def list_executions(
        self,
        account: str,
        *,
        symbol: str | None = None,
        order_id: int | None = None,
        limit: int = 100,
        cursor: int | None = None,
    ) -> tuple[list[Execution], int | None]:
        sql = ["SELECT n, doc FROM executions WHERE account = ?"]
        args: list[object] = [account]
        if symbol is not None:
            sql.append("AND symbol = ?")
            args.append(symbol)
        if order_id is not None:
            sql.append("AND order_id = ?")
            args.append(order_id)
        if cursor is not None:
            sql.append("AND n < ?")
            args.append(cursor)
        sql.append("ORDER BY n DESC LIMIT ?")
        args.append(limit)
        rows = list(self._read_db.execute(" ".join(sql), args))
        next_cursor = rows[-1][0] if len(rows) == limit else None
        return [execution_decoder.decode(r[1]) for r in rows], next_cursor

    async def all_executions(self, batch: int = 10_000) -> AsyncIterator[list[Execution]]:
        last = 0
        while True:
            rows = list(
                self._read_db.execute(
                    "SELECT n, doc FROM executions WHERE n > ? ORDER BY n LIMIT ?", (last, batch)
                )
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [execution_decoder.decode(r[1]) for r in rows]

    async def get_snapshot(self, account: str) -> AccountSnapshot | None:
        row = self._read_db.execute(
            "SELECT doc FROM snapshots WHERE account = ?", (account,)
        ).fetchone()
        return snapshot_decoder.decode(row[0]) if row else None

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        self._writer.shutdown(wait=True)
        self._write_db.close()
        self._read_db.close()


__all__ = ["SqliteStore", "path_of"]
