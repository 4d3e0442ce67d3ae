"""The Redis idempotency store: the claims of every API replica in one shared Redis.

A claim writes two keys with one expiry, ``oms:cid:<account>:<clientOrderId>`` (the record)
and ``oms:oid:<orderId>`` (the same record, for reads before the store has the order), in one
Lua script, so the pair appears at once or not at all. A lookup by order id cannot know the
account, so the two keys cannot share a cluster hash tag: the adapter wants a Redis without
cluster mode (ElastiCache "cluster mode disabled", a primary and replicas), which one primary
carries far beyond the API's rate.

Every Redis failure raises ``IdempotencyUnavailableError``: without a definite answer the API
must refuse the order (fail closed) rather than risk a duplicate.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from oms.idempotency import IdempotencyUnavailableError

# A retry replays the script after a lost answer, which then finds its own record: an identical
# record can only come from the same order id, so it counts as this caller's claim.
_CLAIM: Final = """
local existing = redis.call('GET', KEYS[1])
if existing and existing ~= ARGV[1] then
    return existing
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return false
"""


class RedisIdempotencyStore:
    """The ``IdempotencyStore`` port on Redis; entries expire after ``ttl_s``.

    Args:
        url: ``redis://[user:password@]host:port/db``, or ``rediss://`` for TLS (ElastiCache
            in-transit encryption); URL query options such as ``ssl_ca_certs`` pass through.
        ttl_s: how long a claim is remembered.
        timeout_s: socket connect and read timeout; a slow Redis is an unavailable one.
        prefix: key namespace, so several deployments (or tests) can share one database.
        max_connections: connections per process; callers beyond them wait their turn.
    """

    durable = True  # Redis keeps claims (AOF) for their TTL, across restarts of the API

    def __init__(
        self,
        url: str,
        *,
        ttl_s: float = 24 * 3600.0,
        timeout_s: float = 1.0,
        prefix: str = "oms",
        max_connections: int = 32,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, not {ttl_s}")
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._prefix = prefix
        # A burst of requests waits (up to the timeout) for one of a few connections instead
        # of failing: Redis runs one command at a time, more connections would not help. One
        # immediate retry rides over a pooled connection that a Redis restart closed.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
        )
        self._redis: Redis = Redis.from_pool(pool)
        self._claim = self._redis.register_script(_CLAIM)

    @classmethod
    def from_url(cls, url: str) -> RedisIdempotencyStore:
        """``prefix`` and ``ttl_s`` may ride in the URL's query (``?prefix=run7&ttl_s=60``);
        the other query options go to redis-py."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        ours = {k: v for k, v in query if k in ("prefix", "ttl_s")}
        rest = urlencode([(k, v) for k, v in query if k not in ours])
        kwargs: dict[str, Any] = {}
        if "prefix" in ours:
            kwargs["prefix"] = ours["prefix"]
        if "ttl_s" in ours:
            kwargs["ttl_s"] = float(ours["ttl_s"])
        return cls(urlunsplit(parts._replace(query=rest)), **kwargs)

    @classmethod
    async def connect(cls, url: str) -> RedisIdempotencyStore:
        """A store that has reached Redis once, so a process that cannot fails at start-up."""
        store = cls.from_url(url)
        try:
            await store.start()
        except BaseException:
            await store.close()
            raise
        return store

    async def start(self) -> None:
        """Reach Redis (PING).

        Raises:
            IdempotencyUnavailableError: Redis did not answer in time.
        """
        try:
            await self._redis.ping()
        except RedisError as exc:
            raise IdempotencyUnavailableError(f"Redis is unreachable: {exc}") from exc

    def _cid_key(self, account: str, client_order_id: str) -> str:
        return f"{self._prefix}:cid:{account}:{client_order_id}"

    def _oid_key(self, order_id: int) -> str:
        return f"{self._prefix}:oid:{order_id}"

    async def claim(
        self, account: str, client_order_id: str, order_id: int, record: bytes
    ) -> bytes | None:
        keys = [self._cid_key(account, client_order_id), self._oid_key(order_id)]
        try:
            existing = await self._claim(keys=keys, args=[record, self._ttl_ms])
        except RedisError as exc:
            raise IdempotencyUnavailableError(f"idempotency claim failed: {exc}") from exc
        return _record(existing)

    async def by_client_id(self, account: str, client_order_id: str) -> bytes | None:
        return await self._get(self._cid_key(account, client_order_id))

    async def by_order_id(self, order_id: int) -> bytes | None:
        return await self._get(self._oid_key(order_id))

    async def _get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(key)
        except RedisError as exc:
            raise IdempotencyUnavailableError(f"idempotency read failed: {exc}") from exc
        return _record(value)

    async def close(self) -> None:
        await self._redis.aclose()


def _record(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    raise TypeError(f"unexpected Redis reply {type(value).__name__}")


__all__ = ["RedisIdempotencyStore"]
