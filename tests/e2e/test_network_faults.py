"""Network faults between the services and their servers, in distributed mode.

Every service reaches Kafka, Redis and FerretDB through TCP proxies of this test's own
(``tests/e2e/netproxy.py``), which add delay or cut the path (a black hole: no reset, the
clients only learn from their timeouts). Kafka is reached through its PROXIED listener, which
advertises the proxy's port, so every broker connection crosses the proxy, not only the first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from oms.client import OmsApiError, OmsClient
from tests.e2e.conftest import ACCOUNTS, PERP, client_for, eventually, mid, on_grid
from tests.e2e.netproxy import TcpProxy
from tests.e2e.server import OmsCluster, free_port
from tests.integration.conftest import require_server

pytestmark = pytest.mark.e2e

KAFKA_PROXIED = 19092  # deploy/local: the broker's PROXIED listener …
KAFKA_PROXY = 19094  # … advertised on this port, where the proxy listens


class Faulty:
    """A cluster whose three servers are each behind a proxy."""

    def __init__(self, cluster: OmsCluster, proxies: dict[str, TcpProxy]) -> None:
        self.cluster = cluster
        self.kafka, self.redis, self.mongo = proxies["kafka"], proxies["redis"], proxies["mongo"]


@pytest.fixture
async def faulty(tmp_path: Path) -> AsyncIterator[Faulty]:
    require_server("Kafka", f"kafka://127.0.0.1:{KAFKA_PROXIED}", KAFKA_PROXIED)
    require_server("Redis", "redis://127.0.0.1:6379/14", 6379)
    require_server("FerretDB", "mongodb://127.0.0.1:27017/", 27017)
    proxies = {
        "kafka": TcpProxy(KAFKA_PROXY, KAFKA_PROXIED),
        "redis": TcpProxy(free_port(), 6379),
        "mongo": TcpProxy(free_port(), 27017),
    }
    for proxy in proxies.values():
        await proxy.start()
    (tmp_path / "accounts.toml").write_text(ACCOUNTS)
    cluster = OmsCluster(
        tmp_path,
        f"kafka://127.0.0.1:{KAFKA_PROXY}",
        f"mongodb://127.0.0.1:{proxies['mongo'].listen_port}/",
        f"redis://127.0.0.1:{proxies['redis'].listen_port}/14",
    )
    try:
        await asyncio.to_thread(cluster.start)  # the proxies serve meanwhile
        yield Faulty(cluster, proxies)
    finally:
        for proxy in proxies.values():
            proxy.set("pass")
        await asyncio.to_thread(cluster.stop)
        for proxy in proxies.values():
            await proxy.stop()


async def _price(alice: OmsClient) -> Decimal:
    return on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")


async def _refused(alice: OmsClient, price: Decimal, cid: str) -> tuple[int, str, float]:
    started = time.monotonic()
    with pytest.raises(OmsApiError) as err:
        await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price, client_order_id=cid)
    return err.value.status, err.value.code, time.monotonic() - started


async def _placed_again(alice: OmsClient, price: Decimal, cid: str) -> None:
    async def accepted() -> None:
        try:
            order = await alice.place_order(
                PERP, "BUY", "LIMIT", "0.002", price, client_order_id=cid
            )
        except OmsApiError as exc:
            raise AssertionError(exc.code) from exc
        assert (await alice.get_order(order.order_id)).status == "NEW"

    await eventually(accepted, timeout=60)


async def test_kafka_slow_then_cut_then_healed(faulty: Faulty) -> None:
    async with client_for(faulty.cluster, "alice") as alice:
        price = await _price(alice)
        faulty.kafka.set("delay", 0.03)  # 30 ms each way on every broker connection
        order = await alice.place_order(PERP, "BUY", "MARKET", "0.002", client_order_id="slow-1")

        async def filled() -> None:
            assert (await alice.get_order(order.order_id)).status == "FILLED"

        await eventually(filled, timeout=30)

        faulty.kafka.set("partition")
        status, code, took = await _refused(alice, price, "cut-1")
        assert (status, code) == (503, "BUS_UNAVAILABLE")
        assert took < 15, f"the API took {took:.1f}s to give up"

        faulty.kafka.set("pass")
        await _placed_again(alice, price, "cut-1")


async def test_redis_cut_fails_closed_then_heals(faulty: Faulty) -> None:
    async with client_for(faulty.cluster, "alice") as alice:
        price = await _price(alice)
        faulty.redis.set("partition")
        status, code, took = await _refused(alice, price, "r-1")
        assert (status, code) == (503, "IDEMPOTENCY_UNAVAILABLE")
        assert took < 15, f"the API took {took:.1f}s to give up"
        faulty.redis.set("pass")
        await _placed_again(alice, price, "r-1")


async def test_database_cut_pauses_processing_then_catches_up(faulty: Faulty) -> None:
    async with client_for(faulty.cluster, "alice") as alice:
        price = await _price(alice)
        faulty.mongo.set("partition")
        # Kafka keeps the orders and Redis their clientOrderIds: the API still takes them.
        placed = [
            await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price, client_order_id=f"m-{i}")
            for i in range(3)
        ]
        await asyncio.sleep(3.0)
        faulty.mongo.set("pass")

        async def all_working() -> None:
            for order in placed:
                assert (await alice.get_order(order.order_id)).status == "NEW"

        await eventually(all_working, timeout=60)
