"""An async Python client of the OMS API, and the typed shapes of what the API answers.

The response models below are the published contract: the API builds its OpenAPI document from
them (``api.openapi``) and its tests check every answer against them, so server and client
cannot drift apart. Numbers arrive as decimal strings and decode to ``Decimal``; order ids stay
strings (JavaScript loses integers above 2**53). Floats are refused on the way out.

Usage::

    async with OmsClient("http://127.0.0.1:8000", key, secret) as oms:
        order = await oms.place_order("BTC-USDT", "BUY", "LIMIT", "0.01", price="60000")
        async with oms.stream(["orders", "book:BTC-USDT"]) as events:
            async for event in events:
                ...
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx
import msgspec
import orjson
import websockets

from oms.events import (
    LiquidityName,
    OrderTypeName,
    SideName,
    StatusName,
    TimeInForceName,
    TradingStateName,
)

STREAM_PATH = "/v1/stream"

_M = TypeVar("_M")


def sign(secret: str | bytes, timestamp: str, method: str, path: str | bytes, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp + METHOD + path_with_query + body``, as lowercase hex."""
    key = secret.encode() if isinstance(secret, str) else secret
    target = path.encode() if isinstance(path, str) else path
    message = b"".join((timestamp.encode(), method.upper().encode(), target, body))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def now_ms() -> str:
    return str(time.time_ns() // 1_000_000)


# --- response models (the wire contract) -----------------------------------------------------


class Model(msgspec.Struct, rename="camel", frozen=True, gc=False):
    """Base of every answer: camelCase on the wire."""


class ErrorBody(Model, frozen=True):
    """The one error shape; ``code`` is stable, ``field`` names the offending input."""

    code: str
    message: str
    field: str | None


class Order(Model, frozen=True):
    """An order as the OMS knows it now; sizes and prices in the market's units."""

    order_id: str
    client_order_id: str
    account: str
    symbol: str
    side: SideName
    type: OrderTypeName
    time_in_force: TimeInForceName
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    reduce_only: bool
    status: StatusName
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal | None
    cum_quote: Decimal
    fee: Decimal
    last_qty: Decimal
    last_px: Decimal | None
    reject_reason: str | None
    triggered: bool
    seq: int
    created_at: int
    updated_at: int


class OrderPage(Model, frozen=True):
    orders: list[Order]
    next_cursor: str | None


class Execution(Model, frozen=True):
    """One fill; ``fee`` is in the market's quote asset."""

    exec_id: str
    order_id: str
    symbol: str
    side: SideName
    quantity: Decimal
    price: Decimal
    fee: Decimal
    liquidity: LiquidityName
    venue: str
    time: int


class ExecutionPage(Model, frozen=True):
    executions: list[Execution]
    next_cursor: str | None


class Balance(Model, frozen=True):
    asset: str
    total: Decimal
    reserved: Decimal
    available: Decimal


class Position(Model, frozen=True):
    """A perpetual position; ``None`` where a figure is undefined (no mark, no position)."""

    symbol: str
    quantity: Decimal
    entry_price: Decimal | None
    mark_price: Decimal | None
    notional: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    leverage: int
    liquidation_price: Decimal | None


class Positions(Model, frozen=True):
    positions: list[Position]


class Account(Model, frozen=True):
    """Balances and margin; ``updatedAt`` is None until risk published its first snapshot."""

    account: str
    trading_state: TradingStateName
    balances: list[Balance]
    positions: list[Position]
    equity: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    available_margin: Decimal
    margin_ratio: Decimal | None
    unrealized_pnl: Decimal
    updated_at: int | None


class Bracket(Model, frozen=True):
    """A maintenance-margin tier of a perpetual: from ``notionalFloor`` on."""

    notional_floor: Decimal
    maintenance_margin_rate: Decimal
    maintenance_amount: Decimal
    max_leverage: int


class Market(Model, frozen=True):
    """An instrument and the filters an order must pass."""

    symbol: str
    kind: str
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    max_leverage: int
    brackets: list[Bracket]


class Markets(Model, frozen=True):
    markets: list[Market]


class Book(Model, frozen=True, omit_defaults=True):
    """Consolidated levels ``[price, quantity]``, best first; ``seq`` as on the stream.

    With ``venues=true``: ``venues`` names the venues, and ``bidsByVenue[i]`` /
    ``asksByVenue[i]`` split the quantity of ``bids[i]`` / ``asks[i]`` by venue, in that order.
    """

    symbol: str
    seq: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]
    venues: list[str] | None = None
    bids_by_venue: list[list[Decimal]] | None = None
    asks_by_venue: list[list[Decimal]] | None = None


class Ticker(Model, frozen=True):
    symbol: str
    bid: Decimal | None
    bid_qty: Decimal | None
    ask: Decimal | None
    ask_qty: Decimal | None
    last: Decimal | None
    mark: Decimal | None
    open_24h: Decimal | None = msgspec.field(name="open24h")
    high_24h: Decimal | None = msgspec.field(name="high24h")
    low_24h: Decimal | None = msgspec.field(name="low24h")
    volume_24h: Decimal = msgspec.field(name="volume24h")
    change_pct_24h: Decimal | None = msgspec.field(name="changePct24h")
    time: int | None = None


class PublicTrade(Model, frozen=True):
    symbol: str
    venue: str
    price: Decimal
    quantity: Decimal
    aggressor: SideName
    time: int


class Trades(Model, frozen=True):
    trades: list[PublicTrade]


class CancelAllAck(Model, frozen=True):
    """The cancel-all command is durable; cancellations arrive as order updates."""

    account: str
    symbol: str | None


class TradingStateAck(Model, frozen=True):
    """``account`` None is the global switch."""

    account: str | None
    state: TradingStateName


class Limits(Model, frozen=True):
    """Risk limits by name (camelCase), as decimal strings or integers in text."""

    account: str
    limits: dict[str, str]


class Health(Model, frozen=True):
    status: str


class BookLevels(Model, frozen=True):
    """A ``book:{symbol}`` stream message: a snapshot, or the levels that changed (size 0
    removes a level). ``seq`` grows by one per message; on a gap, send ``resync``."""

    symbol: str
    seq: int
    snapshot: bool
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class StreamEvent(msgspec.Struct, frozen=True):
    """One WebSocket message: ``type`` says what ``data`` holds (typed where known)."""

    type: str
    channel: str | None
    data: Any


STREAM_DATA: dict[str, type[Any]] = {
    "order": Order,
    "execution": Execution,
    "account": Account,
    "positions": Positions,
    "book": BookLevels,
    "ticker": Ticker,
    "trade": PublicTrade,
}
"""How each stream message type's ``data`` decodes."""


class OmsApiError(Exception):
    """A non-2xx answer, or a WebSocket error message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status = status
        self.code = code
        self.message = message
        self.field = field


Number = str | int | Decimal
"""An exact number for requests; floats are refused because they are not exact."""


def _number(value: Number | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"numbers must be str, int or Decimal, not {type(value).__name__}")
    return str(value)


def _query(**params: object) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if v is not None}


class OmsClient:
    """Signs and sends requests; answers decode to the models above.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000``.
        api_key, api_secret: the account's credentials (``accounts.toml``).
        transport: an httpx transport, e.g. ``httpx.ASGITransport(app)`` in tests.
        timeout: seconds per request.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._secret = api_secret.encode()
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout)
        self._stamp_ms = 0
        self._stamped: set[int] = set()

    def _timestamp(self, *request: bytes) -> str:
        """Now in ms, moved on a millisecond when this client already signed the very same
        request in it: the server refuses a signature it has seen (a replay), and two
        identical orders placed within a millisecond are two orders."""
        ms = max(time.time_ns() // 1_000_000, self._stamp_ms)
        fingerprint = hash(request)
        if ms != self._stamp_ms:
            self._stamp_ms, self._stamped = ms, {fingerprint}
        elif fingerprint in self._stamped:
            ms += 1
            self._stamp_ms, self._stamped = ms, {fingerprint}
        else:
            self._stamped.add(fingerprint)
        return str(ms)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- transport ---------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        """Send one request, signed unless public; raise ``OmsApiError`` on a non-2xx answer."""
        content = orjson.dumps(body) if body is not None else b""
        request = self._http.build_request(method, path, params=params, content=content)
        if body is not None:
            request.headers["Content-Type"] = "application/json"
        if signed:
            timestamp = self._timestamp(method.encode(), request.url.raw_path, content)
            request.headers["X-OMS-KEY"] = self._key
            request.headers["X-OMS-TIMESTAMP"] = timestamp
            request.headers["X-OMS-SIGNATURE"] = sign(
                self._secret, timestamp, method, request.url.raw_path, content
            )
        response = await self._http.send(request)
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    async def _get(self, model: type[_M], path: str, signed: bool = True, **params: object) -> _M:
        response = await self.request("GET", path, params=_query(**params), signed=signed)
        return msgspec.json.decode(response.content, type=model)

    # --- orders ------------------------------------------------------------------------------

    async def place_order(
        self,
        symbol: str,
        side: SideName,
        type: OrderTypeName,
        quantity: Number,
        price: Number | None = None,
        *,
        time_in_force: TimeInForceName = "GTC",
        stop_price: Number | None = None,
        reduce_only: bool = False,
        client_order_id: str | None = None,
        resp_type: Literal["ACK", "RESULT"] = "ACK",
    ) -> Order:
        body = {
            "symbol": symbol,
            "side": side,
            "type": type,
            "timeInForce": time_in_force,
            "quantity": _number(quantity),
            "reduceOnly": reduce_only,
            "respType": resp_type,
        }
        for name, value in (
            ("price", _number(price)),
            ("stopPrice", _number(stop_price)),
            ("clientOrderId", client_order_id),
        ):
            if value is not None:
                body[name] = value
        response = await self.request("POST", "/v1/orders", body=body)
        return msgspec.json.decode(response.content, type=Order)

    async def amend_order(
        self, order_id: int | str, *, quantity: Number | None = None, price: Number | None = None
    ) -> Order:
        body = {
            k: v
            for k, v in (("quantity", _number(quantity)), ("price", _number(price)))
            if v is not None
        }
        response = await self.request("PATCH", f"/v1/orders/{order_id}", body=body)
        return msgspec.json.decode(response.content, type=Order)

    async def cancel_order(self, order_id: int | str) -> Order:
        response = await self.request("DELETE", f"/v1/orders/{order_id}")
        return msgspec.json.decode(response.content, type=Order)

    async def cancel_all(self, symbol: str | None = None) -> CancelAllAck:
        response = await self.request("DELETE", "/v1/orders", params=_query(symbol=symbol))
        return msgspec.json.decode(response.content, type=CancelAllAck)

    async def get_order(self, order_id: int | str) -> Order:
        return await self._get(Order, f"/v1/orders/{order_id}")

    async def get_order_by_client_id(self, client_order_id: str) -> Order:
        return await self._get(Order, f"/v1/orders/by-client-id/{client_order_id}")

    async def list_orders(
        self,
        *,
        status: str | None = None,
        symbol: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> OrderPage:
        """One page, newest first; ``status`` may list several, comma-separated."""
        return await self._get(
            OrderPage, "/v1/orders", status=status, symbol=symbol, limit=limit, cursor=cursor
        )

    async def iter_orders(
        self, *, status: str | None = None, symbol: str | None = None, page_size: int = 100
    ) -> AsyncIterator[Order]:
        """Every matching order, newest first, fetched page by page."""
        cursor: str | None = None
        while True:
            page = await self.list_orders(
                status=status, symbol=symbol, limit=page_size, cursor=cursor
            )
            for order in page.orders:
                yield order
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # --- account -----------------------------------------------------------------------------

    async def executions(
        self,
        *,
        symbol: str | None = None,
        order_id: int | str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> ExecutionPage:
        return await self._get(
            ExecutionPage,
            "/v1/executions",
            symbol=symbol,
            orderId=order_id,
            limit=limit,
            cursor=cursor,
        )

    async def positions(self) -> list[Position]:
        return (await self._get(Positions, "/v1/positions")).positions

    async def account(self) -> Account:
        return await self._get(Account, "/v1/account")

    # --- public market data ------------------------------------------------------------------

    async def markets(self) -> list[Market]:
        return (await self._get(Markets, "/v1/markets", signed=False)).markets

    async def book(self, symbol: str, depth: int = 20, *, venues: bool = False) -> Book:
        """The consolidated book; ``venues=True`` adds each venue's share of every level."""
        path = f"/v1/markets/{symbol}/book"
        flag = "true" if venues else None
        return await self._get(Book, path, signed=False, depth=depth, venues=flag)

    async def ticker(self, symbol: str) -> Ticker:
        return await self._get(Ticker, f"/v1/markets/{symbol}/ticker", signed=False)

    async def trades(self, symbol: str, limit: int = 50) -> list[PublicTrade]:
        path = f"/v1/markets/{symbol}/trades"
        return (await self._get(Trades, path, signed=False, limit=limit)).trades

    # --- admin -------------------------------------------------------------------------------

    async def set_trading_state(
        self, state: TradingStateName, account: str | None = None
    ) -> TradingStateAck:
        body: dict[str, object] = {"state": state}
        if account is not None:
            body["account"] = account
        response = await self.request("POST", "/v1/admin/trading-state", body=body)
        return msgspec.json.decode(response.content, type=TradingStateAck)

    async def get_limits(self, account: str) -> Limits:
        return await self._get(Limits, f"/v1/admin/accounts/{account}/limits")

    async def set_limits(self, account: str, **limits: Number) -> Limits:
        """Change some limits; names in camelCase (``maxOrderNotional=...``)."""
        body = {
            name: value if isinstance(value, int) else _number(value)
            for name, value in limits.items()
        }
        path = f"/v1/admin/accounts/{account}/limits"
        response = await self.request("PATCH", path, body=body)
        return msgspec.json.decode(response.content, type=Limits)

    # --- stream ------------------------------------------------------------------------------

    @asynccontextmanager
    async def stream(self, channels: list[str]) -> AsyncIterator[Stream]:
        """A WebSocket authenticated and subscribed to ``channels``; iterate it for events."""
        url = "ws" + self.base_url.removeprefix("http") + STREAM_PATH
        async with websockets.connect(url, max_size=2**22) as ws:
            timestamp = self._timestamp(b"GET", STREAM_PATH.encode())
            auth = {
                "op": "auth",
                "key": self._key,
                "timestamp": timestamp,
                "signature": sign(self._secret, timestamp, "GET", STREAM_PATH, b""),
            }
            stream = Stream(ws)
            await ws.send(orjson.dumps(auth).decode())
            await stream.expect("authenticated")
            await stream.subscribe(channels)
            yield stream


class Stream:
    """An open, authenticated WebSocket; heartbeats are consumed, not yielded."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self._ws = ws

    async def subscribe(self, channels: list[str]) -> None:
        await self._ws.send(orjson.dumps({"op": "subscribe", "channels": channels}).decode())
        await self.expect("subscribed")

    async def unsubscribe(self, channels: list[str]) -> None:
        await self._ws.send(orjson.dumps({"op": "unsubscribe", "channels": channels}).decode())
        await self.expect("unsubscribed")

    async def resync(self, channel: str) -> None:
        """Ask for a fresh ``book`` snapshot after a sequence gap."""
        await self._ws.send(orjson.dumps({"op": "resync", "channel": channel}).decode())

    async def recv(self) -> StreamEvent:
        """The next event; raises ``OmsApiError`` for an error message from the server."""
        while True:
            event = decode_stream_event(await self._ws.recv())
            if event.type == "heartbeat":
                continue
            if event.type == "error":
                data = event.data
                raise OmsApiError(0, data["code"], data["message"], data.get("field"))
            return event

    async def expect(self, type_: str) -> StreamEvent:
        event = await self.recv()
        if event.type != type_:
            raise OmsApiError(0, "UNEXPECTED_MESSAGE", f"expected {type_}, got {event.type}")
        return event

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        while True:
            yield await self.recv()


def decode_stream_event(raw: str | bytes) -> StreamEvent:
    """Decode one stream message, typing ``data`` by the message type where it is known."""
    message = orjson.loads(raw)
    kind = message.get("type", "")
    data = message.get("data")
    model = STREAM_DATA.get(kind)
    if model is not None and data is not None:
        data = msgspec.convert(data, model)
    return StreamEvent(kind, message.get("channel"), data)


def _api_error(response: httpx.Response) -> OmsApiError:
    try:
        body = msgspec.json.decode(response.content, type=ErrorBody)
    except msgspec.DecodeError:
        return OmsApiError(response.status_code, "HTTP_ERROR", response.text[:200])
    return OmsApiError(response.status_code, body.code, body.message, body.field)


__all__ = [
    "STREAM_DATA",
    "STREAM_PATH",
    "Account",
    "Balance",
    "Book",
    "BookLevels",
    "Bracket",
    "CancelAllAck",
    "ErrorBody",
    "Execution",
    "ExecutionPage",
    "Health",
    "Limits",
    "Market",
    "Markets",
    "Model",
    "Number",
    "OmsApiError",
    "OmsClient",
    "Order",
    "OrderPage",
    "Position",
    "Positions",
    "PublicTrade",
    "Stream",
    "StreamEvent",
    "Ticker",
    "Trades",
    "TradingStateAck",
    "decode_stream_event",
    "now_ms",
    "sign",
]
