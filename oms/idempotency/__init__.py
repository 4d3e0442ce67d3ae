"""The idempotency port: one order per (account, clientOrderId), and recently submitted orders.

``claim`` is an atomic set-if-absent: the first caller stores its encoded ``NewOrder`` and gets
``None``; later callers get the stored bytes back and compare payloads (same → replay the
original order, different → 409). The embedded adapter is ``oms.idempotency.memory``; the Redis
adapter fits the same protocol.
"""

from __future__ import annotations

from typing import Protocol


class IdempotencyStore(Protocol):
    durable: bool
    """Whether claims survive a restart of this process (for as long as their TTL)."""

    async def claim(
        self, account: str, client_order_id: str, order_id: int, record: bytes
    ) -> bytes | None:
        """Store ``record`` unless the key is taken; return the existing record if it is."""
        ...

    async def by_client_id(self, account: str, client_order_id: str) -> bytes | None:
        """The record claimed for ``(account, client_order_id)``, if still remembered."""
        ...

    async def by_order_id(self, order_id: int) -> bytes | None:
        """The record of a recently claimed order (for reads before the store has it)."""
        ...

    async def close(self) -> None: ...


class IdempotencyUnavailableError(Exception):
    """The claim store cannot answer: the API refuses the order (503) rather than risk a
    duplicate."""

    code = "IDEMPOTENCY_UNAVAILABLE"


__all__ = ["IdempotencyStore", "IdempotencyUnavailableError"]
