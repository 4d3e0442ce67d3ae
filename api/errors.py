"""Every error the API answers: one table of stable codes, one exception type, one mapping.

Handlers raise ``ApiError(code, message, field)``; foreign errors (the router's 404/405, body
decoding, ``oms_core`` number checks, unavailable backends) are translated by ``to_api_error``
in exactly one place, and every one of them is rendered as
``{"code": ..., "message": ..., "field": ...}``. ``docs/API.md`` and the OpenAPI document list
the same table.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Final, Literal, NamedTuple, TypeVar

import msgspec
import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from oms.bus import BusUnavailableError
from oms.idempotency import IdempotencyUnavailableError
from oms.store import StoreUnavailableError

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

ErrorCode = Literal[
    "MALFORMED_JSON",
    "INVALID_FIELD",
    "UNKNOWN_FIELD",
    "UNKNOWN_SYMBOL",
    "INVALID_PRICE",
    "INVALID_QUANTITY",
    "INVALID_NUMBER",
    "AUTH_REQUIRED",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "TIMESTAMP_EXPIRED",
    "REPLAYED_SIGNATURE",
    "FORBIDDEN",
    "NOT_FOUND",
    "ORDER_NOT_FOUND",
    "ACCOUNT_NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "DUPLICATE_CLIENT_ORDER_ID",
    "ORDER_NOT_OPEN",
    "BODY_TOO_LARGE",
    "TOO_MANY_SUBSCRIPTIONS",
    "TOO_MANY_REQUESTS",
    "TOO_MANY_CONNECTIONS",
    "BUS_UNAVAILABLE",
    "STORE_UNAVAILABLE",
    "IDEMPOTENCY_UNAVAILABLE",
    "NOT_READY",
    "INTERNAL",
]


class ErrorSpec(NamedTuple):
    status: int
    meaning: str
    retryable: bool = False


ERRORS: Final[dict[ErrorCode, ErrorSpec]] = {
    "MALFORMED_JSON": ErrorSpec(400, "The body is not valid JSON."),
    "INVALID_FIELD": ErrorSpec(
        400, "A field is missing, has the wrong type, or is not allowed with the other fields."
    ),
    "UNKNOWN_FIELD": ErrorSpec(400, "The body has a field this endpoint does not take."),
    "UNKNOWN_SYMBOL": ErrorSpec(400, "No market has this symbol."),
    "INVALID_PRICE": ErrorSpec(
        400, "A price is zero, negative, too large or not a multiple of the tick size."
    ),
    "INVALID_QUANTITY": ErrorSpec(
        400,
        "A quantity is zero, negative, not a multiple of the lot size, outside the market's "
        "minimum and maximum, or below what is already filled.",
    ),
    "INVALID_NUMBER": ErrorSpec(400, "A number is NaN, Infinity or not a decimal number."),
    "AUTH_REQUIRED": ErrorSpec(401, "X-OMS-KEY, X-OMS-TIMESTAMP or X-OMS-SIGNATURE is missing."),
    "INVALID_API_KEY": ErrorSpec(401, "No account has this API key."),
    "INVALID_SIGNATURE": ErrorSpec(401, "The signature does not match the request."),
    "TIMESTAMP_EXPIRED": ErrorSpec(
        401, "X-OMS-TIMESTAMP is not milliseconds within the signature window of now."
    ),
    "REPLAYED_SIGNATURE": ErrorSpec(
        401,
        "This key already sent this exact signature within the signature window (a replay); "
        "sign every request afresh.",
    ),
    "FORBIDDEN": ErrorSpec(403, "The key's role may not use this endpoint (admin only)."),
    "NOT_FOUND": ErrorSpec(404, "No such route."),
    "ORDER_NOT_FOUND": ErrorSpec(404, "No order with this id belongs to the caller's account."),
    "ACCOUNT_NOT_FOUND": ErrorSpec(404, "No account has this name."),
    "METHOD_NOT_ALLOWED": ErrorSpec(405, "The route exists but not with this method."),
    "DUPLICATE_CLIENT_ORDER_ID": ErrorSpec(
        409, "The clientOrderId was already used by this account for a different order."
    ),
    "ORDER_NOT_OPEN": ErrorSpec(409, "The order is in a terminal state."),
    "BODY_TOO_LARGE": ErrorSpec(
        413, "The body (or WebSocket message) is larger than the configured maximum."
    ),
    "TOO_MANY_SUBSCRIPTIONS": ErrorSpec(
        400, "WebSocket: the connection would exceed its maximum number of channels."
    ),
    "TOO_MANY_REQUESTS": ErrorSpec(
        429, "Over the rate limit of this API key or client address; wait Retry-After seconds."
    ),
    "TOO_MANY_CONNECTIONS": ErrorSpec(
        429, "WebSocket: this API key already has the maximum number of open connections."
    ),
    "BUS_UNAVAILABLE": ErrorSpec(503, "The command could not be made durable; retry.", True),
    "STORE_UNAVAILABLE": ErrorSpec(503, "The store cannot be read now; retry.", True),
    "IDEMPOTENCY_UNAVAILABLE": ErrorSpec(
        503, "clientOrderId uniqueness cannot be checked now; nothing was accepted; retry.", True
    ),
    "NOT_READY": ErrorSpec(503, "The process is starting or stopping.", True),
    "INTERNAL": ErrorSpec(500, "A bug: no input should produce this. Please report it."),
}


class ApiError(Exception):
    """An answer other than success; its status comes from ``ERRORS[code]``."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.field = field
        self.retry_after = retry_after
        """Seconds the client should wait (429): sent as ``Retry-After``, rounded up."""

    @property
    def status(self) -> int:
        return ERRORS[self.code].status

    def body(self) -> bytes:
        return orjson.dumps({"code": self.code, "message": self.message, "field": self.field})


_FIELD_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]*)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]*)`")


def decode_body(decoder: msgspec.json.Decoder[_T], body: bytes) -> _T:
    """A request body decoded by ``decoder``; ``ApiError`` with the field at fault if not."""
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise decode_error(exc) from None
    except UnicodeDecodeError:
        raise ApiError("MALFORMED_JSON", "the body is not UTF-8") from None


def decode_error(exc: msgspec.DecodeError) -> ApiError:
    """Translate a body decoding failure into the field-level code a client can act on."""
    text = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        return ApiError("MALFORMED_JSON", f"malformed JSON: {text}")
    at = _FIELD_AT.search(text)
    path = at.group(1) if at else None
    message = text[: at.start()] if at else text
    if unknown := _UNKNOWN_FIELD.search(message):
        name = unknown.group(1)
        return ApiError("UNKNOWN_FIELD", f"unknown field {name!r}", _join(path, name))
    if missing := _MISSING_FIELD.search(message):
        name = missing.group(1)
        return ApiError("INVALID_FIELD", f"missing field {name!r}", _join(path, name))
    if message.startswith("Invalid decimal"):
        return ApiError("INVALID_NUMBER", f"{path or 'value'} is not a decimal number", path)
    return ApiError("INVALID_FIELD", f"{path or 'body'}: {message}", path or None)


def _join(path: str | None, name: str) -> str:
    return f"{path}.{name}" if path else name


_ROUTER_ERRORS: Final[dict[int, ApiError]] = {
    404: ApiError("NOT_FOUND", "no such route"),
    405: ApiError("METHOD_NOT_ALLOWED", "method not allowed on this route"),
}


def to_api_error(exc: Exception) -> ApiError:
    """The one mapping from anything raised while handling a request to its answer."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, BusUnavailableError):
        return ApiError("BUS_UNAVAILABLE", "the message bus is unavailable; retry")
    if isinstance(exc, StoreUnavailableError):
        return ApiError("STORE_UNAVAILABLE", "the store is unavailable; retry")
    if isinstance(exc, IdempotencyUnavailableError):
        return ApiError("IDEMPOTENCY_UNAVAILABLE", "the idempotency store is unavailable; retry")
    if isinstance(exc, HTTPException) and exc.status_code in _ROUTER_ERRORS:
        return _ROUTER_ERRORS[exc.status_code]
    return ApiError("INTERNAL", "internal error")


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return Response(error.body(), error.status, headers, "application/json")


async def handle_exception(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: every failure leaves in the one error shape."""
    error = to_api_error(exc)
    if error.code == "INTERNAL":
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    request.app.state.metrics.count_error(error.code)
    headers = None
    if isinstance(exc, HTTPException) and exc.headers:
        headers = dict(exc.headers)
    if error.retry_after is not None:
        headers = {**(headers or {}), "Retry-After": str(max(1, math.ceil(error.retry_after)))}
    elif ERRORS[error.code].retryable:
        headers = {**(headers or {}), "Retry-After": "1"}
    return error_response(error, headers)


__all__ = [
    "ERRORS",
    "ApiError",
    "ErrorCode",
    "ErrorSpec",
    "decode_body",
    "decode_error",
    "error_response",
    "handle_exception",
    "to_api_error",
]
