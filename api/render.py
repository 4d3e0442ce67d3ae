"""Events of the OMS rendered as the API's JSON objects (the shapes of ``oms.client``'s models).

Plain dicts serialised by orjson: the cheapest way to an answer. The API tests decode every
answer into the client's models with unknown fields forbidden, so these shapes cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from api.instruments import Market, decimal_text, money
from oms.config import AccountConfig
from oms.events import (
    AccountSnapshot,
    BookUpdate,
    Execution,
    NewOrder,
    OrderUpdate,
    PositionView,
    Ticker,
    Trade,
)

_NS_PER_MS = 1_000_000
_ZERO = "0"


def order(update: OrderUpdate, market: Market) -> dict[str, Any]:
    """An order as stored: prices and sizes in the market's units, money in its quote asset."""
    return {
        "orderId": str(update.order_id),
        "clientOrderId": update.client_order_id,
        "account": update.account,
        "symbol": update.symbol,
        "side": update.side,
        "type": update.order_type,
        "timeInForce": update.time_in_force,
        "quantity": market.qty(update.qty),
        "price": market.price_or_none(update.price),
        "stopPrice": market.price_or_none(update.stop_price),
        "reduceOnly": update.reduce_only,
        "status": update.status,
        "cumQty": market.qty(update.cum_qty),
        "leavesQty": market.qty(update.leaves_qty),
        "avgPx": _average_price(update, market),
        "cumQuote": money(update.cum_notional),
        "fee": money(update.fees),
        "lastQty": market.qty(update.last_qty),
        "lastPx": market.price_or_none(update.last_price),
        "rejectReason": update.reject_reason or None,
        "triggered": update.triggered,
        "seq": update.seq,
        "createdAt": update.created_ns // _NS_PER_MS,
        "updatedAt": update.updated_ns // _NS_PER_MS,
    }


def pending_order(command: NewOrder, market: Market) -> dict[str, Any]:
    """An order the API accepted and the processor has not reported yet: PENDING_NEW."""
    created = command.ts_ns // _NS_PER_MS
    return {
        "orderId": str(command.order_id),
        "clientOrderId": command.client_order_id,
        "account": command.account,
        "symbol": command.symbol,
        "side": command.side,
        "type": command.order_type,
        "timeInForce": command.time_in_force,
        "quantity": market.qty(command.qty),
        "price": market.price_or_none(command.price),
        "stopPrice": market.price_or_none(command.stop_price),
        "reduceOnly": command.reduce_only,
        "status": "PENDING_NEW",
        "cumQty": _ZERO,
        "leavesQty": market.qty(command.qty),
        "avgPx": None,
        "cumQuote": _ZERO,
        "fee": _ZERO,
        "lastQty": _ZERO,
        "lastPx": None,
        "rejectReason": None,
        "triggered": False,
        "seq": 0,
        "createdAt": created,
        "updatedAt": created,
    }


def _average_price(update: OrderUpdate, market: Market) -> str | None:
    """Quote money over filled quantity, to four digits beyond the tick."""
    if not update.cum_qty:
        return None
    quantity = Decimal(market.qty(update.cum_qty))
    average = Decimal(update.cum_notional).scaleb(-8) / quantity
    digits = market.instrument.price_decimals + 4
    return decimal_text(average.quantize(Decimal(1).scaleb(-digits)).normalize())


def execution(fill: Execution, market: Market) -> dict[str, Any]:
    return {
        "execId": fill.exec_id,
        "orderId": str(fill.order_id),
        "symbol": fill.symbol,
        "side": fill.side,
        "quantity": market.qty(fill.qty),
        "price": market.price(fill.price),
        "fee": money(fill.fee),
        "liquidity": fill.liquidity,
        "venue": fill.venue,
        "time": fill.ts_ns // _NS_PER_MS,
    }


def position(view: PositionView) -> dict[str, Any]:
    return {
        "symbol": view.symbol,
        "quantity": view.qty,
        "entryPrice": view.entry_price,
        "markPrice": view.mark_price,
        "notional": view.notional,
        "unrealizedPnl": view.unrealized_pnl,
        "realizedPnl": view.realized_pnl,
        "initialMargin": view.initial_margin,
        "maintenanceMargin": view.maintenance_margin,
        "leverage": view.leverage,
        "liquidationPrice": view.liquidation_price,
    }


def account(snapshot: AccountSnapshot) -> dict[str, Any]:
    return {
        "account": snapshot.account,
        "tradingState": snapshot.trading_state,
        "balances": [
            {"asset": b.asset, "total": b.total, "reserved": b.reserved, "available": b.available}
            for b in snapshot.balances
        ],
        "positions": [position(p) for p in snapshot.positions],
        "equity": snapshot.equity,
        "initialMargin": snapshot.initial_margin,
        "maintenanceMargin": snapshot.maintenance_margin,
        "availableMargin": snapshot.available_margin,
        "marginRatio": snapshot.margin_ratio,
        "unrealizedPnl": snapshot.unrealized_pnl,
        "updatedAt": snapshot.ts_ns // _NS_PER_MS,
    }


def funded_account(config: AccountConfig, marks: Mapping[str, Decimal]) -> dict[str, Any]:
    """An account before risk published its first snapshot: its deposits, nothing reserved.

    Equity values each deposit at ``marks`` (asset → price in the settlement asset); assets
    without a mark count for nothing rather than for a guess.
    """
    equity = sum(
        (
            Decimal(amount) * marks[asset]
            for asset, amount in config.deposits.items()
            if asset in marks
        ),
        Decimal(0),
    )
    deposits = [(asset, decimal_text(Decimal(amount))) for asset, amount in config.deposits.items()]
    return {
        "account": config.name,
        "tradingState": "ACTIVE",
        "balances": [
            {"asset": asset, "total": amount, "reserved": _ZERO, "available": amount}
            for asset, amount in deposits
        ],
        "positions": [],
        "equity": decimal_text(equity),
        "initialMargin": _ZERO,
        "maintenanceMargin": _ZERO,
        "availableMargin": decimal_text(equity),
        "marginRatio": None,
        "unrealizedPnl": _ZERO,
        "updatedAt": None,
    }


def levels(rows: Any, market: Market) -> list[list[str]]:
    """``[[price_ticks, size_lots], ...]`` (a numpy array or list of pairs) as decimal text."""
    price, qty = market.price, market.qty
    return [[price(int(p)), qty(int(s))] for p, s in rows]


def venue_shares(rows: Any, market: Market) -> list[list[str]]:
    """Rows of ``depth_by_venue`` (price, then each venue's lots) as each venue's quantity."""
    qty = market.qty
    return [[qty(int(s)) for s in row[1:]] for row in rows]


def book_levels(update: BookUpdate, market: Market) -> dict[str, Any]:
    return {
        "symbol": update.symbol,
        "seq": update.seq,
        "snapshot": update.snapshot,
        "bids": levels(update.bids, market),
        "asks": levels(update.asks, market),
    }


def ticker(tick: Ticker) -> dict[str, Any]:
    return {
        "symbol": tick.symbol,
        "bid": tick.bid,
        "bidQty": tick.bid_qty,
        "ask": tick.ask,
        "askQty": tick.ask_qty,
        "last": tick.last,
        "mark": tick.mark,
        "open24h": tick.open_24h,
        "high24h": tick.high_24h,
        "low24h": tick.low_24h,
        "volume24h": tick.volume_24h,
        "changePct24h": tick.change_pct_24h,
        "time": tick.ts_ns // _NS_PER_MS,
    }


def quiet_ticker(symbol: str, mark: str | None) -> dict[str, Any]:
    """The ticker of a market that has not quoted yet."""
    return {
        "symbol": symbol,
        **dict.fromkeys(("bid", "bidQty", "ask", "askQty", "last"), None),
        "mark": mark,
        **dict.fromkeys(("open24h", "high24h", "low24h"), None),
        "volume24h": _ZERO,
        "changePct24h": None,
        "time": None,
    }


def trade(print_: Trade, market: Market) -> dict[str, Any]:
    return {
        "symbol": print_.symbol,
        "venue": print_.venue,
        "price": market.price(print_.price),
        "quantity": market.qty(print_.qty),
        "aggressor": print_.aggressor,
        "time": print_.ts_ns // _NS_PER_MS,
    }


__all__ = [
    "account",
    "book_levels",
    "execution",
    "funded_account",
    "levels",
    "order",
    "pending_order",
    "position",
    "quiet_ticker",
    "ticker",
    "trade",
]
