"""Placing, reading, amending and cancelling orders.

``POST /v1/orders`` is the hot path: decode with msgspec, check against the instrument, claim
the (account, clientOrderId) key, publish the command, answer. It does nothing else.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Final, get_args

from starlette.responses import Response

from api import render
from api.context import ApiContext
from api.errors import ApiError, decode_body
from api.instruments import Market
from api.routing import (
    Call,
    Endpoint,
    Query,
    json_response,
    query_cursor,
    query_int,
)
from api.schemas import (
    AmendOrderRequest,
    PlaceOrderRequest,
    amend_order_decoder,
    place_order_decoder,
)
from oms.client import CancelAllAck, ErrorBody, Order, OrderPage
from oms.events import (
    COMMANDS,
    TERMINAL_STATUSES,
    AmendOrder,
    CancelAll,
    CancelOrder,
    NewOrder,
    OrderUpdate,
    StatusName,
    encode,
    new_order_decoder,
)
from oms.idempotency import IdempotencyUnavailableError

_REPLAYED: Final = {"Idempotent-Replayed": "true"}
_STRANDED_AFTER_NS: Final = 5_000_000_000
"""A claimed order the store has not seen this long after it was claimed may never have been
published: the API that claimed it can have died, or lost its link, in between. A retry through
any API process then publishes it; risk decides an order id once, so a copy of an order that was
only slow changes nothing."""

_PRICES: Final[dict[str, tuple[bool, bool]]] = {
    "LIMIT": (True, False),
    "MARKET": (False, False),
    "STOP_MARKET": (False, True),
    "STOP_LIMIT": (True, True),
}
"""Order type → (takes a limit price, takes a stop price)."""

_STATUSES: Final = frozenset(get_args(StatusName))


def new_order(
    request: PlaceOrderRequest, market: Market, account: str, order_id: int, ts_ns: int
) -> NewOrder:
    """The command for a decoded order request; ``ApiError`` if it cannot be a valid order."""
    takes_price, takes_stop = _PRICES[request.type]
    price = _price_field(request.price, "price", takes_price, request.type, market)
    stop_price = _price_field(request.stop_price, "stopPrice", takes_stop, request.type, market)
    return NewOrder(
        order_id=order_id,
        account=account,
        client_order_id=request.client_order_id or f"oms-{order_id}",
        symbol=market.symbol,
        side=request.side,
        order_type=request.type,
        time_in_force=request.time_in_force,
        qty=market.to_lots(request.quantity, "quantity"),
        price=price,
        stop_price=stop_price,
        reduce_only=request.reduce_only,
        ts_ns=ts_ns,
    )


def _price_field(
    value: Decimal | None, field: str, wanted: bool, order_type: str, market: Market
) -> int:
    if value is None:
        if wanted:
            raise ApiError("INVALID_FIELD", f"{order_type} orders need {field}", field)
        return 0
    if not wanted:
        raise ApiError("INVALID_FIELD", f"{order_type} orders take no {field}", field)
    return market.to_ticks(value, field)


async def place_order(call: Call) -> Response:
    api = call.api
    request = decode_body(place_order_decoder, call.body)
    market = api.catalog.get(request.symbol)
    account = call.caller.account
    order_id = api.ids.next_id()
    command = new_order(request, market, account, order_id, time.time_ns())
    payload = encode(command)
    try:
        claimed = await api.runtime.idempotency.claim(
            account, command.client_order_id, order_id, payload
        )
    except IdempotencyUnavailableError:
        # A claim sent over a link that then failed may still land after we gave up (a healed
        # partition delivers it late). It names this order id: if a retry finds it, publish.
        api.unpublished.add(order_id)
        raise

    if claimed is not None:
        return await _replay(api, command, new_order_decoder.decode(claimed), market)
    if request.client_order_id is not None and not api.runtime.idempotency.durable:
        # An in-process claim store forgets on restart; the store never does. (A durable one,
        # Redis, remembers for its TTL: asking the store too would cost a query per order.)
        earlier = await api.runtime.store.get_order_by_client_id(account, command.client_order_id)
        if earlier is not None:
            return await _replay(api, command, earlier, market)
    waiter = api.gateway.expect(order_id) if request.resp_type == "RESULT" else None
    try:
        await _publish_new(api, command, payload)
        if waiter is None:
            return json_response(render.pending_order(command, market), 202)
        return await _await_result(api, command, waiter, market)
    finally:
        if waiter is not None:
            api.gateway.forget(order_id)


async def _publish_new(api: ApiContext, command: NewOrder, payload: bytes) -> None:
    """Publish a claimed order; a failed publish is remembered so the client's retry of the
    same clientOrderId completes it instead of replaying an order that never left."""
    api.unpublished.add(command.order_id)
    await api.runtime.bus.publish(COMMANDS, command.account, payload)
    api.unpublished.discard(command.order_id)
    api.metrics.orders.labels(command.order_type).inc()


async def _await_result(
    api: ApiContext, command: NewOrder, waiter: asyncio.Future[OrderUpdate], market: Market
) -> Response:
    """RESULT: the order once risk and the venue have spoken, or PENDING_NEW (202) on timeout."""
    try:
        async with asyncio.timeout(api.settings.result_timeout_s):
            update = await waiter
    except TimeoutError:
        return json_response(render.pending_order(command, market), 202)
    if update.status == "REJECTED" and update.reject_reason:
        api.metrics.count_error(update.reject_reason)
    return json_response(render.order(update, market))


def _same_order(original: NewOrder | OrderUpdate, command: NewOrder) -> bool:
    """Whether a retry asks for the same order as the one that holds its clientOrderId."""
    return (
        original.symbol == command.symbol
        and original.side == command.side
        and original.order_type == command.order_type
        and original.time_in_force == command.time_in_force
        and original.qty == command.qty
        and original.price == command.price
        and original.stop_price == command.stop_price
        and original.reduce_only == command.reduce_only
    )


async def _replay(
    api: ApiContext, command: NewOrder, original: NewOrder | OrderUpdate, market: Market
) -> Response:
    """The clientOrderId is taken: the same order again is answered with it, anything else 409."""
    if not _same_order(original, command):
        raise ApiError(
            "DUPLICATE_CLIENT_ORDER_ID",
            f"clientOrderId {command.client_order_id!r} was used for a different order",
            "clientOrderId",
        )
    published = False
    if isinstance(original, NewOrder) and original.order_id in api.unpublished:
        await _publish_new(api, original, encode(original))
        published = True
    store = api.runtime.store
    stored = original if isinstance(original, OrderUpdate) else None
    if stored is None:
        stored = await store.get_order(original.order_id) or await store.get_order_by_client_id(
            original.account, original.client_order_id
        )
    if stored is not None:
        return json_response(render.order(stored, market), 200, _REPLAYED)
    if not isinstance(original, NewOrder):  # an OrderUpdate is ``stored`` above
        raise TypeError(f"unexpected original {type(original).__name__}")
    if not published and time.time_ns() - original.ts_ns > _STRANDED_AFTER_NS:
        await _publish_new(api, original, encode(original))
    return json_response(render.pending_order(original, market), 200, _REPLAYED)


# --- reads -----------------------------------------------------------------------------------


async def _owned(api: ApiContext, account: str, order_id_text: str) -> OrderUpdate | NewOrder:
    """The caller's order, as stored or, before the store has it, as the API accepted it.

    Another account's order is indistinguishable from a missing one (404).
    """
    missing = ApiError("ORDER_NOT_FOUND", f"no order {order_id_text[:24]!r}", "orderId")
    if not (order_id_text.isascii() and order_id_text.isdigit()) or len(order_id_text) > 19:
        raise missing
    order_id = int(order_id_text)
    found: OrderUpdate | NewOrder | None = api.gateway.orders.get(order_id)
    if found is None:
        found = await api.runtime.store.get_order(order_id)
    if found is None:
        record = await api.runtime.idempotency.by_order_id(order_id)
        found = new_order_decoder.decode(record) if record is not None else None
    if found is None or found.account != account:
        raise missing
    return found


def _view(order: OrderUpdate | NewOrder, api: ApiContext) -> dict[str, object]:
    market = api.catalog.get(order.symbol)
    if isinstance(order, OrderUpdate):
        return render.order(order, market)
    return render.pending_order(order, market)


async def get_order(call: Call) -> Response:
    api = call.api
    order = await _owned(api, call.caller.account, call.request.path_params["orderId"])
    return json_response(_view(order, api))


async def get_order_by_client_id(call: Call) -> Response:
    api = call.api
    account = call.caller.account
    client_order_id = call.request.path_params["clientOrderId"]
    order: OrderUpdate | NewOrder | None = await api.runtime.store.get_order_by_client_id(
        account, client_order_id
    )
    if order is None:
        # Accepted but not stored yet: the claim holds the order as the API accepted it.
        record = await api.runtime.idempotency.by_client_id(account, client_order_id)
        order = new_order_decoder.decode(record) if record is not None else None
    if order is None:
        raise ApiError("ORDER_NOT_FOUND", f"no order with clientOrderId {client_order_id[:64]!r}")
    return json_response(_view(order, api))


async def list_orders(call: Call) -> Response:
    api = call.api
    params = call.request.query_params
    statuses = [s for s in (params.get("status") or "").split(",") if s]
    if unknown := [s for s in statuses if s not in _STATUSES]:
        raise ApiError("INVALID_FIELD", f"unknown status {unknown[0][:24]!r}", "status")
    symbol = params.get("symbol") or None
    if symbol is not None:
        api.catalog.get(symbol)
    limit = query_int(call.request, "limit", 100, 1, 1000)
    orders = await api.runtime.store.list_orders(
        call.caller.account,
        statuses=statuses,
        symbol=symbol,
        limit=limit + 1,
        cursor=query_cursor(call.request),
    )
    page = orders[:limit]
    next_cursor = str(page[-1].order_id) if len(orders) > limit else None
    return json_response({"orders": [_view(o, api) for o in page], "nextCursor": next_cursor})


# --- changes ---------------------------------------------------------------------------------


def _open(order: OrderUpdate | NewOrder) -> None:
    if isinstance(order, OrderUpdate) and order.status in TERMINAL_STATUSES:
        raise ApiError("ORDER_NOT_OPEN", f"the order is {order.status}", "orderId")


async def amend_order(call: Call) -> Response:
    api = call.api
    request: AmendOrderRequest = decode_body(amend_order_decoder, call.body)
    if request.quantity is None and request.price is None:
        raise ApiError("INVALID_FIELD", "give quantity, price or both", "quantity")
    order = await _owned(api, call.caller.account, call.request.path_params["orderId"])
    _open(order)
    market = api.catalog.get(order.symbol)
    qty = order.qty
    if request.quantity is not None:
        qty = market.to_lots(request.quantity, "quantity")
        filled = order.cum_qty if isinstance(order, OrderUpdate) else 0
        if qty <= filled:
            raise ApiError(
                "INVALID_QUANTITY",
                f"quantity must exceed the filled {market.qty(filled)}",
                "quantity",
            )
    price = order.price
    if request.price is not None:
        if not _PRICES[order.order_type][0]:
            raise ApiError("INVALID_FIELD", f"{order.order_type} orders take no price", "price")
        price = market.to_ticks(request.price, "price")
    command = AmendOrder(order.order_id, order.account, qty, price, time.time_ns())
    await api.runtime.bus.publish(COMMANDS, order.account, encode(command))
    return json_response(_view(order, api), 202)


async def cancel_order(call: Call) -> Response:
    api = call.api
    order = await _owned(api, call.caller.account, call.request.path_params["orderId"])
    _open(order)
    command = CancelOrder(order.order_id, order.account, time.time_ns())
    await api.runtime.bus.publish(COMMANDS, order.account, encode(command))
    return json_response(_view(order, api), 202)


async def cancel_all(call: Call) -> Response:
    api = call.api
    symbol = call.request.query_params.get("symbol") or None
    if symbol is not None:
        api.catalog.get(symbol)
    account = call.caller.account
    command = CancelAll(account, symbol, time.time_ns())
    await api.runtime.bus.publish(COMMANDS, account, encode(command))
    return json_response({"account": account, "symbol": symbol}, 202)


_PAGE = (
    Query("limit", "Page size, 1 to 1000 (default 100).", "integer"),
    Query("cursor", "The nextCursor of the previous page."),
)

ENDPOINTS: Final = (
    Endpoint(
        "POST",
        "/v1/orders",
        place_order,
        "Place an order",
        "orders",
        body=PlaceOrderRequest,
        answers={202: Order, 200: Order, 409: ErrorBody, 503: ErrorBody},
        description=(
            "202: durable, PENDING_NEW (respType ACK, or RESULT that timed out). "
            "200: respType RESULT answered by risk and the venue (REJECTED carries rejectReason), "
            "or a retry of the same clientOrderId and payload (header Idempotent-Replayed: true)."
        ),
    ),
    Endpoint(
        "GET",
        "/v1/orders",
        list_orders,
        "List the account's orders, newest first",
        "orders",
        answers={200: OrderPage},
        query=(
            Query("status", "Comma-separated statuses, e.g. NEW,PARTIALLY_FILLED."),
            Query("symbol", "Only this market."),
            *_PAGE,
        ),
    ),
    Endpoint(
        "DELETE",
        "/v1/orders",
        cancel_all,
        "Cancel every open order (of one symbol)",
        "orders",
        answers={202: CancelAllAck},
        query=(Query("symbol", "Only this market."),),
    ),
    Endpoint(
        "GET",
        "/v1/orders/by-client-id/{clientOrderId}",
        get_order_by_client_id,
        "Get an order by its clientOrderId",
        "orders",
        answers={200: Order, 404: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/v1/orders/{orderId}",
        get_order,
        "Get an order",
        "orders",
        answers={200: Order, 404: ErrorBody},
    ),
    Endpoint(
        "PATCH",
        "/v1/orders/{orderId}",
        amend_order,
        "Amend an open order's total quantity and/or price",
        "orders",
        body=AmendOrderRequest,
        answers={202: Order, 404: ErrorBody, 409: ErrorBody},
    ),
    Endpoint(
        "DELETE",
        "/v1/orders/{orderId}",
        cancel_order,
        "Cancel an open order",
        "orders",
        answers={202: Order, 404: ErrorBody, 409: ErrorBody},
    ),
)

__all__ = ["ENDPOINTS", "new_order"]
