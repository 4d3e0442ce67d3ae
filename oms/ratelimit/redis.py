"""Token buckets and the replay cache in Redis, shared by every API replica.

Each check is one Lua script, so it is atomic and one round trip: the clock is Redis's own
(``TIME``), so replicas with skewed clocks share one bucket fairly. Keys:
``<prefix>:rl:{<bucket>}`` (a hash of tokens and the time they were counted, expiring once the
bucket would be full again) and ``<prefix>:sig:{<bucket>}:<signature>`` (expiring when the
signature's timestamp leaves the window); the hash tag keeps one script's keys in one cluster
slot. Bucket names are account names and client addresses, never API keys.

A Redis failure raises ``AdmissionUnavailableError``; the API then falls back to its own
memory (``api.admission``).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from oms.ratelimit import ADMITTED, AdmissionUnavailableError, Limit, Verdict

# KEYS[1] bucket, KEYS[2] signature (optional). ARGV: rate per s, burst, signature expiry (ms
# since the epoch). Returns -1 for a replay, 0 when admitted, else milliseconds to wait.
_ADMIT: Final = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
    return -1
end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
if rate > 0 then
    local state = redis.call('HMGET', KEYS[1], 't', 'at')
    local tokens = tonumber(state[1]) or burst
    local at = tonumber(state[2]) or now
    tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
    if tokens < 1 then
        redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
        return math.max(1, math.ceil((1 - tokens) * 1000 / rate))
    end
    tokens = tokens - 1
    redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
    redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1)
end
if KEYS[2] then
    local ttl = tonumber(ARGV[3]) - now
    if ttl > 0 then
        redis.call('SET', KEYS[2], '1', 'PX', ttl)
    end
end
return 0
"""


class RedisAdmissionStore:
    """``AdmissionStore`` on Redis.

    Args:
        url: ``redis://…`` or ``rediss://…``, as for the idempotency store.
        prefix: key namespace (the idempotency URL's ``prefix`` query option).
        timeout_s: connect and read timeout; a slow Redis is an unavailable one.
        max_connections: connections per process.
    """

    def __init__(
        self, url: str, *, prefix: str = "oms", timeout_s: float = 1.0, max_connections: int = 16
    ) -> None:
        self._prefix = prefix
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
        )
        self._redis: Redis = Redis.from_pool(pool)
        self._admit = self._redis.register_script(_ADMIT)

    @classmethod
    def from_url(cls, url: str) -> RedisAdmissionStore:
        """The idempotency URL: its ``prefix`` option names our keys too; ``ttl_s`` is the
        claims' own; the other query options go to redis-py."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((v for k, v in query if k == "prefix"), "oms")
        rest = urlencode([(k, v) for k, v in query if k not in ("prefix", "ttl_s")])
        return cls(urlunsplit(parts._replace(query=rest)), prefix=prefix)

    async def _run(self, keys: list[str], rate: float, burst: int, expires_at_ms: int) -> int:
        try:
            answer = await self._admit(keys=keys, args=[rate, burst, expires_at_ms])
        except RedisError as exc:
            raise AdmissionUnavailableError(f"rate limit / replay check failed: {exc}") from exc
        return int(answer)

    async def take(self, bucket: str, limit: Limit) -> float:
        if not limit.enabled:
            return 0.0
        wait_ms = await self._run([f"{self._prefix}:rl:{{{bucket}}}"], limit.rate, limit.burst, 0)
        return wait_ms / 1000

    async def admit(
        self, bucket: str, limit: Limit, signature: str | None, expires_at_ms: int
    ) -> Verdict:
        keys = [f"{self._prefix}:rl:{{{bucket}}}"]
        if signature is not None:
            keys.append(f"{self._prefix}:sig:{{{bucket}}}:{signature}")
        answer = await self._run(keys, limit.rate, limit.burst, expires_at_ms)
        if answer < 0:
            return Verdict(replayed=True)
        if answer > 0:
            return Verdict(retry_after_s=answer / 1000)
        return ADMITTED

    async def close(self) -> None:
        await self._redis.aclose()


__all__ = ["RedisAdmissionStore"]
