"""A short tour of the trading core, run by ``make run`` until the services land.

It walks one order through risk, the state machine and a fill, shows the margin picture of
the resulting position, and builds an order book from a few updates.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

import oms_core
from oms_core import OrderTable, OrderType, RiskEngine, Side, TimeInForce


def _section(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    registry = oms_core.InstrumentRegistry.builtin()
    _section("Instruments")
    for symbol in registry.symbols():
        inst = registry.get(symbol)
        print(
            f"{symbol:<14} {inst.kind:<9} tick {inst.tick_size:<5} lot {inst.lot_size:<8}"
            f" min notional {inst.min_notional:<4} max leverage {inst.max_leverage}x"
        )

    perp_idx = registry.index_of("BTC-USDT-PERP")
    perp = registry.get("BTC-USDT-PERP")
    risk = RiskEngine(registry)
    alice = risk.add_account("alice", price_band="0.05")
    risk.deposit(alice, "USDT", "10000")
    risk.set_mark_price(perp_idx, "50000")
    risk.set_leverage(alice, perp_idx, 10)

    _section("Pre-trade risk (10,000 USDT wallet, 10x, mark 50,000)")
    orders = OrderTable()
    qty, price = perp.qty_to_lots("1.5"), perp.price_to_ticks("50000")
    for order_id, lots, ticks in [(1, qty, price), (2, qty, perp.price_to_ticks("56000"))]:
        code = risk.check(order_id, alice, perp_idx, Side.BUY, OrderType.LIMIT, lots, ticks)
        print(
            f"buy {perp.lots_to_qty(lots)} @ {perp.ticks_to_price(ticks)}:"
            f" {oms_core.REJECT_REASONS[code]}"
        )
    print("USDT (total, reserved, available):", risk.balance(alice, "USDT"))
    try:
        perp.price_to_ticks("50000.05")
    except oms_core.InvalidPrice as err:
        print(f"off-grid price refused: {err.code}: {err}")

    _section("Order state machine")
    orders.add(1, "demo-1", alice, perp_idx, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, qty, price)
    print("risk accepted ->", orders.risk_accept(1), "| venue ack ->", orders.venue_ack(1))
    fee = 1875 * 10**6  # 18.75 USDT: 0.05% taker fee on 37,500
    for exec_id, lots in [("x-1", perp.qty_to_lots("1")), ("x-2", perp.qty_to_lots("0.5"))]:
        print(f"fill {exec_id} ->", orders.fill(1, exec_id, lots, price, fee), orders.status(1))
        risk.on_fill(1, alice, perp_idx, Side.BUY, lots, price, fee)
    print("replayed fill x-2 ->", orders.fill(1, "x-2", perp.qty_to_lots("0.5"), price, fee))
    view = orders.get(1)
    assert view is not None
    print(f"cum {perp.lots_to_qty(view.cum_qty)} avg {view.avg_price(perp)} seq {view.seq}")

    _section("Margin (mark moves to 47,000)")
    risk.set_mark_price(perp_idx, "47000")
    for key, value in risk.summary(alice).items():
        print(f"{key:<24} {value}")
    print("position:", risk.position(alice, perp_idx))
    print(
        "isolated liquidation of long 1 BTC @ 50,000 with 5,000:",
        oms_core.liquidation_price(perp, "1", "50000", Decimal("5000")),
    )

    _section("L2 order book")
    book = oms_core.OrderBook(perp)
    sides = np.array([oms_core.BID, oms_core.BID, oms_core.ASK, oms_core.ASK], dtype=np.uint8)
    prices = np.array([499_990, 499_980, 500_010, 500_030], dtype=np.int64)
    sizes = np.array([1200, 800, 500, 2500], dtype=np.int64)
    book.apply_batch(sides, prices, sizes)
    print("best bid", book.best_bid(), "best ask", book.best_ask(), "spread", book.spread())
    print("depth(2):", book.depth(2))


if __name__ == "__main__":
    main()
