"""Token buckets and the replay cache in this process (embedded mode, one API replica).

Signatures are kept in sets bucketed by the second in which they expire: a replay carries the
same timestamp, so it can only be in its own second's set, and whole seconds are dropped once
past. Sets of strings keep the garbage collector out of it (strings are not tracked).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from oms.ratelimit import ADMITTED, Limit, Verdict

_SWEEP_S: Final = 10.0


class MemoryAdmissionStore:
    """``AdmissionStore`` in this process's memory.

    Args:
        clock: monotonic seconds (tests pass their own).
        wall_ms: the wall clock in ms, against which signature expiries are kept.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._clock = clock
        self._wall_ms = wall_ms
        self._buckets: dict[str, tuple[float, float, float]] = {}  # name → (tokens, at, full at)
        self._next_sweep = 0.0
        self._seen: dict[int, set[str]] = {}  # expiry second → signatures
        self._oldest_second = 0

    def _draw(self, bucket: str, limit: Limit, now: float) -> float:
        burst = float(limit.burst)
        tokens, at, _ = self._buckets.get(bucket, (burst, now, now))
        tokens = min(burst, tokens + (now - at) * limit.rate)
        if tokens < 1.0:
            wait = (1.0 - tokens) / limit.rate
        else:
            tokens -= 1.0
            wait = 0.0
        self._buckets[bucket] = (tokens, now, now + (burst - tokens) / limit.rate)
        return wait

    def _sweep(self, now: float) -> None:
        """Forget buckets that have refilled: an idle address costs nothing after a while."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_S
        for name in [name for name, (_, _, full) in self._buckets.items() if full <= now]:
            del self._buckets[name]

    async def take(self, bucket: str, limit: Limit) -> float:
        if not limit.enabled:
            return 0.0
        now = self._clock()
        self._sweep(now)
        return self._draw(bucket, limit, now)

    async def admit(
        self, bucket: str, limit: Limit, signature: str | None, expires_at_ms: int
    ) -> Verdict:
        entry = f"{bucket}:{signature}"
        second = expires_at_ms // 1000
        if signature is not None:
            self._forget_expired()
            seen = self._seen.get(second)
            if seen is not None and entry in seen:
                return Verdict(replayed=True)
        if limit.enabled:
            now = self._clock()
            self._sweep(now)
            wait = self._draw(bucket, limit, now)
            if wait > 0:
                return Verdict(retry_after_s=wait)
        if signature is not None:
            self._seen.setdefault(second, set()).add(entry)
            self._oldest_second = min(self._oldest_second or second, second)
        return ADMITTED

    def _forget_expired(self) -> None:
        now_second = self._wall_ms() // 1000
        while self._seen and self._oldest_second < now_second:
            self._seen.pop(self._oldest_second, None)
            self._oldest_second = min(self._seen) if self._seen else 0

    @property
    def remembered(self) -> int:
        """Signatures held (for tests and metrics)."""
        return sum(len(s) for s in self._seen.values())

    async def close(self) -> None:
        self._buckets.clear()
        self._seen.clear()


__all__ = ["MemoryAdmissionStore"]
