"""The route table's vocabulary: what an endpoint declares, and the wrapper that enforces it.

Each endpoint states its access (public, any account, admin), its body and answer models and
its query parameters; ``starlette_route`` turns that into a route that reads the body within
the size limit, verifies the signature, admits the request (replay check and rate limits,
``api.admission``) and checks the role, then calls the handler with a ``Call``.
The OpenAPI document is generated from the same declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import Principal
from api.context import ApiContext
from api.errors import ApiError

Access = Literal["public", "account", "admin"]

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Query:
    """A query parameter, for the docs: ``kind`` is its JSON-schema type."""

    name: str
    description: str
    kind: Literal["string", "integer", "boolean"] = "string"


@dataclass(frozen=True, slots=True)
class Call:
    """One request as a handler sees it."""

    request: Request
    principal: Principal | None
    body: bytes

    @property
    def api(self) -> ApiContext:
        return context(self.request)

    @property
    def caller(self) -> Principal:
        """The authenticated caller (signed endpoints only)."""
        if self.principal is None:
            raise ApiError("AUTH_REQUIRED", "this endpoint needs a signed request")
        return self.principal


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    access: Access = "account"
    body: type | None = None
    answers: dict[int, type | None] = field(default_factory=dict)
    query: tuple[Query, ...] = ()
    media_type: str = JSON
    description: str = ""
    rate_limited: bool = True
    """False only for the probes: an orchestrator must always reach them."""


def context(request: Request) -> ApiContext:
    """The app's context, once the runtime is up; 503 before that."""
    api: ApiContext | None = getattr(request.app.state, "api", None)
    if api is None:
        raise ApiError("NOT_READY", "the OMS is starting")
    return api


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(content), status, headers, JSON)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ApiError("BODY_TOO_LARGE", f"bodies are limited to {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError("BODY_TOO_LARGE", f"bodies are limited to {limit} bytes")
    return bytes(body)


def request_target(request: Request) -> bytes:
    """Path and query exactly as sent: what the client signed."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return raw_path + b"?" + query if query else bytes(raw_path)


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``."""
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ApiError("INVALID_FIELD", f"{name} must be an integer from {low} to {high}", name)
    return int(text)


def query_flag(request: Request, name: str) -> bool:
    """A boolean query parameter: ``true`` or ``false``, absent meaning false."""
    text = request.query_params.get(name)
    if text is None or text == "false":
        return False
    if text == "true":
        return True
    raise ApiError("INVALID_FIELD", f"{name} must be true or false", name)


def query_cursor(request: Request) -> int | None:
    """The ``cursor`` of a page: an opaque string the previous page handed out."""
    text = request.query_params.get("cursor")
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise ApiError(
            "INVALID_FIELD", "cursor must be a nextCursor from a previous page", "cursor"
        )
    return int(text)


def starlette_route(endpoint: Endpoint) -> Route:
    handler = endpoint.handler
    if endpoint.access == "public":
        if not endpoint.rate_limited:

            async def probe(request: Request) -> Response:
                return await handler(Call(request, None, b""))

            return Route(endpoint.path, probe, methods=[endpoint.method])

        async def public(request: Request) -> Response:
            api: ApiContext | None = getattr(request.app.state, "api", None)
            if api is not None:  # before start-up the handler answers NOT_READY
                await api.admission.anonymous(request.scope)
            return await handler(Call(request, None, b""))

        return Route(endpoint.path, public, methods=[endpoint.method])

    admin_only = endpoint.access == "admin"

    async def signed(request: Request) -> Response:
        api = context(request)
        body = await read_body(request, api.settings.max_body_bytes)
        headers = request.headers
        timestamp = headers.get("x-oms-timestamp", "")
        signature = headers.get("x-oms-signature", "")
        try:
            principal = api.auth.verify(
                headers.get("x-oms-key"),
                timestamp,
                signature,
                request.method,
                request_target(request),
                body,
            )
        except ApiError as refused:
            raise await api.admission.refused_login(request.scope, refused) from None
        changes = request.method not in ("GET", "HEAD")
        await api.admission.signed(principal, timestamp, signature, changes=changes)
        if admin_only and not principal.is_admin:
            raise ApiError("FORBIDDEN", "this endpoint needs an admin key")
        return await handler(Call(request, principal, body))

    return Route(endpoint.path, signed, methods=[endpoint.method])


__all__ = [
    "JSON",
    "Access",
    "Call",
    "Endpoint",
    "Handler",
    "Query",
    "context",
    "json_response",
    "query_cursor",
    "query_int",
    "read_body",
    "request_target",
    "starlette_route",
]
