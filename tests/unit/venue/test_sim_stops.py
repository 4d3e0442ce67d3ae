"""Stop orders triggered by the mark price, and reduce-only capping."""

from __future__ import annotations

from oms.venue import Acked, Canceled, Expired, Filled, StopTriggered
from oms_core import ASK, BID
from tests.unit.venue.fakes import Harness, expired, fee, fills, names

ASK_PX, BID_PX = 6_000_000, 5_999_000


def quote_top(sim: Harness) -> None:
    sim.market.quote(ASK, ASK_PX, 100)
    sim.market.quote(ASK, ASK_PX + 100, 100)
    sim.market.quote(BID, BID_PX, 100)
    sim.market.quote(BID, BID_PX - 100, 100)


async def test_a_buy_stop_triggers_when_the_mark_reaches_its_stop_price(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "BUY", 50, order_type="STOP_MARKET", stop_price=6_000_200)
    sim.market.set_mark(6_000_199)
    assert await sim.reports() == [Acked(1)]
    sim.market.set_mark(6_000_200)
    reports = await sim.reports()
    assert names(reports) == ["StopTriggered", "Filled"]
    assert fills(reports) == [(50, ASK_PX, fee(50, ASK_PX), "TAKER")]


async def test_a_sell_stop_triggers_when_the_mark_falls_to_its_stop_price(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "SELL", 150, order_type="STOP_MARKET", stop_price=5_999_100)
    sim.market.set_mark(5_999_101)
    assert await sim.reports() == [Acked(1)]
    sim.market.set_mark(5_998_000)  # through the stop
    reports = await sim.reports()
    assert names(reports) == ["StopTriggered", "Filled", "Filled"]
    assert [(q, p) for q, p, *_ in fills(reports)] == [(100, BID_PX), (50, BID_PX - 100)]


async def test_a_stop_whose_condition_holds_at_submission_triggers_at_once(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "BUY", 10, order_type="STOP_MARKET", stop_price=5_999_400)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "StopTriggered", "Filled"]


async def test_a_stop_waits_for_a_mark_when_there_is_none_yet(sim):
    quote_top(sim)
    sim.submit(1, "BUY", 10, order_type="STOP_MARKET", stop_price=5_000_000)
    assert await sim.reports() == [Acked(1)]
    sim.market.set_mark(5_999_500)
    assert names(await sim.reports()) == ["StopTriggered", "Filled"]


async def test_a_triggered_stop_limit_takes_what_crosses_and_rests_the_rest(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "BUY", 150, ASK_PX, order_type="STOP_LIMIT", stop_price=5_999_800)
    sim.submit(2, "SELL", 30, 6_001_000, order_type="STOP_LIMIT", stop_price=5_999_200)
    assert await sim.reports() == [Acked(1), Acked(2)]

    sim.market.set_mark(5_999_800)
    reports = await sim.reports()
    assert names(reports) == ["StopTriggered", "Filled"]
    assert fills(reports) == [(100, ASK_PX, fee(100, ASK_PX), "TAKER")]
    sim.market.trade(ASK_PX, 100)
    assert fills(await sim.reports()) == [(50, ASK_PX, fee(50, ASK_PX), "MAKER")]

    sim.market.set_mark(5_999_100)  # the sell stop triggers; its limit is above the bids
    assert await sim.reports() == [StopTriggered(2)]
    sim.market.trade(6_001_000, 30)
    assert fills(await sim.reports()) == [(30, 6_001_000, fee(30, 6_001_000), "MAKER")]


async def test_a_waiting_stop_can_be_amended_and_canceled_before_it_triggers(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "BUY", 100, 6_100_000, order_type="STOP_LIMIT", stop_price=6_000_000)
    sim.venue.amend(1, 40, 6_100_000)
    sim.market.set_mark(6_000_000)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Replaced", "StopTriggered", "Filled"]
    assert fills(reports)[0][:2] == (40, ASK_PX)

    sim.submit(2, "SELL", 10, order_type="STOP_MARKET", stop_price=5_000_000)
    sim.venue.cancel(2)
    sim.market.set_mark(4_000_000)
    assert await sim.reports() == [Acked(2), Canceled(2)]


async def test_a_triggered_post_only_stop_that_would_take_expires(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "BUY", 10, ASK_PX, order_type="STOP_LIMIT", stop_price=5_999_600, tif="GTX")
    sim.market.set_mark(5_999_600)
    assert await sim.reports() == [Acked(1), StopTriggered(1), Expired(1)]


async def test_a_reduce_only_sell_fills_no_more_than_the_long_position(sim):
    quote_top(sim)
    sim.positions["alice", "BTC-USDT"] = 150
    sim.submit(1, "SELL", 300, order_type="MARKET", reduce_only=True)
    reports = await sim.reports()
    assert [(q, p) for q, p, *_ in fills(reports)] == [(100, BID_PX), (50, BID_PX - 100)]
    assert names(reports)[-1] == "Expired"


async def test_a_reduce_only_order_that_cannot_reduce_expires_without_a_fill(sim):
    quote_top(sim)
    sim.positions["alice", "BTC-USDT"] = 40
    sim.submit(1, "BUY", 10, order_type="MARKET", reduce_only=True)  # would grow the long
    sim.submit(2, "SELL", 10, order_type="MARKET", reduce_only=True, account="bob")  # flat
    assert await sim.reports() == [Acked(1), Expired(1), Acked(2), Expired(2)]


async def test_a_reduce_only_buy_reduces_a_short_and_never_flips_it(sim):
    quote_top(sim)
    sim.positions["alice", "BTC-USDT"] = -30
    sim.submit(1, "BUY", 100, ASK_PX, reduce_only=True)
    reports = await sim.reports()
    assert fills(reports) == [(30, ASK_PX, fee(30, ASK_PX), "TAKER")]
    assert expired(reports) == [1]


async def test_fills_of_one_instruction_count_against_the_next_reduce_only_order(sim):
    quote_top(sim)
    sim.positions["alice", "BTC-USDT"] = 50
    sim.market.set_mark(5_999_500)
    sim.submit(1, "SELL", 30, order_type="STOP_MARKET", stop_price=5_999_300, reduce_only=True)
    sim.submit(2, "SELL", 30, order_type="STOP_MARKET", stop_price=5_999_400, reduce_only=True)
    await sim.reports()
    sim.market.set_mark(5_999_300)  # both trigger in one event: 50 lots may be sold in all
    reports = await sim.reports()
    assert [(r.order_id, r.qty) for r in reports if isinstance(r, Filled)] == [(2, 30), (1, 20)]
    assert expired(reports) == [1]


async def test_a_resting_reduce_only_order_is_capped_when_a_trade_fills_it(sim):
    quote_top(sim)
    sim.positions["alice", "BTC-USDT"] = 25
    sim.submit(1, "SELL", 100, 6_000_500, reduce_only=True)
    sim.market.trade(6_000_600, 60)
    reports = await sim.reports()
    assert fills(reports) == [(25, 6_000_500, fee(25, 6_000_500), "MAKER")]
    assert names(reports) == ["Acked", "Filled", "Expired"]


async def test_a_reduce_only_fok_larger_than_the_position_expires_whole(sim):
    quote_top(sim)
    sim.positions["alice", "BTC-USDT"] = 50
    sim.submit(1, "SELL", 60, BID_PX - 100, tif="FOK", reduce_only=True)
    assert await sim.reports() == [Acked(1), Expired(1)]


async def test_without_a_position_lookup_reduce_only_orders_trade_normally():
    sim = Harness(track_positions=False)
    await sim.venue.start()
    quote_top(sim)
    sim.submit(1, "SELL", 150, order_type="MARKET", reduce_only=True)
    reports = await sim.reports()
    await sim.venue.stop()
    assert [q for q, *_ in fills(reports)] == [100, 50]
    assert expired(reports) == []


async def test_a_waiting_stop_limit_trades_at_its_amended_price_once_triggered(sim):
    quote_top(sim)
    sim.market.set_mark(5_999_500)
    sim.submit(1, "SELL", 10, 6_001_000, order_type="STOP_LIMIT", stop_price=5_999_200)
    sim.venue.amend(1, 10, BID_PX)  # now it would cross the bids
    sim.market.set_mark(5_999_200)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Replaced", "StopTriggered", "Filled"]
    assert fills(reports) == [(10, BID_PX, fee(10, BID_PX), "TAKER")]
