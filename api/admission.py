"""Abuse limits at the API's door: per-key and per-address token buckets, signature replays.

A caller with a valid signature is counted by its API key (its account's bucket); everyone
else (public endpoints, failed logins) by its client address. The probes (``/healthz``,
``/readyz``, ``/metrics``) are never limited: an orchestrator must always reach them. A
signature is a replay when the same key already sent the very same signature (same
timestamp, method, path and body) within the signature window; a retry re-signs with a new
timestamp, so it is a new request (the idempotency of ``clientOrderId`` handles the rest).

The state lives where the idempotency claims do: in this process with ``memory://``, in
Redis (shared by every replica) with ``redis://``.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from urllib.parse import urlparse

from starlette.types import Scope

from api.auth import Principal
from api.errors import ApiError
from oms.config import Settings
from oms.ratelimit import AdmissionStore, AdmissionUnavailableError, Limit, Verdict
from oms.ratelimit.memory import MemoryAdmissionStore

_log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_WARN_EVERY_S = 10.0


def open_admission_store(settings: Settings) -> AdmissionStore:
    """The store for the idempotency URL's backend: Redis shared, or this process's memory."""
    if urlparse(settings.idempotency).scheme in ("redis", "rediss"):
        from oms.ratelimit.redis import RedisAdmissionStore

        return RedisAdmissionStore.from_url(settings.idempotency)
    return MemoryAdmissionStore()


def parse_networks(text: str) -> tuple[Network, ...]:
    """``OMS_TRUSTED_PROXIES``: comma-separated addresses or CIDRs."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",")
                 if part.strip())  # fmt: skip


def client_address(scope: Scope, trusted: Sequence[Network]) -> str:
    """The caller's address: the peer, or, when the peer is a trusted proxy, the nearest
    address in ``X-Forwarded-For`` that is not one of ours (the left part is the client's
    own claim and could be forged)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not trusted or not _within(peer, trusted):
        return str(peer)
    forwarded = b",".join(v for k, v in scope.get("headers", ()) if k == b"x-forwarded-for")
    hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _is_address(hop) else str(peer)
    return str(peer)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _throttled(wait_s: float, what: str) -> ApiError:
    return ApiError("TOO_MANY_REQUESTS", f"{what}; retry in {wait_s:.3f} s", retry_after=wait_s)


class Admission:
    """The API's limits over an ``AdmissionStore``."""

    def __init__(self, store: AdmissionStore, settings: Settings, window_ms: int) -> None:
        self.store = store
        self.fallback = store if isinstance(store, MemoryAdmissionStore) else MemoryAdmissionStore()
        self.key_limit = Limit(settings.rate_limit_key_per_s, settings.rate_limit_key_burst)
        self.ip_limit = Limit(settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst)
        self.replay_cache = settings.replay_cache
        self.trusted = parse_networks(settings.trusted_proxies)
        self._window_ms = window_ms
        self._warned_at = -math.inf

    def _fall_back(self, exc: AdmissionUnavailableError) -> None:
        """Log the fallback to this process's memory, at most every 10 s (not once a request)."""
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            _log.warning("shared rate limits and replay cache unavailable, this process's own "
                         "apply: %s", exc)  # fmt: skip

    def address(self, scope: Scope) -> str:
        return client_address(scope, self.trusted)

    async def anonymous(self, scope: Scope) -> None:
        """Count a request without a valid key against its address; 429 when over."""
        if not self.ip_limit.enabled:
            return
        bucket = f"ip:{self.address(scope)}"
        try:
            wait = await self.store.take(bucket, self.ip_limit)
        except AdmissionUnavailableError as exc:
            self._fall_back(exc)
            wait = await self.fallback.take(bucket, self.ip_limit)
        if wait > 0:
            raise _throttled(wait, "too many requests from this address")

    async def refused_login(self, scope: Scope, error: ApiError) -> ApiError:
        """A failed login counts against its address: the error to answer (429 once over)."""
        try:
            await self.anonymous(scope)
        except ApiError as throttled:
            return throttled
        return error

    async def signed(
        self, principal: Principal, timestamp: str, signature: str, *, changes: bool
    ) -> None:
        """Admit a verified request of ``principal``: the replay check when it ``changes``
        something (or is a stream login), then its key's bucket."""
        replay_of = signature.lower() if self.replay_cache and changes else None
        if replay_of is None and not self.key_limit.enabled:
            return
        bucket = f"key:{principal.account}"
        expires_at_ms = int(timestamp) + self._window_ms
        verdict: Verdict
        try:
            verdict = await self.store.admit(bucket, self.key_limit, replay_of, expires_at_ms)
        except AdmissionUnavailableError as exc:
            self._fall_back(exc)
            verdict = await self.fallback.admit(bucket, self.key_limit, replay_of, expires_at_ms)
        if verdict.replayed:
            raise ApiError(
                "REPLAYED_SIGNATURE",
                "this signature was already used; sign every request afresh",
            )
        if verdict.retry_after_s > 0:
            raise _throttled(verdict.retry_after_s, "too many requests with this API key")


__all__ = ["Admission", "client_address", "open_admission_store", "parse_networks"]
