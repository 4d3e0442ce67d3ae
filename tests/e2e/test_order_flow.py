"""A bot's day on a real `oms up`: orders through risk, the state machine and the simulated
venue, with positions, balances, rejections, the kill switch and the stream."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from oms.client import OmsApiError, OmsClient
from tests.e2e.conftest import PERP, SPOT, eventually, mid, on_grid, until_order

pytestmark = pytest.mark.e2e

TERMINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}


async def test_market_order_fills_and_moves_position_and_margin(alice: OmsClient) -> None:
    before = {p.symbol: p.quantity for p in await alice.positions()}.get(PERP, Decimal(0))
    order = await alice.place_order(PERP, "BUY", "MARKET", "0.01", resp_type="RESULT")
    order = await until_order(alice, order.order_id, lambda o: o.status in TERMINAL)
    assert order.status == "FILLED"
    assert order.cum_qty == Decimal("0.01")
    assert order.avg_px is not None
    assert order.fee > 0
    fills = (await alice.executions(order_id=order.order_id)).executions
    assert sum(f.quantity for f in fills) == Decimal("0.01")
    assert all(f.liquidity == "TAKER" for f in fills)

    async def position_moved() -> None:
        positions = {p.symbol: p for p in await alice.positions()}
        assert positions[PERP].quantity == before + Decimal("0.01")
        account = await alice.account()
        assert account.initial_margin > 0

    await eventually(position_moved)


async def test_spot_buy_moves_both_balances_by_cost_and_fee(alice: OmsClient) -> None:
    def balances(account: object) -> dict[str, Decimal]:
        return {b.asset: b.total for b in account.balances}  # type: ignore[attr-defined]

    await eventually(lambda: _settled(alice))
    start = balances(await alice.account())
    order = await alice.place_order(SPOT, "BUY", "MARKET", "0.001", resp_type="RESULT")
    order = await until_order(alice, order.order_id, lambda o: o.status in TERMINAL)
    assert order.status == "FILLED"

    async def booked() -> None:
        now = balances(await alice.account())
        assert now["BTC"] == start["BTC"] + Decimal("0.001")
        assert now["USDT"] == start["USDT"] - order.cum_quote - order.fee

    await eventually(booked)


async def _settled(client: OmsClient) -> None:
    account = await client.account()
    assert account.updated_at is not None


async def test_limit_order_rests_is_amended_then_canceled(alice: OmsClient) -> None:
    price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")
    order = await alice.place_order(PERP, "BUY", "LIMIT", "0.01", price, resp_type="RESULT")
    order = await until_order(alice, order.order_id, lambda o: o.status == "NEW")
    assert order.leaves_qty == Decimal("0.01")

    lower = price - Decimal("10")
    await alice.amend_order(order.order_id, quantity="0.02", price=lower)
    amended = await until_order(alice, order.order_id, lambda o: o.quantity == Decimal("0.02"))
    assert (amended.status, amended.price, amended.leaves_qty) == ("NEW", lower, Decimal("0.02"))

    await alice.cancel_order(order.order_id)
    canceled = await until_order(alice, order.order_id, lambda o: o.status == "CANCELED")
    assert canceled.leaves_qty == 0
    open_ids = [o.order_id async for o in alice.iter_orders(status="NEW")]
    assert order.order_id not in open_ids


async def test_ioc_fills_what_the_touch_offers_and_expires_the_rest(alice: OmsClient) -> None:
    # The simulated venues requote every 25 ms: when the ask moves up while the order
    # travels, nothing is left at its price and it expires unfilled. That is correct IOC
    # behaviour but not the case under test, so such an attempt is made again.
    for _ in range(5):
        ticker = await alice.ticker(PERP)
        assert ticker.ask is not None
        order = await alice.place_order(
            PERP, "BUY", "LIMIT", "5", ticker.ask, time_in_force="IOC", resp_type="RESULT"
        )
        order = await until_order(alice, order.order_id, lambda o: o.status in TERMINAL)
        assert order.status == "EXPIRED", order.reject_reason
        if order.cum_qty > 0:
            break
    assert 0 < order.cum_qty < Decimal("5")  # a partial fill at the touch, the rest expired
    assert order.avg_px is not None
    assert order.avg_px <= ticker.ask


async def test_fok_fills_entirely_or_not_at_all(alice: OmsClient) -> None:
    ticker = await alice.ticker(PERP)
    assert ticker.ask is not None
    too_big = await alice.place_order(
        PERP, "BUY", "LIMIT", "5", ticker.ask, time_in_force="FOK", resp_type="RESULT"
    )
    too_big = await until_order(alice, too_big.order_id, lambda o: o.status in TERMINAL)
    assert (too_big.status, too_big.cum_qty) == ("EXPIRED", 0), too_big.reject_reason
    far = on_grid(ticker.ask * Decimal("1.02"), "0.1")
    small = await alice.place_order(
        PERP, "BUY", "LIMIT", "0.002", far, time_in_force="FOK", resp_type="RESULT"
    )
    small = await until_order(alice, small.order_id, lambda o: o.status in TERMINAL)
    assert (small.status, small.cum_qty) == ("FILLED", Decimal("0.002"))


async def test_post_only_is_rejected_when_it_would_take(alice: OmsClient) -> None:
    ticker = await alice.ticker(PERP)
    assert ticker.ask is not None
    taking = await alice.place_order(
        PERP, "BUY", "LIMIT", "0.01", ticker.ask + 50, time_in_force="GTX", resp_type="RESULT"
    )
    taking = await until_order(alice, taking.order_id, lambda o: o.status in TERMINAL)
    assert (taking.status, taking.reject_reason) == ("REJECTED", "POST_ONLY_WOULD_TAKE")
    passive = on_grid(ticker.ask * Decimal("0.98"), "0.1")
    resting = await alice.place_order(PERP, "BUY", "LIMIT", "0.01", passive, time_in_force="GTX")
    resting = await until_order(alice, resting.order_id, lambda o: o.status == "NEW")
    await alice.cancel_order(resting.order_id)


async def test_cancel_all_cancels_every_open_order_of_the_symbol(bob: OmsClient) -> None:
    price = on_grid(await mid(bob, PERP) * Decimal("0.95"), "0.1")
    ids = [
        (await bob.place_order(PERP, "BUY", "LIMIT", "0.01", price - i)).order_id for i in range(3)
    ]
    for order_id in ids:
        await until_order(bob, order_id, lambda o: o.status == "NEW")
    await bob.cancel_all(PERP)
    for order_id in ids:
        assert (await until_order(bob, order_id, lambda o: o.status in TERMINAL)).status == (
            "CANCELED"
        )


async def test_another_accounts_order_does_not_exist_for_you(
    alice: OmsClient, bob: OmsClient
) -> None:
    price = on_grid(await mid(alice, PERP) * Decimal("0.95"), "0.1")
    order = await alice.place_order(PERP, "BUY", "LIMIT", "0.01", price)
    for call in (
        bob.get_order(order.order_id),
        bob.cancel_order(order.order_id),
        bob.amend_order(order.order_id, price=price - 1),
    ):
        with pytest.raises(OmsApiError) as err:
            await call
        assert (err.value.status, err.value.code) == (404, "ORDER_NOT_FOUND")
    await alice.cancel_order(order.order_id)


@pytest.mark.parametrize(
    ("side", "qty", "price_factor", "reduce_only", "reason"),
    [
        ("BUY", "0.01", "0.5", False, "PRICE_OUTSIDE_BAND"),
        ("BUY", "0.5", "0.99", False, "INSUFFICIENT_MARGIN"),  # 30k notional on 1k USDT
        ("SELL", "0.01", "1.01", True, "REDUCE_ONLY_WOULD_INCREASE"),
        ("BUY", "1", "0.99", False, "NOTIONAL_ABOVE_MAX"),  # carol's max order: 50k
    ],
)
async def test_risk_rejections_reach_the_caller_with_their_code(
    carol: OmsClient, side: str, qty: str, price_factor: str, reduce_only: bool, reason: str
) -> None:
    price = on_grid(await mid(carol, PERP) * Decimal(price_factor), "0.1")
    order = await carol.place_order(
        PERP,
        side,
        "LIMIT",
        qty,
        price,
        reduce_only=reduce_only,
        resp_type="RESULT",  # type: ignore[arg-type]
    )
    order = await until_order(carol, order.order_id, lambda o: o.status in TERMINAL)
    assert (order.status, order.reject_reason) == ("REJECTED", reason)


async def test_spot_buy_beyond_the_wallet_is_insufficient_balance(carol: OmsClient) -> None:
    price = on_grid(await mid(carol, SPOT) * Decimal("0.99"), "0.01")
    order = await carol.place_order(SPOT, "BUY", "LIMIT", "0.1", price, resp_type="RESULT")
    order = await until_order(carol, order.order_id, lambda o: o.status in TERMINAL)
    assert order.reject_reason == "INSUFFICIENT_BALANCE"


async def test_open_order_limit_and_order_rate_limit(carol: OmsClient, dave: OmsClient) -> None:
    price = on_grid(await mid(carol, PERP) * Decimal("0.97"), "0.1")
    placed = [await carol.place_order(PERP, "BUY", "LIMIT", "0.002", price) for _ in range(3)]
    third = await until_order(carol, placed[2].order_id, lambda o: o.status != "PENDING_NEW")
    assert third.reject_reason == "TOO_MANY_OPEN_ORDERS"  # carol may have two open
    await carol.cancel_all()

    burst = await asyncio.gather(
        *(dave.place_order(PERP, "BUY", "LIMIT", "0.002", price) for _ in range(6))
    )
    final = [
        await until_order(dave, o.order_id, lambda o: o.status != "PENDING_NEW") for o in burst
    ]
    assert [o.reject_reason for o in final].count("RATE_LIMITED") >= 3  # dave: 3 per second
    await dave.cancel_all()


async def test_kill_switch_halts_cancels_and_resumes(bob: OmsClient, admin: OmsClient) -> None:
    price = on_grid(await mid(bob, PERP) * Decimal("0.96"), "0.1")
    resting = await bob.place_order(PERP, "BUY", "LIMIT", "0.01", price)
    await until_order(bob, resting.order_id, lambda o: o.status == "NEW")
    with pytest.raises(OmsApiError) as err:
        await bob.set_trading_state("HALTED", "bob")
    assert (err.value.status, err.value.code) == (403, "FORBIDDEN")

    await admin.set_trading_state("HALTED", "bob")
    assert (await until_order(bob, resting.order_id, lambda o: o.status in TERMINAL)).status == (
        "CANCELED"
    )
    halted = await bob.place_order(PERP, "BUY", "LIMIT", "0.01", price, resp_type="RESULT")
    halted = await until_order(bob, halted.order_id, lambda o: o.status in TERMINAL)
    assert halted.reject_reason == "TRADING_HALTED"

    async def shows_halted() -> None:
        assert (await bob.account()).trading_state == "HALTED"

    await eventually(shows_halted)
    await admin.set_trading_state("ACTIVE", "bob")
    again = await bob.place_order(PERP, "BUY", "LIMIT", "0.01", price, resp_type="RESULT")
    again = await until_order(bob, again.order_id, lambda o: o.status != "PENDING_NEW")
    assert again.status == "NEW"
    await bob.cancel_order(again.order_id)


async def test_retry_returns_the_original_and_reuse_conflicts(alice: OmsClient) -> None:
    price = on_grid(await mid(alice, PERP) * Decimal("0.95"), "0.1")
    body = {
        "symbol": PERP,
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.01",
        "price": str(price),
        "clientOrderId": "retry-me-1",
    }
    first = await alice.request("POST", "/v1/orders", body=body)
    retry = await alice.request("POST", "/v1/orders", body=body)
    assert first.status_code == 202
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["orderId"] == first.json()["orderId"]
    with pytest.raises(OmsApiError) as err:
        await alice.request("POST", "/v1/orders", body={**body, "quantity": "0.02"})
    assert (err.value.status, err.value.code) == (409, "DUPLICATE_CLIENT_ORDER_ID")
    await alice.cancel_order(first.json()["orderId"])


async def test_stream_pushes_own_order_updates_and_executions(
    alice: OmsClient, bob: OmsClient
) -> None:
    async with alice.stream(["orders", "executions"]) as mine, bob.stream(["orders"]) as theirs:
        order = await alice.place_order(PERP, "BUY", "MARKET", "0.01")
        seen: set[str] = set()
        fills = 0
        while "FILLED" not in seen or not fills:
            event = await asyncio.wait_for(mine.recv(), 10)
            if event.type == "order" and event.data.order_id == order.order_id:
                seen.add(event.data.status)
            elif event.type == "execution" and event.data.order_id == order.order_id:
                fills += 1
        assert "FILLED" in seen
        # Bob's stream carries nothing of Alice's.
        others = await _drain(theirs, 0.5)
        assert all(e.data.account == "bob" for e in others if e.type == "order")


async def _drain(stream: object, quiet_s: float) -> list:
    """Every event until the stream stays quiet for ``quiet_s``."""
    events = []
    while True:
        try:
            events.append(await asyncio.wait_for(stream.recv(), quiet_s))  # type: ignore[attr-defined]
        except TimeoutError:
            return events
