"""The embedded bus keeps per-key order, resumes groups from their commits, and loses nothing
acknowledged across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from oms.bus.memory import MemoryBus
from oms.events import COMMANDS, MARKETDATA


async def _drain(consumer, want: int) -> list:
    got: list = []
    for _ in range(50):
        got += await consumer.fetch(1000, timeout=0.01)
        if len(got) >= want:
            break
    return got


async def test_messages_arrive_in_publish_order_with_their_keys(tmp_path: Path) -> None:
    bus = MemoryBus(tmp_path / "bus.db")
    c = bus.consumer("risk", [COMMANDS])
    await asyncio.gather(*(bus.publish(COMMANDS, f"acct{i % 3}", b"%d" % i) for i in range(200)))
    got = await _drain(c, 200)
    assert [r.offset for r in got] == list(range(200))
    per_key: dict[str, list[int]] = {}
    for r in got:
        per_key.setdefault(r.key, []).append(int(r.value))
    for values in per_key.values():
        assert values == sorted(values)
    await bus.close()


async def test_a_restart_resumes_each_group_after_its_last_commit(tmp_path: Path) -> None:
    bus = MemoryBus(tmp_path / "bus.db")
    c = bus.consumer("risk", [COMMANDS])
    await bus.publish_many(COMMANDS, [("a", b"1"), ("a", b"2"), ("a", b"3")])
    first = await c.fetch(2)
    assert [r.value for r in first] == [b"1", b"2"]
    await c.commit()
    await bus.close()

    again = MemoryBus(tmp_path / "bus.db")
    c2 = again.consumer("risk", [COMMANDS])
    rest = await _drain(c2, 1)
    assert [(r.offset, r.value) for r in rest] == [(2, b"3")]
    # New messages continue the numbering; a group that never committed reads from the start.
    await again.publish(COMMANDS, "a", b"4")
    assert [r.offset for r in await _drain(c2, 1)] == [3]
    fresh = again.consumer("audit", [COMMANDS])
    assert [r.value for r in await _drain(fresh, 4)] == [b"1", b"2", b"3", b"4"]
    await again.close()


async def test_latest_consumers_see_only_new_messages(tmp_path: Path) -> None:
    bus = MemoryBus(tmp_path / "bus.db")
    await bus.publish(MARKETDATA, "BTC-USDT", b"old")
    tap = bus.consumer("api", [MARKETDATA], from_latest=True)
    assert await tap.fetch(10, timeout=0.01) == []
    await bus.publish(MARKETDATA, "BTC-USDT", b"new")
    assert [r.value for r in await tap.fetch(10, timeout=0.01)] == [b"new"]
    await bus.close()


async def test_market_data_is_not_journaled(tmp_path: Path) -> None:
    bus = MemoryBus(tmp_path / "bus.db")
    await bus.publish(MARKETDATA, "BTC-USDT", b"tick")
    await bus.close()
    again = MemoryBus(tmp_path / "bus.db")
    assert await again.consumer("x", [MARKETDATA]).fetch(10, timeout=0.01) == []
    await again.close()


async def test_fetch_waits_for_a_publish_instead_of_spinning(tmp_path: Path) -> None:
    bus = MemoryBus()
    c = bus.consumer("g", [COMMANDS])
    waiting = asyncio.ensure_future(c.fetch(10, timeout=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await bus.publish(COMMANDS, "k", b"v")
    assert [r.value for r in await asyncio.wait_for(waiting, 1)] == [b"v"]
    await bus.close()


async def test_memory_stays_bounded_when_big_batches_are_read_and_committed(
    tmp_path: Path,
) -> None:
    """Retention counts messages, not publishes: group-committed flushes and large batches
    carry thousands each, and a log that kept them all grew without bound under load."""
    bus = MemoryBus(tmp_path / "bus.db")
    journaled = bus.consumer("g", [COMMANDS])
    market = bus.consumer("m", [MARKETDATA])
    try:
        for _ in range(20):
            items = [("alice", b"x" * 50)] * 1_000
            await bus.publish_many(COMMANDS, items)
            await bus.publish_many(MARKETDATA, [("BTC", b"y" * 50)] * 1_000)
            while await journaled.fetch(5_000, timeout=0.01):
                pass
            await journaled.commit()
            while await market.fetch(5_000, timeout=0.01):
                pass
        retained = {name: len(bus.topic(name).records) for name in (COMMANDS, MARKETDATA)}
        assert all(n <= 5_000 for n in retained.values()), retained  # of 20,000 each
    finally:
        await journaled.close()
        await market.close()
        await bus.close()
