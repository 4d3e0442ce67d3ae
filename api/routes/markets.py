"""Public market data: instruments and their filters, consolidated books, tickers, trades."""

from __future__ import annotations

from typing import Final

from starlette.responses import Response

from api import render
from api.errors import ApiError
from api.routing import JSON, Call, Endpoint, Query, json_response, query_flag, query_int
from oms.client import Book, Markets, Ticker, Trades
from oms_core import ASK, BID


async def markets(call: Call) -> Response:
    return Response(call.api.catalog.listing, media_type=JSON)


async def book(call: Call) -> Response:
    api = call.api
    market = api.catalog.get(call.request.path_params["symbol"])
    depth = query_int(call.request, "depth", 20, 1, 500)
    by_venue = query_flag(call.request, "venues")
    consolidated = api.runtime.markets.book(market.symbol)
    if consolidated is None:
        raise ApiError("UNKNOWN_SYMBOL", f"no book for {market.symbol}", "symbol")
    seq = api.runtime.markets.book_seq(market.symbol)
    bids, asks = consolidated.depth(depth)
    body: dict[str, object] = {
        "symbol": market.symbol,
        "seq": seq,
        "bids": render.levels(bids, market),
        "asks": render.levels(asks, market),
    }
    if by_venue:
        body["venues"] = consolidated.venues()
        body["bidsByVenue"] = render.venue_shares(consolidated.depth_by_venue(BID, depth), market)
        body["asksByVenue"] = render.venue_shares(consolidated.depth_by_venue(ASK, depth), market)
    return json_response(body)


async def ticker(call: Call) -> Response:
    api = call.api
    market = api.catalog.get(call.request.path_params["symbol"])
    tick = api.runtime.markets.ticker(market.symbol)
    if tick is not None:
        return json_response(render.ticker(tick))
    mark = api.runtime.markets.mark(market.symbol)
    return json_response(render.quiet_ticker(market.symbol, market.price(mark) if mark else None))


async def trades(call: Call) -> Response:
    api = call.api
    market = api.catalog.get(call.request.path_params["symbol"])
    limit = query_int(call.request, "limit", 50, 1, 500)
    prints = api.runtime.markets.recent_trades(market.symbol, limit)
    return json_response({"trades": [render.trade(t, market) for t in prints]})


ENDPOINTS: Final = (
    Endpoint(
        "GET",
        "/v1/markets",
        markets,
        "Instruments and their order filters",
        "markets",
        access="public",
        answers={200: Markets},
    ),
    Endpoint(
        "GET",
        "/v1/markets/{symbol}/book",
        book,
        "Consolidated order book across venues",
        "markets",
        access="public",
        answers={200: Book},
        query=(
            Query("depth", "Levels per side, 1 to 500 (default 20).", "integer"),
            Query("venues", "true: also each venue's quantity at every level.", "boolean"),
        ),
    ),
    Endpoint(
        "GET",
        "/v1/markets/{symbol}/ticker",
        ticker,
        "Best bid and ask, last, mark and 24 h figures",
        "markets",
        access="public",
        answers={200: Ticker},
    ),
    Endpoint(
        "GET",
        "/v1/markets/{symbol}/trades",
        trades,
        "Recent prints across venues, newest first",
        "markets",
        access="public",
        answers={200: Trades},
        query=(Query("limit", "How many, 1 to 500 (default 50).", "integer"),),
    ),
)

__all__ = ["ENDPOINTS"]
