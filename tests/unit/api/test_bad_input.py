"""Every bad input answers its 4xx code in the one error shape, never 500, and publishes nothing."""

from __future__ import annotations

import httpx
import pytest

from oms.bus.memory import MemoryBus
from oms.client import ErrorBody
from oms.runtime import Runtime
from tests.unit.api.conftest import Caller
from tests.unit.api.contract import conforms
from tests.unit.api.fakes import published

GOOD = '"symbol":"BTC-USDT","side":"BUY","type":"LIMIT"'

BAD_ORDERS: list[tuple[str, bytes, int, str, str | None]] = [
    ("empty body", b"", 400, "MALFORMED_JSON", None),
    ("truncated", b'{"symbol":', 400, "MALFORMED_JSON", None),
    ("not json", b"symbol=BTC", 400, "MALFORMED_JSON", None),
    (
        "NaN literal",
        b"{" + GOOD.encode() + b',"quantity":NaN,"price":"1"}',
        400,
        "MALFORMED_JSON",
        None,
    ),
    ("array", b"[1,2]", 400, "INVALID_FIELD", None),
    ("missing quantity", b"{" + GOOD.encode() + b',"price":"1"}', 400, "INVALID_FIELD", "quantity"),
    (
        "missing symbol",
        b'{"side":"BUY","type":"LIMIT","quantity":"1","price":"1"}',
        400,
        "INVALID_FIELD",
        "symbol",
    ),
    (
        "side wrong",
        b'{"symbol":"BTC-USDT","side":"HOLD","type":"LIMIT","quantity":"1","price":"1"}',
        400,
        "INVALID_FIELD",
        "side",
    ),
    (
        "type wrong type",
        b'{"symbol":"BTC-USDT","side":"BUY","type":1,"quantity":"1","price":"1"}',
        400,
        "INVALID_FIELD",
        "type",
    ),
    (
        "quantity bool",
        b"{" + GOOD.encode() + b',"quantity":true,"price":"1"}',
        400,
        "INVALID_FIELD",
        "quantity",
    ),
    (
        "quantity object",
        b"{" + GOOD.encode() + b',"quantity":{},"price":"1"}',
        400,
        "INVALID_FIELD",
        "quantity",
    ),
    (
        "reduceOnly string",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","reduceOnly":"yes"}',
        400,
        "INVALID_FIELD",
        "reduceOnly",
    ),
    (
        "timeInForce wrong",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","timeInForce":"DAY"}',
        400,
        "INVALID_FIELD",
        "timeInForce",
    ),
    (
        "respType wrong",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","respType":"FULL"}',
        400,
        "INVALID_FIELD",
        "respType",
    ),
    (
        "clientOrderId too long",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","clientOrderId":"' + b"x" * 65 + b'"}',
        400,
        "INVALID_FIELD",
        "clientOrderId",
    ),
    (
        "clientOrderId spaces",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","clientOrderId":"a b"}',
        400,
        "INVALID_FIELD",
        "clientOrderId",
    ),
    (
        "unknown field",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","leverage":5}',
        400,
        "UNKNOWN_FIELD",
        "leverage",
    ),
    (
        "snake_case field",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","client_order_id":"a"}',
        400,
        "UNKNOWN_FIELD",
        "client_order_id",
    ),
    (
        "unknown symbol",
        b'{"symbol":"DOGE-USDT","side":"BUY","type":"LIMIT","quantity":"1","price":"1"}',
        400,
        "UNKNOWN_SYMBOL",
        "symbol",
    ),
    (
        "NaN string",
        b"{" + GOOD.encode() + b',"quantity":"NaN","price":"1"}',
        400,
        "INVALID_NUMBER",
        "quantity",
    ),
    (
        "Infinity price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"Infinity"}',
        400,
        "INVALID_NUMBER",
        "price",
    ),
    (
        "-Infinity price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"-Infinity"}',
        400,
        "INVALID_NUMBER",
        "price",
    ),
    (
        "word quantity",
        b"{" + GOOD.encode() + b',"quantity":"one","price":"1"}',
        400,
        "INVALID_NUMBER",
        "quantity",
    ),
    (
        "negative quantity",
        b"{" + GOOD.encode() + b',"quantity":"-1","price":"1"}',
        400,
        "INVALID_QUANTITY",
        "quantity",
    ),
    (
        "zero quantity",
        b"{" + GOOD.encode() + b',"quantity":0,"price":"1"}',
        400,
        "INVALID_QUANTITY",
        "quantity",
    ),
    (
        "off-grid quantity",
        b"{" + GOOD.encode() + b',"quantity":"0.000001","price":"1"}',
        400,
        "INVALID_QUANTITY",
        "quantity",
    ),
    (
        "above max quantity",
        b"{" + GOOD.encode() + b',"quantity":"9001","price":"1"}',
        400,
        "INVALID_QUANTITY",
        "quantity",
    ),
    (
        "huge quantity",
        b"{" + GOOD.encode() + b',"quantity":1e400,"price":"1"}',
        400,
        "INVALID_QUANTITY",
        "quantity",
    ),
    (
        "huge integer quantity",
        b"{" + GOOD.encode() + b',"quantity":' + b"9" * 60 + b',"price":"1"}',
        400,
        "INVALID_QUANTITY",
        "quantity",
    ),
    (
        "negative price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":-5}',
        400,
        "INVALID_PRICE",
        "price",
    ),
    (
        "zero price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"0"}',
        400,
        "INVALID_PRICE",
        "price",
    ),
    (
        "off-grid price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"60000.001"}',
        400,
        "INVALID_PRICE",
        "price",
    ),
    (
        "huge price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1e30"}',
        400,
        "INVALID_PRICE",
        "price",
    ),
    (
        "tiny price",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1e-400"}',
        400,
        "INVALID_PRICE",
        "price",
    ),
    (
        "limit without price",
        b"{" + GOOD.encode() + b',"quantity":"1"}',
        400,
        "INVALID_FIELD",
        "price",
    ),
    (
        "market with price",
        b'{"symbol":"BTC-USDT","side":"BUY","type":"MARKET","quantity":"1","price":"1"}',
        400,
        "INVALID_FIELD",
        "price",
    ),
    (
        "stop without stopPrice",
        b'{"symbol":"BTC-USDT","side":"BUY","type":"STOP_MARKET","quantity":"1"}',
        400,
        "INVALID_FIELD",
        "stopPrice",
    ),
    (
        "limit with stopPrice",
        b"{" + GOOD.encode() + b',"quantity":"1","price":"1","stopPrice":"2"}',
        400,
        "INVALID_FIELD",
        "stopPrice",
    ),
    (
        "stop-limit off-grid stop",
        b'{"symbol":"BTC-USDT","side":"BUY","type":"STOP_LIMIT","quantity":"1","price":"1","stopPrice":"1.001"}',
        400,
        "INVALID_PRICE",
        "stopPrice",
    ),
    ("oversized body", b'{"symbol":"' + b"A" * 5000 + b'"}', 413, "BODY_TOO_LARGE", None),
    ("invalid utf-8", b'{"symbol":"\xff\xfe"}', 400, "MALFORMED_JSON", None),
]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [case[1:] for case in BAD_ORDERS],
    ids=[case[0] for case in BAD_ORDERS],
)
async def test_bad_order_is_refused_with_its_code(
    alice: Caller, runtime: Runtime, body: bytes, status: int, code: str, field: str | None
) -> None:
    response = await alice.send("POST", "/v1/orders", content=body)
    error = conforms(response.content, ErrorBody)
    assert (response.status_code, error.code, error.field) == (status, code, field), error
    assert isinstance(runtime.bus, MemoryBus)
    assert published(runtime.bus) == []


BAD_REQUESTS: list[tuple[str, str, bytes, int, str]] = [
    ("PATCH", "/v1/orders/{id}", b"{}", 400, "INVALID_FIELD"),
    ("PATCH", "/v1/orders/{id}", b'{"quantity":"NaN"}', 400, "INVALID_NUMBER"),
    ("PATCH", "/v1/orders/{id}", b'{"price":"0.001"}', 400, "INVALID_PRICE"),
    ("PATCH", "/v1/orders/{id}", b'{"quantity":"0"}', 400, "INVALID_QUANTITY"),
    ("PATCH", "/v1/orders/{id}", b'{"side":"SELL"}', 400, "UNKNOWN_FIELD"),
    ("PATCH", "/v1/orders/{id}", b'{"price":', 400, "MALFORMED_JSON"),
    ("GET", "/v1/orders?limit=0", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/orders?limit=abc", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/orders?cursor=xyz", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/orders?status=OPEN", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/orders?symbol=NOPE", b"", 400, "UNKNOWN_SYMBOL"),
    ("DELETE", "/v1/orders?symbol=NOPE", b"", 400, "UNKNOWN_SYMBOL"),
    ("GET", "/v1/executions?orderId=x", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/executions?limit=100000", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/markets/NOPE/book", b"", 400, "UNKNOWN_SYMBOL"),
    ("GET", "/v1/markets/BTC-USDT/book?depth=0", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/markets/BTC-USDT/book?depth=-1", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/markets/BTC-USDT/book?venues=yes", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/markets/NOPE/ticker", b"", 400, "UNKNOWN_SYMBOL"),
    ("GET", "/v1/markets/BTC-USDT/trades?limit=x", b"", 400, "INVALID_FIELD"),
    ("GET", "/v1/nothing-here", b"", 404, "NOT_FOUND"),
    ("POST", "/v1/markets", b"", 405, "METHOD_NOT_ALLOWED"),
    ("PUT", "/v1/orders", b"", 405, "METHOD_NOT_ALLOWED"),
    ("POST", "/somewhere", b"", 404, "NOT_FOUND"),
    ("GET", "/v1/orders/", b"", 404, "NOT_FOUND"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {b[:12]!r}" for m, p, b, _, _ in BAD_REQUESTS],
)
async def test_bad_request_is_refused_with_its_code(
    alice: Caller,
    runtime: Runtime,
    method: str,
    path: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    placed = await alice.send(
        "POST",
        "/v1/orders",
        {"symbol": "BTC-USDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"},
    )
    assert isinstance(runtime.bus, MemoryBus)
    before = len(published(runtime.bus))
    response = await alice.send(method, path.format(id=placed.json()["orderId"]), content=body)
    error = conforms(response.content, ErrorBody)
    assert (response.status_code, error.code) == (status, code), error
    assert len(published(runtime.bus)) == before


async def test_oversized_body_is_refused_before_it_is_read(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/orders", content=b"x" * 10, headers={"Content-Length": "999999999"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "BODY_TOO_LARGE")


ADMIN_BAD: list[tuple[str, str, bytes, int, str, str | None]] = [
    ("POST", "/v1/admin/trading-state", b'{"state":"PAUSED"}', 400, "INVALID_FIELD", "state"),
    (
        "POST",
        "/v1/admin/trading-state",
        b'{"state":"HALTED","account":"x"}',
        404,
        "ACCOUNT_NOT_FOUND",
        "account",
    ),
    ("POST", "/v1/admin/trading-state", b"{}", 400, "INVALID_FIELD", "state"),
    ("PATCH", "/v1/admin/accounts/alice/limits", b"{}", 400, "INVALID_FIELD", None),
    (
        "PATCH",
        "/v1/admin/accounts/alice/limits",
        b'{"priceBand":"2"}',
        400,
        "INVALID_FIELD",
        "priceBand",
    ),
    (
        "PATCH",
        "/v1/admin/accounts/alice/limits",
        b'{"maxOrderNotional":"-1"}',
        400,
        "INVALID_FIELD",
        "maxOrderNotional",
    ),
    (
        "PATCH",
        "/v1/admin/accounts/alice/limits",
        b'{"maxOrderNotional":"NaN"}',
        400,
        "INVALID_NUMBER",
        "maxOrderNotional",
    ),
    (
        "PATCH",
        "/v1/admin/accounts/alice/limits",
        b'{"maxOpenOrders":0}',
        400,
        "INVALID_FIELD",
        "maxOpenOrders",
    ),
    (
        "PATCH",
        "/v1/admin/accounts/alice/limits",
        b'{"maxOpenOrders":"5"}',
        400,
        "INVALID_FIELD",
        "maxOpenOrders",
    ),
    (
        "PATCH",
        "/v1/admin/accounts/alice/limits",
        b'{"max_open_orders":5}',
        400,
        "UNKNOWN_FIELD",
        "max_open_orders",
    ),
    (
        "PATCH",
        "/v1/admin/accounts/nobody/limits",
        b'{"maxOpenOrders":5}',
        404,
        "ACCOUNT_NOT_FOUND",
        "account",
    ),
    ("GET", "/v1/admin/accounts/nobody/limits", b"", 404, "ACCOUNT_NOT_FOUND", "account"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "field"), ADMIN_BAD)
async def test_bad_admin_request_is_refused(
    root: Caller,
    runtime: Runtime,
    method: str,
    path: str,
    body: bytes,
    status: int,
    code: str,
    field: str | None,
) -> None:
    response = await root.send(method, path, content=body)
    error = conforms(response.content, ErrorBody)
    assert (response.status_code, error.code, error.field) == (status, code, field), error
    assert isinstance(runtime.bus, MemoryBus)
    assert published(runtime.bus) == []
