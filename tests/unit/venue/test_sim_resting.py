"""Resting orders: maker fills on trades and book crosses, amends and cancels."""

from __future__ import annotations

from oms.venue import (
    Acked,
    Canceled,
    CancelRejected,
    Filled,
    Replaced,
    ReplaceRejected,
)
from oms_core import ASK, BID
from tests.unit.venue.fakes import Harness, fee, fills, names

ASK_PX, BID_PX = 6_000_000, 5_999_000


def quote_top(sim: Harness) -> None:
    sim.market.quote(ASK, ASK_PX, 100)
    sim.market.quote(BID, BID_PX, 100)


def fills_of(reports, order_id: int) -> list[tuple[int, int]]:
    return [(r.qty, r.price) for r in reports if isinstance(r, Filled) and r.order_id == order_id]


async def test_a_trade_at_or_through_a_resting_limit_fills_it_at_its_price_as_maker(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500)
    sim.submit(2, "SELL", 100, 6_000_500)
    assert await sim.reports() == [Acked(1), Acked(2)]

    sim.market.trade(5_999_501, 30)  # above the buy: no fill
    sim.market.trade(6_000_499, 30)  # below the sell: no fill
    assert await sim.reports() == []

    sim.market.trade(5_999_500, 30)  # at the buy's price
    sim.market.trade(5_999_000, 200, aggressor="BUY")  # through it: only 70 lots are left
    sim.market.trade(6_000_600, 40)  # through the sell
    assert fills(await sim.reports()) == [
        (30, 5_999_500, fee(30, 5_999_500), "MAKER"),
        (70, 5_999_500, fee(70, 5_999_500), "MAKER"),
        (40, 6_000_500, fee(40, 6_000_500), "MAKER"),
    ]


async def test_a_trade_fills_resting_orders_by_price_then_time_up_to_its_quantity(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 50, 5_999_500)
    sim.submit(2, "BUY", 50, 5_999_600)
    sim.submit(3, "BUY", 50, 5_999_500)
    await sim.reports()
    sim.market.trade(5_999_400, 120)
    reports = await sim.reports()
    assert [r.order_id for r in reports] == [2, 1, 3]
    assert [(r.qty, r.price) for r in reports] == [
        (50, 5_999_600),
        (50, 5_999_500),
        (20, 5_999_500),
    ]


async def test_a_book_that_crosses_a_resting_order_fills_it_at_its_limit(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500)
    sim.submit(2, "SELL", 100, 6_000_500)
    await sim.reports()

    sim.market.quote(ASK, 5_999_400, 60, venue="okx")  # another venue offers below the bid
    sim.market.quote(BID, 6_000_600, 30, venue="kraken")  # and one bids above the sell
    reports = await sim.reports()
    assert fills(reports) == [
        (60, 5_999_500, fee(60, 5_999_500), "MAKER"),
        (30, 6_000_500, fee(30, 6_000_500), "MAKER"),
    ]


async def test_a_crossing_book_fills_resting_orders_in_turn_without_reusing_lots(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500)
    sim.submit(2, "BUY", 100, 5_999_500)
    sim.submit(3, "BUY", 100, 5_999_300)
    await sim.reports()
    sim.market.quote(ASK, 5_999_400, 150, venue="okx")
    reports = await sim.reports()
    assert (fills_of(reports, 1), fills_of(reports, 2), fills_of(reports, 3)) == (
        [(100, 5_999_500)],
        [(50, 5_999_500)],
        [],
    )
    sim.market.quote(BID, BID_PX, 120)  # a change elsewhere does not give the lots back
    assert await sim.reports() == []


async def test_amend_moves_the_order_to_its_new_price(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500)
    sim.venue.amend(1, 40, 5_999_200)
    assert await sim.reports() == [Acked(1), Replaced(1)]
    sim.market.trade(5_999_300, 100)  # through the old price, not the new one
    assert await sim.reports() == []
    sim.market.trade(5_999_200, 100)
    assert fills(await sim.reports()) == [(40, 5_999_200, fee(40, 5_999_200), "MAKER")]


async def test_an_amended_order_loses_its_time_priority(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 50, 5_999_500)
    sim.submit(2, "BUY", 50, 5_999_500)
    sim.venue.amend(1, 50, 5_999_500)
    await sim.reports()
    sim.market.trade(5_999_500, 50)
    assert [r.order_id for r in await sim.reports()] == [2]


async def test_an_amend_that_crosses_takes_after_it_is_replaced(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 150, 5_999_500)
    sim.venue.amend(1, 150, ASK_PX)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Replaced", "Filled"]
    assert fills(reports) == [(100, ASK_PX, fee(100, ASK_PX), "TAKER")]
    sim.market.trade(ASK_PX, 80)  # the other 50 rest at the new price
    assert fills(await sim.reports()) == [(50, ASK_PX, fee(50, ASK_PX), "MAKER")]


async def test_a_post_only_amend_that_would_take_is_rejected_and_the_order_stays(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500, tif="GTX")
    sim.venue.amend(1, 100, ASK_PX)
    assert await sim.reports() == [Acked(1), ReplaceRejected(1, "POST_ONLY_WOULD_TAKE")]
    sim.market.trade(5_999_500, 10)
    assert fills(await sim.reports()) == [(10, 5_999_500, fee(10, 5_999_500), "MAKER")]


async def test_amends_of_unknown_or_done_orders_and_bad_quantities_are_rejected(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, ASK_PX)  # fills at once
    sim.submit(2, "BUY", 100, 5_999_500)
    sim.venue.amend(1, 50, 5_999_500)
    sim.venue.amend(99, 50, 5_999_500)
    sim.venue.amend(2, 0, 5_999_500)
    sim.venue.amend(2, 50, 0)
    reports = await sim.reports()
    assert reports[-4:] == [
        ReplaceRejected(1, "UNKNOWN_ORDER"),
        ReplaceRejected(99, "UNKNOWN_ORDER"),
        ReplaceRejected(2, "INVALID_QUANTITY"),
        ReplaceRejected(2, "INVALID_PRICE"),
    ]


async def test_cancel_removes_a_resting_order_once(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500)
    sim.venue.cancel(1)
    sim.venue.cancel(1)
    assert await sim.reports() == [Acked(1), Canceled(1), CancelRejected(1, "UNKNOWN_ORDER")]
    sim.market.trade(5_999_000, 100)
    assert await sim.reports() == []


async def test_cancel_of_a_filled_order_is_rejected(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 100, 5_999_500)
    sim.market.trade(5_999_500, 100)
    sim.venue.cancel(1)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Filled", "CancelRejected"]
    assert reports[-1] == CancelRejected(1, "UNKNOWN_ORDER")
