"""How reports reach the sink: after the latency, batched, in order; exec ids; start and stop."""

from __future__ import annotations

import asyncio

import pytest

from oms.venue import Acked, Filled
from oms.venue.sim import SimVenue
from oms_core import ASK
from tests.unit.venue.fakes import REGISTRY, FakeMarket, Harness, names

ASK_PX = 6_000_000


async def test_reports_come_in_the_order_things_happened_ack_first(sim):
    sim.market.quote(ASK, ASK_PX, 100)
    sim.market.quote(ASK, ASK_PX + 1, 100)
    sim.submit(1, "BUY", 150, ASK_PX + 1)
    sim.submit(2, "BUY", 10, ASK_PX + 1)
    reports = await sim.reports()
    assert names(reports) == ["Acked", "Filled", "Filled", "Acked", "Filled"]
    assert [r.order_id for r in reports] == [1, 1, 1, 2, 2]


async def test_reports_are_never_delivered_inside_the_instruction(sim):
    sim.market.quote(ASK, ASK_PX, 100)
    sim.submit(1, "BUY", 10, order_type="MARKET")
    sim.venue.cancel(1)
    assert sim.batches == []
    assert len(await sim.reports()) == 3


async def test_reports_arrive_only_after_the_latency():
    sim = Harness(latency_ms=30)
    await sim.venue.start()
    sim.market.quote(ASK, ASK_PX, 100)
    sent = asyncio.get_running_loop().time()
    sim.submit(1, "BUY", 10, order_type="MARKET")
    sim.submit(2, "BUY", 10, order_type="MARKET")
    await asyncio.sleep(0.01)
    assert sim.batches == []
    reports = await sim.reports()
    await sim.venue.stop()
    assert names(reports) == ["Acked", "Filled", "Acked", "Filled"]
    assert sim.arrivals[0] - sent >= 0.03


async def test_stop_hands_over_what_is_pending_and_later_instructions_are_refused():
    sim = Harness(latency_ms=10_000)
    await sim.venue.start()
    sim.market.quote(ASK, ASK_PX, 100)
    sim.submit(1, "BUY", 10, ASK_PX - 1)
    await sim.venue.stop()
    assert sim.batches == [[Acked(1)]]
    sim.market.trade(ASK_PX - 1, 10)  # no longer listening
    with pytest.raises(RuntimeError, match="not started"):
        sim.submit(2, "BUY", 10, ASK_PX - 1)
    await asyncio.sleep(0.002)
    assert sim.batches == [[Acked(1)]]


async def test_start_needs_a_sink():
    venue = SimVenue("sim", REGISTRY, FakeMarket(REGISTRY))
    with pytest.raises(RuntimeError, match="connect"):
        await venue.start()


def test_latency_cannot_be_negative():
    with pytest.raises(ValueError, match="latency_ms"):
        SimVenue("sim", REGISTRY, FakeMarket(REGISTRY), latency_ms=-1)


async def test_exec_ids_are_unique_across_two_venues_of_the_same_name():
    ids: list[str] = []
    for _ in range(2):
        sim = Harness(name="binance-sim")
        await sim.venue.start()
        sim.market.quote(ASK, ASK_PX, 100)
        sim.market.quote(ASK, ASK_PX + 1, 100)
        sim.submit(1, "BUY", 150, order_type="MARKET")
        ids += [r.exec_id for r in await sim.reports() if isinstance(r, Filled)]
        await sim.venue.stop()
    assert len(ids) == 4
    assert len(set(ids)) == 4
    assert all(exec_id.startswith("binance-sim-") for exec_id in ids)
