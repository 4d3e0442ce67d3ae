"""Security headers on every HTTP answer (API, dashboard, docs), and CORS when configured.

The dashboard is a Vite-built React app served from this origin, so its policy allows only
this origin's scripts, inline styles (React's ``style`` attributes), ``data:`` images and
WebSocket connections; no one may frame it. ``/docs`` loads Swagger UI from jsDelivr and runs
one inline script, so it gets a policy of its own naming exactly those.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.docs_page import DOCS_HTML

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)


def _inline_script_hashes(html: str) -> str:
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    digests = (base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts)
    return " ".join(f"'sha256-{d}'" for d in digests)


_CDN: Final = "https://cdn.jsdelivr.net"
DOCS_CSP: Final = (
    f"default-src 'self'; script-src 'self' {_CDN} {_inline_script_hashes(DOCS_HTML)}; "
    f"style-src 'self' 'unsafe-inline' {_CDN}; img-src 'self' data: {_CDN}; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)

SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)


class SecurityHeadersMiddleware:
    """Adds the security headers (and the page's CSP) to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope.get("path") == "/docs" else CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.raw.append((name, value))
                headers.raw.append((b"content-security-policy", csp))
                if scope.get("path", "").startswith("/v1/") and "cache-control" not in headers:
                    headers.raw.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors_origins(text: str) -> list[str]:
    """``OMS_CORS_ORIGINS``: comma-separated origins (``https://desk.example.com``)."""
    return [o.strip().rstrip("/") for o in text.split(",") if o.strip()]


CORS_HEADERS: Final = ("Content-Type", "X-OMS-KEY", "X-OMS-TIMESTAMP", "X-OMS-SIGNATURE")
CORS_EXPOSED: Final = ("Retry-After", "Idempotent-Replayed")
CORS_METHODS: Final = ("GET", "POST", "PATCH", "DELETE")

__all__ = [
    "CORS_EXPOSED",
    "CORS_HEADERS",
    "CORS_METHODS",
    "CSP",
    "DOCS_CSP",
    "SECURITY_HEADERS",
    "SecurityHeadersMiddleware",
    "cors_origins",
]
