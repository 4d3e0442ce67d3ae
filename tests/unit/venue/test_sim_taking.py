"""Orders that take: walking the consolidated book, the liquidity overlay, IOC/FOK/GTX."""

from __future__ import annotations

from fractions import Fraction

from oms.venue import Acked, Expired, Filled, Rejected
from oms_core import ASK, BID
from tests.unit.venue.fakes import Harness, expired, fee, fills, names

A1, A2, A3 = 6_000_000, 6_000_100, 6_000_500
B1, B2 = 5_999_900, 5_999_800


def quote_book(sim: Harness) -> None:
    """Asks 100 @ A1, 200 @ A2, 300 @ A3; bids 100 @ B1, 200 @ B2."""
    for side, price, lots in [
        (ASK, A1, 100),
        (ASK, A2, 200),
        (ASK, A3, 300),
        (BID, B1, 100),
        (BID, B2, 200),
    ]:
        sim.market.quote(side, price, lots)


async def test_a_market_buy_walks_the_asks_level_by_level_as_taker(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 250, order_type="MARKET")
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Filled", "Filled"]
    assert fills(reports) == [(100, A1, fee(100, A1), "TAKER"), (150, A2, fee(150, A2), "TAKER")]
    vwap = Fraction(sum(q * p for q, p, _, _ in fills(reports)), 250)
    assert vwap == Fraction(100 * A1 + 150 * A2, 250)
    assert A1 < vwap < A2  # slippage: worse than the best ask


async def test_a_market_sell_walks_the_bids_down(sim):
    quote_book(sim)
    sim.submit(1, "SELL", 150, order_type="MARKET")
    assert fills(await sim.reports()) == [
        (100, B1, fee(100, B1), "TAKER"),
        (50, B2, fee(50, B2), "TAKER"),
    ]


async def test_the_unfilled_rest_of_a_market_order_expires(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 700, order_type="MARKET")
    reports = await sim.reports()
    assert [q for q, *_ in fills(reports)] == [100, 200, 300]
    assert names(reports)[-1] == "Expired"


async def test_a_market_order_into_an_empty_side_expires_without_a_fill(sim):
    sim.market.quote(ASK, A1, 100)
    sim.submit(1, "SELL", 10, order_type="MARKET")
    sim.submit(2, "BUY", 10, order_type="MARKET", symbol="ETH-USDT")  # no book at all
    assert await sim.reports() == [Acked(1), Expired(1), Acked(2), Expired(2)]


async def test_displayed_liquidity_is_not_handed_out_twice(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 150, order_type="MARKET")
    sim.submit(2, "BUY", 100, order_type="MARKET", account="bob")
    reports = await sim.reports()
    by_order = {
        oid: [(r.qty, r.price) for r in reports if isinstance(r, Filled) and r.order_id == oid]
        for oid in (1, 2)
    }
    assert by_order == {1: [(100, A1), (50, A2)], 2: [(100, A2)]}


async def test_taken_liquidity_returns_when_the_book_changes_that_level(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 100, order_type="MARKET")
    sim.market.quote(ASK, A1, 80, venue="okx")  # the level changes: 180 lots now shown
    sim.submit(2, "BUY", 200, order_type="MARKET")
    reports = await sim.reports()
    assert [(q, p) for q, p, *_ in fills(reports)] == [(100, A1), (180, A1), (20, A2)]


async def test_a_crossing_limit_takes_up_to_its_price_then_rests_the_rest(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 500, A2)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Filled", "Filled"]
    assert fills(reports) == [(100, A1, fee(100, A1), "TAKER"), (200, A2, fee(200, A2), "TAKER")]
    sim.market.trade(A2, 50)
    assert fills(await sim.reports()) == [(50, A2, fee(50, A2), "MAKER")]


async def test_ioc_fills_what_it_can_now_and_expires_the_rest(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 150, A1, tif="IOC")
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Filled", "Expired"]
    assert fills(reports)[0][:2] == (100, A1)
    sim.market.trade(A1, 50)  # nothing rests to be filled
    assert await sim.reports() == []


async def test_fok_fills_entirely_when_the_book_holds_enough(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 300, A2, tif="FOK")
    reports = await sim.reports()
    assert [(q, p) for q, p, *_ in fills(reports)] == [(100, A1), (200, A2)]
    assert expired(reports) == []


async def test_fok_that_cannot_fill_entirely_expires_and_takes_nothing(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 301, A2, tif="FOK")
    sim.submit(2, "BUY", 100, order_type="MARKET")
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Expired", "Acked", "Filled"]
    assert fills(reports) == [(100, A1, fee(100, A1), "TAKER")]


async def test_a_post_only_order_that_would_take_is_rejected(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 10, A1, tif="GTX")
    sim.submit(2, "SELL", 10, B1, tif="GTX")
    sim.submit(3, "BUY", 10, order_type="MARKET", tif="GTX")
    assert await sim.reports() == [
        Rejected(1, "POST_ONLY_WOULD_TAKE"),
        Rejected(2, "POST_ONLY_WOULD_TAKE"),
        Rejected(3, "POST_ONLY_WOULD_TAKE"),
    ]


async def test_a_post_only_order_that_would_not_take_rests_and_makes(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 10, A1 - 50, tif="GTX")
    assert await sim.reports() == [Acked(1)]
    sim.market.trade(A1 - 50, 4)
    assert fills(await sim.reports()) == [(4, A1 - 50, fee(4, A1 - 50), "MAKER")]


async def test_malformed_or_unlisted_orders_are_rejected(sim):
    quote_book(sim)
    sim.submit(1, "BUY", 0, A1)
    sim.submit(2, "BUY", 10, 0)
    sim.submit(3, "BUY", 10, order_type="STOP_MARKET")
    sim.submit(4, "BUY", 10, A1, symbol="DOGE-USDT")
    sim.submit(5, "BUY", 10, B2)
    sim.submit(5, "BUY", 10, B2)
    assert await sim.reports() == [
        Rejected(1, "INVALID_QUANTITY"),
        Rejected(2, "INVALID_PRICE"),
        Rejected(3, "INVALID_PRICE"),
        Rejected(4, "UNKNOWN_INSTRUMENT"),
        Acked(5),
        Rejected(5, "DUPLICATE_ORDER_ID"),
    ]
