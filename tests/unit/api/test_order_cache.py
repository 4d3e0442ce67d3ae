"""The API's cache of recently changed orders: newest seq wins, bounded by recency."""

from __future__ import annotations

import asyncio

import pytest

from api.order_cache import OrderCache
from oms.events import EVENTS, NewOrder, encode
from oms.runtime import Runtime
from tests.unit.api.conftest import Caller
from tests.unit.api.fakes import order_update
from tests.unit.api.test_late_claims import another_api


def _command(order_id: int) -> NewOrder:
    return NewOrder(
        order_id=order_id,
        account="alice",
        client_order_id=f"c{order_id}",
        symbol="BTC-USDT-PERP",
        side="BUY",
        order_type="LIMIT",
        time_in_force="GTC",
        qty=10,
        price=600_000,
    )


def test_an_older_or_replayed_update_never_replaces_a_newer_one() -> None:
    cache = OrderCache()
    cache.put(order_update(_command(1), "NEW", seq=2))
    cache.put(order_update(_command(1), "PENDING_NEW", seq=1))  # late
    cache.put(order_update(_command(1), "CANCELED", seq=2))  # same seq again
    kept = cache.get(1)
    assert kept is not None
    assert (kept.status, kept.seq) == ("NEW", 2)
    cache.put(order_update(_command(1), "FILLED", seq=3))
    assert cache.get(1) == order_update(_command(1), "FILLED", seq=3)


def test_the_least_recently_changed_order_leaves_first() -> None:
    cache = OrderCache(capacity=2)
    cache.put(order_update(_command(1), "NEW"))
    cache.put(order_update(_command(2), "NEW"))
    cache.put(order_update(_command(1), "FILLED", seq=2))  # 1 changed again: 2 is the oldest
    cache.put(order_update(_command(3), "NEW"))
    assert (len(cache), cache.get(2)) == (2, None)
    assert cache.get(1) is not None
    assert cache.get(3) is not None


async def test_an_order_seen_on_the_stream_is_read_without_the_store(
    alice: Caller, bob: Caller, runtime: Runtime
) -> None:
    update = order_update(_command(4242), "PARTIALLY_FILLED", seq=3, cum_qty=4, leaves_qty=6)
    await runtime.bus.publish(EVENTS, "alice", encode(update))
    assert await runtime.store.get_order(4242) is None  # never stored: only the stream has it
    for _ in range(100):
        response = await alice.send("GET", "/v1/orders/4242")
        if response.status_code == 200:
            break
        await asyncio.sleep(0.01)
    assert (response.status_code, response.json()["status"]) == (200, "PARTIALLY_FILLED")
    other = await bob.send("GET", "/v1/orders/4242")
    assert (other.status_code, other.json()["code"]) == (404, "ORDER_NOT_FOUND")


async def test_an_api_starts_with_the_open_orders_cached(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a restart, cancels and amends of resting orders must not each query the store."""
    resting = order_update(_command(77), "NEW", seq=2)
    done = order_update(_command(78), "FILLED", seq=3, cum_qty=10, leaves_qty=0)
    await runtime.store.write([resting, done], [])

    async def no_store_reads(order_id: int) -> None:
        raise AssertionError(f"order {order_id} read from the store")

    async with another_api(runtime) as alice:
        monkeypatch.setattr(runtime.store, "get_order", no_store_reads)
        response = await alice.send("GET", "/v1/orders/77")
        assert (response.status_code, response.json()["status"]) == (200, "NEW")
        with pytest.raises(AssertionError, match="order 78 read from the store"):
            await alice.send("GET", "/v1/orders/78")  # a finished order is not warmed
