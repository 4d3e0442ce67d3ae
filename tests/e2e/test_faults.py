"""Faults in distributed mode: services killed under load, servers stopped, duplicate storms.

Each test brings up its own cluster (four `oms serve` processes in their own namespace) on the
real Kafka, Redis and FerretDB, and stops and starts those servers with
`deploy/local/services.sh`; they are always running again when a test ends.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from oms.client import OmsApiError, OmsClient, Order
from tests.e2e.conftest import (
    PERP,
    client_for,
    eventually,
    mid,
    on_grid,
    start_cluster,
    start_oms,
)
from tests.e2e.server import OmsCluster

pytestmark = pytest.mark.e2e

SERVICES = Path(__file__).parents[2] / "deploy/local/services.sh"
PENDING = {"PENDING_NEW", "PENDING_CANCEL", "PENDING_REPLACE"}


def services(*args: str) -> None:
    subprocess.run([str(SERVICES), *args], check=True, capture_output=True, timeout=180)  # noqa: S603


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[OmsCluster]:
    c = start_cluster(tmp_path)
    yield c
    services("up")  # whatever a test stopped is back for the next one
    c.stop()


@pytest.fixture
async def alice(cluster: OmsCluster) -> AsyncIterator[OmsClient]:
    async with client_for(cluster, "alice") as c:
        yield c


class Load:
    """Orders at a steady pace from ``oms.client``; remembers every order answered 2xx."""

    def __init__(self, client: OmsClient, price: Decimal) -> None:
        self.client = client
        self.price = price
        self.acked: dict[str, str] = {}
        self.refused = 0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def _place(self, i: int) -> None:
        cid = f"load-{i}"
        try:
            if i % 4 == 0:
                o = await self.client.place_order(
                    PERP, "BUY", "MARKET", "0.002", client_order_id=cid
                )
            else:
                o = await self.client.place_order(
                    PERP, "BUY", "LIMIT", "0.002", self.price, client_order_id=cid
                )
        except (OmsApiError, httpx.HTTPError):
            self.refused += 1
            return
        self.acked[cid] = o.order_id

    async def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            await asyncio.gather(*(self._place(i + k) for k in range(5)))
            i += 5
            await asyncio.sleep(0.02)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task


async def _all_orders(client: OmsClient) -> list[Order]:
    return [o async for o in client.iter_orders(page_size=500)]


async def _assert_consistent(client: OmsClient, acked: dict[str, str]) -> None:
    """Every acknowledged order stored once, none stuck pending, fills booked once."""

    async def settled() -> None:
        orders = await _all_orders(client)
        assert not [o.order_id for o in orders if o.status in PENDING]
        ids = [o.order_id for o in orders]
        assert len(ids) == len(set(ids))
        by_cid = {o.client_order_id: o.order_id for o in orders}
        assert all(by_cid.get(cid) == oid for cid, oid in acked.items())

    await eventually(settled, timeout=60)

    async def booked() -> None:
        fills = []
        cursor = None
        while True:
            page = await client.executions(symbol=PERP, limit=500, cursor=cursor)
            fills += page.executions
            cursor = page.next_cursor
            if cursor is None:
                break
        assert len({f.exec_id for f in fills}) == len(fills)
        position = sum(f.quantity if f.side == "BUY" else -f.quantity for f in fills)
        assert {p.symbol: p.quantity for p in await client.positions()}.get(PERP, 0) == position
        account = await client.account()
        usdt = {b.asset: b.total for b in account.balances}["USDT"]
        # Only buys: nothing realized, so the wallet moved by the fees alone.
        assert usdt == Decimal("1000000") - sum(f.fee for f in fills)

    await eventually(booked, timeout=30)


async def test_services_killed_under_load_lose_and_double_nothing(
    cluster: OmsCluster, alice: OmsClient
) -> None:
    rng = random.Random(7)
    load = Load(alice, on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1"))
    load.start()
    for role in ("processor", "risk", "api"):
        await asyncio.sleep(rng.uniform(1.0, 2.5))
        cluster.kill_service(role)
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        await asyncio.to_thread(cluster.start_service, role)
    await asyncio.sleep(1.0)
    await load.stop()
    assert len(load.acked) >= 100
    await _assert_consistent(alice, load.acked)


async def test_kafka_down_refuses_orders_with_503_then_resumes(
    cluster: OmsCluster, alice: OmsClient
) -> None:
    price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")
    await asyncio.to_thread(services, "down", "kafka")
    with pytest.raises(OmsApiError) as err:
        await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price, client_order_id="k-1")
    assert (err.value.status, err.value.code) == (503, "BUS_UNAVAILABLE")
    await asyncio.to_thread(services, "up", "kafka")

    async def accepted_again() -> None:
        try:
            order = await alice.place_order(
                PERP, "BUY", "LIMIT", "0.002", price, client_order_id="k-1"
            )
        except OmsApiError as exc:
            raise AssertionError(exc.code) from exc
        done = await alice.get_order(order.order_id)
        assert done.status == "NEW"

    await eventually(accepted_again, timeout=60)


async def test_redis_down_fails_closed(cluster: OmsCluster, alice: OmsClient) -> None:
    price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")
    await asyncio.to_thread(services, "down", "redis")
    with pytest.raises(OmsApiError) as err:
        await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price, client_order_id="r-1")
    assert (err.value.status, err.value.code) == (503, "IDEMPOTENCY_UNAVAILABLE")
    await asyncio.to_thread(services, "up", "redis")
    order = await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price, client_order_id="r-1")
    orders = [o for o in await _all_orders(alice) if o.client_order_id == "r-1"]
    assert [o.order_id for o in orders] in ([], [order.order_id])


async def test_database_down_pauses_processing_then_catches_up(
    cluster: OmsCluster, alice: OmsClient
) -> None:
    price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")
    await asyncio.to_thread(services, "down", "ferretdb")
    # Kafka holds new orders and Redis their clientOrderIds, so the API still takes them.
    placed = [
        await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price, client_order_id=f"db-{i}")
        for i in range(5)
    ]
    await asyncio.sleep(2.0)
    await asyncio.to_thread(services, "up", "ferretdb")

    async def all_working() -> None:
        for order in placed:
            assert (await alice.get_order(order.order_id)).status == "NEW"

    await eventually(all_working, timeout=60)


@pytest.mark.parametrize("mode", ["embedded", "distributed"])
async def test_a_duplicate_storm_makes_exactly_one_order(tmp_path: Path, mode: str) -> None:
    server = start_oms(tmp_path) if mode == "embedded" else start_cluster(tmp_path)
    try:
        async with client_for(server, "alice") as alice:
            price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")
            body = {
                "symbol": PERP,
                "side": "BUY",
                "type": "LIMIT",
                "quantity": "0.002",
                "price": str(price),
                "clientOrderId": "storm-1",
            }
            answers = await asyncio.gather(
                *(alice.request("POST", "/v1/orders", body=body) for _ in range(50))
            )
            assert {a.status_code for a in answers} <= {200, 202}
            assert len({a.json()["orderId"] for a in answers}) == 1
            assert [a.status_code for a in answers].count(202) == 1

            async def one_stored() -> None:
                orders = [o for o in await _all_orders(alice) if o.client_order_id == "storm-1"]
                assert len(orders) == 1

            await eventually(one_stored)
    finally:
        server.stop()


async def test_malformed_messages_are_set_aside_and_trading_goes_on(
    cluster: OmsCluster, alice: OmsClient
) -> None:
    from oms.bus.kafka import KafkaBus
    from oms.events import COMMANDS, DEADLETTER, EVENTS, MARKETDATA, ORDERS, dead_letter_decoder

    bus = await KafkaBus.connect(cluster.env["OMS_BUS"])
    try:
        await bus.publish(COMMANDS, "alice", b'{"type":"NewOrder.v1","qty":"lots"}')
        await bus.publish(ORDERS, "alice", b"\x00 not json")
        await bus.publish(EVENTS, "alice", b'{"type":"Nope.v9"}')
        await bus.publish(MARKETDATA, PERP, b"[1,2,3]")
        order = await alice.place_order(PERP, "BUY", "MARKET", "0.002", client_order_id="dl-1")

        async def filled() -> None:
            assert (await alice.get_order(order.order_id)).status == "FILLED"

        await eventually(filled, timeout=30)

        tap = bus.consumer("test-deadletters", [DEADLETTER])
        seen: set[tuple[str, str]] = set()
        expected = {
            ("risk", COMMANDS),
            ("risk", EVENTS),
            ("processor", ORDERS),
            ("risk", MARKETDATA),
        }
        for _ in range(100):
            for r in await tap.fetch(100, 0.2):
                letter = dead_letter_decoder.decode(r.value)
                seen.add((letter.service, letter.topic))
            if expected <= seen:
                break
        await tap.close()
        assert expected <= seen
    finally:
        await bus.close()
