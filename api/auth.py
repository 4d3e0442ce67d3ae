"""Request signing: who is calling, checked before anything else touches the request.

A signed request carries ``X-OMS-KEY``, ``X-OMS-TIMESTAMP`` (ms since the epoch) and
``X-OMS-SIGNATURE`` = hex HMAC-SHA256(secret, timestamp + METHOD + path_with_query + body); the
rule itself lives in ``oms.client.sign`` so the client and the server share it. The timestamp
window bounds replays in time; ``api.admission`` refuses a signature used twice within it.
The signature is compared in constant time (``hmac.compare_digest``). Keys, secrets and
signatures are never logged.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass

from api.errors import ApiError
from oms.client import sign
from oms.config import AccountConfig, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: the account its key belongs to, and its role."""

    account: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class _Key:
    principal: Principal
    secret: bytes


class Authenticator:
    """Verifies signatures against the configured accounts' keys."""

    def __init__(self, accounts: Iterable[AccountConfig], window_s: float) -> None:
        self._keys = {
            a.api_key: _Key(Principal(a.name, a.role), a.api_secret.encode()) for a in accounts
        }
        self._window_ms = int(window_s * 1000)

    @property
    def window_ms(self) -> int:
        """How far a request's timestamp may be from now; also how long a signature lives."""
        return self._window_ms

    def verify(
        self,
        key: str | None,
        timestamp: str | None,
        signature: str | None,
        method: str,
        target: bytes,
        body: bytes,
    ) -> Principal:
        """The caller of a request whose path and query are ``target``; raise ``ApiError``."""
        if not key or not timestamp or not signature:
            raise ApiError(
                "AUTH_REQUIRED", "X-OMS-KEY, X-OMS-TIMESTAMP and X-OMS-SIGNATURE are required"
            )
        entry = self._keys.get(key)
        if entry is None:
            raise ApiError("INVALID_API_KEY", "unknown API key")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 16:
            raise ApiError("TIMESTAMP_EXPIRED", "the timestamp must be milliseconds since epoch")
        skew = abs(time.time_ns() // 1_000_000 - int(timestamp))
        if skew > self._window_ms:
            raise ApiError(
                "TIMESTAMP_EXPIRED",
                f"the timestamp is {skew} ms from the server's clock (window {self._window_ms} ms)",
            )
        expected = sign(entry.secret, timestamp, method, target, body)
        # Header values are latin-1 text, so any byte the client sent compares safely.
        if not hmac.compare_digest(expected.encode(), signature.encode("latin-1")):
            raise ApiError("INVALID_SIGNATURE", "the signature does not match the request")
        return entry.principal


__all__ = ["Authenticator", "Principal"]
