"""The persistence port: orders, executions and account snapshots.

Writes are idempotent so a replay after a crash changes nothing: an order is replaced only by
a newer ``seq``, an execution is inserted once per ``exec_id``, a snapshot only by a newer
``seq``. The embedded adapter is ``oms.store.sqlite``; the MongoDB-wire adapter fits the same
protocol. Lists are newest first and paged by ``cursor`` (the last id of the previous page).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from typing import Protocol

from oms.events import AccountSnapshot, Execution, OrderUpdate


class Store(Protocol):
    async def write(
        self,
        orders: Sequence[OrderUpdate] = (),
        executions: Sequence[Execution] = (),
        snapshots: Sequence[AccountSnapshot] = (),
    ) -> None:
        """Apply a batch atomically; durable when this returns."""
        ...

    async def get_order(self, order_id: int) -> OrderUpdate | None: ...

    async def get_order_by_client_id(
        self, account: str, client_order_id: str
    ) -> OrderUpdate | None: ...

    async def list_orders(
        self,
        account: str,
        *,
        statuses: Collection[str] = (),
        symbol: str | None = None,
        limit: int = 100,
        cursor: int | None = None,
    ) -> list[OrderUpdate]:
        """Orders of ``account`` newest first (by order id), ids below ``cursor`` if given."""
        ...

    async def open_orders(self, account: str | None = None) -> list[OrderUpdate]:
        """Every order not in a terminal state (of one account, or of all), oldest first."""
        ...

    async def list_executions(
        self,
        account: str,
        *,
        symbol: str | None = None,
        order_id: int | None = None,
        limit: int = 100,
        cursor: int | None = None,
    ) -> tuple[list[Execution], int | None]:
        """Fills of ``account`` newest first, and the cursor of the next page (None at the end).

        The cursor is the store's insertion number of the last fill returned.
        """
        ...

    def all_executions(self, batch: int = 10_000) -> AsyncIterator[list[Execution]]:
        """Every execution in the order it was stored (recovery replays them)."""
        ...

    async def get_snapshot(self, account: str) -> AccountSnapshot | None: ...

    async def close(self) -> None: ...


class StoreUnavailableError(Exception):
    """The store cannot be reached or written (disk full, server down): retryable, 503."""

    code = "STORE_UNAVAILABLE"


__all__ = ["Store", "StoreUnavailableError"]
