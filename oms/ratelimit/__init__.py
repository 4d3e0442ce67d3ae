"""Abuse limits shared by every API replica: token buckets and the signature replay cache.

``AdmissionStore`` is the port. ``take`` draws one token from a named bucket (per client
address); ``admit`` is the signed-request check: a signature seen before (within its expiry)
is a replay, else a token is drawn from the key's bucket, and only an admitted request's
signature is remembered (a throttled one may be sent again). The embedded adapter is
``oms.ratelimit.memory``; ``oms.ratelimit.redis`` shares the state through Redis, chosen by
the same URL as the idempotency claims (``OMS_IDEMPOTENCY``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst``."""

    rate: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a signed request: admitted, a replay, or throttled for ``retry_after_s``."""

    replayed: bool = False
    retry_after_s: float = 0.0

    @property
    def admitted(self) -> bool:
        return not self.replayed and self.retry_after_s <= 0


ADMITTED = Verdict()


class AdmissionStore(Protocol):
    async def take(self, bucket: str, limit: Limit) -> float:
        """Draw a token from ``bucket``: 0.0 if there was one, else seconds until there is."""
        ...

    async def admit(
        self, bucket: str, limit: Limit, signature: str | None, expires_at_ms: int
    ) -> Verdict:
        """A signed request of ``bucket`` (an account): refuse ``signature`` if seen before
        ``expires_at_ms`` (None: no replay check), then draw a token; remember the signature
        until ``expires_at_ms`` only when admitted."""
        ...

    async def close(self) -> None: ...


class AdmissionUnavailableError(Exception):
    """The shared store cannot answer (the API then falls back to its own memory)."""


__all__ = ["ADMITTED", "AdmissionStore", "AdmissionUnavailableError", "Limit", "Verdict"]
