"""The bus port's contract, held by both adapters: the embedded bus and Kafka.

Every test writes to topics of its own (a random suffix), so runs against a shared broker never
see each other's messages.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from oms.bus import Bus, BusUnavailableError, Consumer, Record
from oms.bus.kafka import KafkaBus, KafkaConsumer, Partition
from oms.bus.memory import MemoryBus

_PARTITIONS = 4
# Short group timeouts so a rebalance takes a second or two, not ten.
_KAFKA_TEST_OPTIONS = (
    f"partitions={_PARTITIONS}&session_timeout_ms=6000&heartbeat_interval_ms=500"
    "&lag_interval_ms=100"
)


@dataclass
class Backend:
    """Opens buses on one backend, all sharing the same log (a restart is close + open)."""

    name: str
    topic: str
    open: Callable[[], Awaitable[Bus]]
    opened: list[Bus] = field(default_factory=list)

    async def bus(self) -> Bus:
        bus = await self.open()
        self.opened.append(bus)
        return bus


def _with_options(url: str, options: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{options}"


@pytest.fixture(params=["memory", "kafka"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    topic = f"test.bus.{uuid.uuid4().hex[:12]}"
    if request.param == "memory":

        async def open_memory() -> Bus:
            return MemoryBus(tmp_path / "bus.db", durable={topic})

        opener = open_memory
    else:
        url = _with_options(request.getfixturevalue("kafka_url"), _KAFKA_TEST_OPTIONS)

        async def open_kafka() -> Bus:
            return await KafkaBus.connect(url, topics=[topic])

        opener = open_kafka
    backend = Backend(request.param, topic, opener)
    yield backend
    for bus in backend.opened:
        await bus.close()


def _group() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


async def _drain(consumer: Consumer, want: int, within: float = 15.0) -> list[Record]:
    """Fetch until ``want`` records arrived or ``within`` seconds passed."""
    got: list[Record] = []
    deadline = time.monotonic() + within
    while len(got) < want and time.monotonic() < deadline:
        got += await consumer.fetch(want - len(got), timeout=0.2)
    return got


async def _quiet(consumer: Consumer, seconds: float = 1.0) -> list[Record]:
    """Whatever arrives within ``seconds``: nothing, when nothing is due."""
    got: list[Record] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got += await consumer.fetch(100, timeout=0.1)
    return got


async def test_each_key_keeps_its_publish_order_under_concurrent_publishers(
    backend: Backend,
) -> None:
    bus = await backend.bus()
    keys = [f"acct{k}" for k in range(8)]

    async def publish_in_order(key: str) -> None:
        # Singles and batches interleaved, so both paths keep the order.
        for i in range(0, 60, 6):
            await bus.publish(backend.topic, key, b"%d" % i)
            await bus.publish_many(backend.topic, [(key, b"%d" % j) for j in range(i + 1, i + 6)])

    await asyncio.gather(*(publish_in_order(k) for k in keys))
    got = await _drain(bus.consumer(_group(), [backend.topic]), 60 * len(keys))

    per_key: dict[str, list[int]] = {}
    for r in got:
        per_key.setdefault(r.key, []).append(int(r.value))
    assert per_key == {k: list(range(60)) for k in keys}
    per_partition: dict[int, list[int]] = {}
    for r in got:
        per_partition.setdefault(r.partition, []).append(r.offset)
    assert all(offsets == sorted(offsets) for offsets in per_partition.values())


async def test_a_group_resumes_after_its_last_commit(backend: Backend) -> None:
    bus = await backend.bus()
    sent = {f"k{i % 5}:{i}".encode() for i in range(40)}
    await bus.publish_many(backend.topic, [(v.decode().split(":")[0], v) for v in sorted(sent)])
    group = _group()
    consumer = bus.consumer(group, [backend.topic])
    first = await _drain(consumer, 15)
    await consumer.commit()
    await consumer.close()
    await bus.close()

    again = await backend.bus()
    rest = await _drain(again.consumer(group, [backend.topic]), len(sent) - len(first))
    assert {r.value for r in first}.isdisjoint(r.value for r in rest)
    assert {r.value for r in first} | {r.value for r in rest} == sent
    assert len(first) + len(rest) == len(sent)


async def test_records_fetched_but_not_committed_are_delivered_again(backend: Backend) -> None:
    bus = await backend.bus()
    await bus.publish_many(backend.topic, [("a", b"1"), ("a", b"2")])
    group = _group()
    consumer = bus.consumer(group, [backend.topic])
    assert [r.value for r in await _drain(consumer, 2)] == [b"1", b"2"]
    await consumer.commit()
    await bus.publish_many(backend.topic, [("a", b"3"), ("a", b"4")])
    assert [r.value for r in await _drain(consumer, 2)] == [b"3", b"4"]
    await consumer.close()
    await bus.close()

    again = await backend.bus()
    resumed = again.consumer(group, [backend.topic])
    assert [r.value for r in await _drain(resumed, 2)] == [b"3", b"4"]
    assert await _quiet(resumed, 0.5) == []


async def test_a_commit_covers_only_what_was_fetched(backend: Backend) -> None:
    bus = await backend.bus()
    await bus.publish_many(backend.topic, [("a", b"%d" % i) for i in range(10)])
    group = _group()
    consumer = bus.consumer(group, [backend.topic])
    first = await _drain(consumer, 3)
    await consumer.commit()
    await consumer.close()

    resumed = bus.consumer(group, [backend.topic])
    rest = await _drain(resumed, 10 - len(first))
    assert [r.value for r in first + rest] == [b"%d" % i for i in range(10)]


async def test_a_latest_tap_sees_only_messages_published_after_it_started(
    backend: Backend,
) -> None:
    bus = await backend.bus()
    await bus.publish(backend.topic, "BTC-USDT", b"old")
    tap = bus.consumer(_group(), [backend.topic], from_latest=True)
    assert await tap.fetch(10, timeout=1.0) == []  # Kafka: the tap is positioned by now
    await bus.publish_many(backend.topic, [("BTC-USDT", b"new"), ("ETH-USDT", b"newer")])
    assert sorted(r.value for r in await _drain(tap, 2)) == [b"new", b"newer"]


async def test_a_latest_tap_that_committed_resumes_at_its_commit(backend: Backend) -> None:
    bus = await backend.bus()
    group = _group()
    tap = bus.consumer(group, [backend.topic], from_latest=True)
    assert await tap.fetch(10, timeout=1.0) == []
    await bus.publish(backend.topic, "a", b"seen")
    assert [r.value for r in await _drain(tap, 1)] == [b"seen"]
    await tap.commit()
    await tap.close()
    await bus.publish(backend.topic, "a", b"missed while away")
    again = bus.consumer(group, [backend.topic], from_latest=True)
    assert [r.value for r in await _drain(again, 1)] == [b"missed while away"]


async def test_a_fresh_group_reads_from_the_oldest_message(backend: Backend) -> None:
    bus = await backend.bus()
    await bus.publish_many(backend.topic, [("a", b"1"), ("b", b"2")])
    done = bus.consumer(_group(), [backend.topic])
    assert len(await _drain(done, 2)) == 2
    await done.commit()
    fresh = bus.consumer(_group(), [backend.topic])
    assert sorted(r.value for r in await _drain(fresh, 2)) == [b"1", b"2"]


# --- Kafka only: several members, outages, lag -------------------------------------------


@pytest.fixture
async def kafka_bus(kafka_url: str) -> AsyncIterator[KafkaBus]:
    topic = f"test.bus.{uuid.uuid4().hex[:12]}"
    bus = await KafkaBus.connect(_with_options(kafka_url, _KAFKA_TEST_OPTIONS), topics=[topic])
    yield bus
    await bus.close()


async def _until_assigned(*consumers: KafkaConsumer, within: float = 20.0) -> None:
    """Poll every member (a member that does not poll stalls the rebalance) until the
    group has handed out all partitions."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.gather(*(c.fetch(100, timeout=0.1) for c in consumers))
        if sum(len(c.assignment) for c in consumers) == _PARTITIONS and all(
            c.assignment for c in consumers
        ):
            return
    raise AssertionError(f"group did not settle: {[c.assignment for c in consumers]}")


async def test_group_members_share_partitions_and_a_survivor_takes_over(
    kafka_bus: KafkaBus,
) -> None:
    topic = kafka_bus.topics[0]
    gained: list[frozenset[Partition]] = []

    async def note(partitions: frozenset[Partition]) -> None:
        gained.append(partitions)

    group = _group()
    first = kafka_bus.consumer(group, [topic])
    second = kafka_bus.consumer(group, [topic], on_assigned=note)
    await _until_assigned(first, second)
    assert first.assignment.isdisjoint(second.assignment)

    sent = [(f"acct{i}", b"%d" % i) for i in range(200)]
    await kafka_bus.publish_many(topic, sent)
    by_first: list[Record] = []
    by_second: list[Record] = []
    deadline = time.monotonic() + 15
    while len(by_first) + len(by_second) < len(sent) and time.monotonic() < deadline:
        a, b = await asyncio.gather(first.fetch(500, 0.2), second.fetch(500, 0.2))
        by_first += a
        by_second += b
    assert by_first
    assert by_second
    assert sorted(r.value for r in by_first + by_second) == sorted(v for _, v in sent)
    assert {(r.topic, r.partition) for r in by_first} <= first.assignment
    await first.commit()
    await second.commit()

    await first.close()
    more = [(f"acct{i}", b"late%d" % i) for i in range(100)]
    await kafka_bus.publish_many(topic, more)
    # Records the survivor fetched before the rebalance and did not commit come again after
    # it (at least once), so wait for every value rather than for a count.
    taken_over: set[bytes] = set()
    deadline = time.monotonic() + 20
    while len(taken_over) < len(more) and time.monotonic() < deadline:
        taken_over |= {r.value for r in await second.fetch(500, 0.2)}
    assert taken_over == {v for _, v in more}
    assert second.assignment == {(topic, p) for p in range(_PARTITIONS)}
    assert gained[-1] == second.assignment


async def test_lag_counts_what_the_group_has_not_fetched(kafka_bus: KafkaBus) -> None:
    topic = kafka_bus.topics[0]
    await kafka_bus.publish_many(topic, [("a", b"%d" % i) for i in range(10)])
    group = _group()
    consumer = kafka_bus.consumer(group, [topic])
    fetched = await _drain(consumer, 4)
    assert len(fetched) == 4
    lag = await consumer.lag()
    assert sum(lag.values()) == 6
    await asyncio.sleep(0.3)  # the gauge refreshes every lag_interval_ms (100 ms here)
    partition = str(fetched[0].partition)
    sample = kafka_bus.registry.get_sample_value(
        "oms_bus_consumer_lag", {"group": group, "topic": topic, "partition": partition}
    )
    assert sample == 6


async def _silent_broker() -> tuple[asyncio.Server, int]:
    """A listener that accepts connections and never answers, like a hung broker."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("broker", ["refusing", "silent"])
async def test_publishing_to_an_unreachable_broker_fails_in_bounded_time(broker: str) -> None:
    server = None
    if broker == "silent":
        server, port = await _silent_broker()
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    bus = KafkaBus.from_url(
        f"kafka://127.0.0.1:{port}?request_timeout_ms=1000&delivery_timeout_ms=1000"
    )
    try:
        attempts = (lambda: bus.publish("oms.commands", "acct", b"x"), bus.start)
        for attempt in attempts:
            started = time.monotonic()
            with pytest.raises(BusUnavailableError):
                await attempt()
            assert time.monotonic() - started < 4.0
        tap = bus.consumer(_group(), ["oms.commands"])
        assert await tap.fetch(10, timeout=0.3) == []
    finally:
        await bus.close()
        if server is not None:
            server.close()
