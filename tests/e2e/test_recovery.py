"""Crashes and restarts: nothing acknowledged is lost, nothing is doubled."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from oms.client import OmsApiError, OmsClient
from tests.e2e.conftest import PERP, client_for, eventually, mid, on_grid, start_oms, until_order

pytestmark = pytest.mark.e2e


async def _all_orders(client: OmsClient) -> list:
    return [o async for o in client.iter_orders(page_size=500)]


async def test_kill_9_mid_load_loses_no_acknowledged_order(tmp_path: Path) -> None:
    server = start_oms(tmp_path)
    acked: dict[str, str] = {}  # clientOrderId → orderId, for every 2xx answer
    async with client_for(server, "alice") as alice:
        price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")

        async def place(i: int) -> None:
            cid = f"load-{i}"
            try:
                if i % 3 == 0:
                    o = await alice.place_order(PERP, "BUY", "MARKET", "0.002", client_order_id=cid)
                else:
                    o = await alice.place_order(
                        PERP, "BUY", "LIMIT", "0.002", price, client_order_id=cid
                    )
            except (OmsApiError, httpx.HTTPError):
                return  # no answer, no promise
            acked[cid] = o.order_id

        async def load() -> None:
            for start in range(0, 2000, 20):
                await asyncio.gather(*(place(i) for i in range(start, start + 20)))

        loader = asyncio.create_task(load())
        while len(acked) < 150:
            await asyncio.sleep(0.02)
        server.kill()
        await loader
    assert len(acked) >= 150

    server.start()
    try:
        async with client_for(server, "alice") as alice:
            for cid, order_id in acked.items():
                assert (await alice.get_order_by_client_id(cid)).order_id == order_id
            orders = await _all_orders(alice)
            ids = [o.order_id for o in orders]
            assert len(ids) == len(set(ids))
            cids = [o.client_order_id for o in orders]
            assert len(cids) == len(set(cids))

            async def position_is_the_sum_of_fills() -> None:
                fills: list = []
                cursor = None
                while True:
                    page = await alice.executions(symbol=PERP, limit=500, cursor=cursor)
                    fills += page.executions
                    cursor = page.next_cursor
                    if cursor is None:
                        break
                exec_ids = [f.exec_id for f in fills]
                assert len(exec_ids) == len(set(exec_ids))
                signed = sum(f.quantity if f.side == "BUY" else -f.quantity for f in fills)
                positions = {p.symbol: p.quantity for p in await alice.positions()}
                assert positions.get(PERP, Decimal(0)) == signed

            await eventually(position_is_the_sum_of_fills)
    finally:
        assert server.stop() == 0, server.log()


async def test_graceful_restart_keeps_open_orders_working(tmp_path: Path) -> None:
    server = start_oms(tmp_path)
    async with client_for(server, "bob") as bob:
        price = on_grid(await mid(bob, PERP) * Decimal("0.96"), "0.1")
        order = await bob.place_order(PERP, "BUY", "LIMIT", "0.01", price, resp_type="RESULT")
        await until_order(bob, order.order_id, lambda o: o.status == "NEW")
    assert server.stop() == 0, server.log()

    server.start()
    try:
        async with client_for(server, "bob") as bob:
            assert (await bob.get_order(order.order_id)).status == "NEW"

            async def margin_held() -> None:
                assert (await bob.account()).available_margin < Decimal("1000000")

            await eventually(margin_held)
            await bob.cancel_order(order.order_id)
            done = await until_order(bob, order.order_id, lambda o: o.status == "CANCELED")
            assert done.leaves_qty == 0
    finally:
        assert server.stop() == 0, server.log()
