"""The embedded idempotency store: two dicts in process, forgetting entries after a TTL.

Entries live in insertion order, so the oldest are dropped from the front in O(1) each. After
a restart it starts empty; the API then also asks the store, which holds every order it has
seen (see docs/HOW_IT_WORKS.md, "Idempotency").

Because the store answers for older orders, a claim only has to live until its order is
stored, which the embedded processor does within milliseconds: the default TTL is a minute,
not Redis's day. A day of claims at 1,000 orders/s would hold ~50 GiB; a minute holds about
35 MiB at that rate.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TTL_S = 60.0


class MemoryIdempotencyStore:
    durable = False  # gone with the process

    def __init__(self, ttl_s: float = DEFAULT_TTL_S) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, not {ttl_s}")
        self._ttl_ns = int(ttl_s * 1e9)
        self._by_client_id: dict[tuple[str, str], tuple[int, int, bytes]] = {}
        self._by_order_id: dict[int, bytes] = {}

    async def claim(
        self, account: str, client_order_id: str, order_id: int, record: bytes
    ) -> bytes | None:
        now = time.monotonic_ns()
        self._expire(now)
        key = (account, client_order_id)
        existing = self._by_client_id.get(key)
        if existing is not None:
            return existing[2]
        self._by_client_id[key] = (now, order_id, record)
        self._by_order_id[order_id] = record
        return None

    async def by_client_id(self, account: str, client_order_id: str) -> bytes | None:
        entry = self._by_client_id.get((account, client_order_id))
        return entry[2] if entry is not None else None

    async def by_order_id(self, order_id: int) -> bytes | None:
        return self._by_order_id.get(order_id)

    def _expire(self, now: int) -> None:
        horizon = now - self._ttl_ns
        while self._by_client_id:
            key, (born, order_id, _) = next(iter(self._by_client_id.items()))
            if born > horizon:
                return
            del self._by_client_id[key]
            self._by_order_id.pop(order_id, None)

    @classmethod
    def from_url(cls, url: str) -> MemoryIdempotencyStore:
        """``memory://`` or ``memory://?ttl_s=SECONDS``."""
        query = dict(parse_qsl(urlsplit(url).query))
        unknown = set(query) - {"ttl_s"}
        if unknown:
            raise ValueError(f"{url!r}: unknown parameter {sorted(unknown)[0]!r}")
        return cls(float(query["ttl_s"])) if "ttl_s" in query else cls()

    async def close(self) -> None:
        self._by_client_id.clear()
        self._by_order_id.clear()


__all__ = ["DEFAULT_TTL_S", "MemoryIdempotencyStore"]
