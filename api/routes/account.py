"""The caller's fills, positions, balances and margin."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from starlette.responses import Response

from api import render
from api.context import ApiContext
from api.errors import ApiError
from api.routing import Call, Endpoint, Query, json_response, query_cursor, query_int
from oms.client import Account, ExecutionPage, Positions

SETTLEMENT_ASSET: Final = "USDT"


async def executions(call: Call) -> Response:
    api = call.api
    params = call.request.query_params
    symbol = params.get("symbol") or None
    if symbol is not None:
        api.catalog.get(symbol)
    order_id_text = params.get("orderId") or None
    order_id = None
    if order_id_text is not None:
        if not (order_id_text.isascii() and order_id_text.isdigit()) or len(order_id_text) > 19:
            raise ApiError("INVALID_FIELD", "orderId is a decimal integer", "orderId")
        order_id = int(order_id_text)
    fills, next_cursor = await api.runtime.store.list_executions(
        call.caller.account,
        symbol=symbol,
        order_id=order_id,
        limit=query_int(call.request, "limit", 100, 1, 1000),
        cursor=query_cursor(call.request),
    )
    return json_response(
        {
            "executions": [render.execution(f, api.catalog.get(f.symbol)) for f in fills],
            "nextCursor": None if next_cursor is None else str(next_cursor),
        }
    )


async def positions(call: Call) -> Response:
    snapshot = await call.api.runtime.store.get_snapshot(call.caller.account)
    views = snapshot.positions if snapshot is not None else []
    return json_response({"positions": [render.position(p) for p in views]})


async def account(call: Call) -> Response:
    api = call.api
    name = call.caller.account
    snapshot = await api.runtime.store.get_snapshot(name)
    if snapshot is not None:
        return json_response(render.account(snapshot))
    return json_response(render.funded_account(api.accounts[name], _marks(api)))


def _marks(api: ApiContext) -> dict[str, Decimal]:
    """Each asset's mark in the settlement asset, where its spot market has one."""
    marks = {SETTLEMENT_ASSET: Decimal(1)}
    for market in api.catalog.markets.values():
        instrument = market.instrument
        if instrument.kind != "spot" or instrument.quote != SETTLEMENT_ASSET:
            continue
        ticks = api.runtime.markets.mark(market.symbol)
        if ticks:
            marks[instrument.base] = Decimal(market.price(ticks))
    return marks


ENDPOINTS: Final = (
    Endpoint(
        "GET",
        "/v1/executions",
        executions,
        "List the account's fills, newest first",
        "account",
        answers={200: ExecutionPage},
        query=(
            Query("symbol", "Only this market."),
            Query("orderId", "Only this order's fills."),
            Query("limit", "Page size, 1 to 1000 (default 100).", "integer"),
            Query("cursor", "The nextCursor of the previous page."),
        ),
    ),
    Endpoint(
        "GET",
        "/v1/positions",
        positions,
        "The account's perpetual positions",
        "account",
        answers={200: Positions},
    ),
    Endpoint(
        "GET",
        "/v1/account",
        account,
        "Balances, equity, margin, margin ratio, positions with liquidation prices",
        "account",
        answers={200: Account},
        description=(
            "Before risk publishes the account's first snapshot, the configured deposits with "
            "nothing reserved; equity values them at the spot marks (updatedAt is null)."
        ),
    ),
)

__all__ = ["ENDPOINTS", "SETTLEMENT_ASSET"]
