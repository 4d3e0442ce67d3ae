"""The Kafka bus: the port's semantics on a Kafka cluster, through aiokafka.

Publishing goes through one idempotent producer per bus (``acks=all``: a returned publish is on
every in-sync replica; the murmur2 partitioner sends a key to one partition, so per-key order
holds). A publish that Kafka does not confirm within ``delivery_timeout_ms`` raises
``BusUnavailableError`` and the producer is discarded with what it still queues (an idempotent
aiokafka producer would retry it forever, delivering it long after its caller heard it failed);
the next publish connects a new producer, so the bus recovers by itself when Kafka does. As with
any timeout, the outcome of a request already on the wire is unknown: the broker may still
append it. A caller that retries after ``BusUnavailableError`` must therefore resend the same
message (same order id), which consumers recognise, never a new one.

Consumers are group members with manual commits: ``commit()`` commits exactly what was fetched,
and when a rebalance takes partitions away their uncommitted records go to the new owner (at
least once; consumers make effects idempotent). ``from_latest`` consumers are taps: each one
reads every partition (no sharing: every API replica must see every event), starting at the end
unless its group committed before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # type: ignore[import-untyped]
from aiokafka.abc import ConsumerRebalanceListener  # type: ignore[import-untyped]
from aiokafka.coordinator.assignors.range import (  # type: ignore[import-untyped]
    RangePartitionAssignor,
)
from aiokafka.errors import (  # type: ignore[import-untyped]
    CommitFailedError,
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
)
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry, Gauge

from oms.bus import BusUnavailableError, Record
from oms.bus.kafka_config import KafkaConfig
from oms.bus.kafka_topics import OMS_TOPICS, ensure_topics

log = logging.getLogger("oms.bus.kafka")

Partition = tuple[str, int]
"""A topic and a partition number."""

RebalanceHook = Callable[[frozenset[Partition]], Awaitable[None]]
"""Called with the partitions a consumer gained (or lost), before it fetches again."""

_START_RETRY_S = 1.0
_UNREACHABLE = (KafkaError, OSError, TimeoutError, BusUnavailableError)
"""What a client that cannot reach the cluster raises while connecting."""


class KafkaBus:
    """The bus on a Kafka cluster; build it with ``await KafkaBus.connect(url)``.

    Args:
        config: the cluster and client settings (see ``oms.bus.kafka_config``).
        topics: created at ``start()`` if missing.
        registry: where the consumer lag gauge is registered (a registry of its own if None).
    """

    def __init__(
        self,
        config: KafkaConfig,
        *,
        topics: Sequence[str] = OMS_TOPICS,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.config = config
        self.topics = tuple(topics)
        self.registry = registry if registry is not None else CollectorRegistry()
        self.lag_gauge = Gauge(
            "oms_bus_consumer_lag",
            "Messages published but not yet fetched by a consumer group, per partition.",
            ["group", "topic", "partition"],
            registry=self.registry,
        )
        self._producer: Any = None
        self._connecting: asyncio.Task[Any] | None = None
        self._consumers: set[KafkaConsumer] = set()
        self._discards: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        topics: Sequence[str] = OMS_TOPICS,
        registry: CollectorRegistry | None = None,
    ) -> KafkaBus:
        return cls(KafkaConfig.from_url(url), topics=topics, registry=registry)

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        topics: Sequence[str] = OMS_TOPICS,
        registry: CollectorRegistry | None = None,
    ) -> KafkaBus:
        """A started bus: topics created, producer connected."""
        bus = cls.from_url(url, topics=topics, registry=registry)
        await bus.start()
        return bus

    async def start(self) -> None:
        """Create the missing topics and connect the producer, so a process that cannot reach
        Kafka fails at start-up rather than at its first order.

        Raises:
            BusUnavailableError: Kafka did not answer in time.
            TopicSetupError: the cluster refused to create a topic.
        """
        created = await ensure_topics(self.config, [self.config.topic(t) for t in self.topics])
        if created:
            log.info("created Kafka topics %s (%d partitions)", created, self.config.partitions)
        await self._connected_producer()

    # --- publishing ----------------------------------------------------------------------

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        await self.publish_many(topic, ((key, value),))

    async def publish_many(self, topic: str, items: Sequence[tuple[str, bytes]]) -> None:
        """Send all, then wait for every acknowledgement: durable together when this returns.

        Raises:
            BusUnavailableError: Kafka refused a message, or did not confirm all of them within
                ``delivery_timeout_ms`` (plus ``request_timeout_ms`` if it had to reconnect).
        """
        if not items:
            return
        producer = await self._connected_producer()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.delivery_timeout_ms / 1000
        deliveries: list[asyncio.Future[Any]] = []
        try:
            async with asyncio.timeout_at(deadline):
                name = self.config.topic(topic)
                for key, value in items:
                    deliveries.append(await producer.send(name, value, key.encode()))
        except (TimeoutError, KafkaTimeoutError) as exc:
            self._discard(producer, deliveries)
            raise BusUnavailableError(f"Kafka did not take messages for {topic}: {exc!r}") from exc
        except KafkaError as exc:
            raise BusUnavailableError(f"Kafka refused messages for {topic}: {exc!r}") from exc
        _, pending = await asyncio.wait(deliveries, timeout=max(0.0, deadline - loop.time()))
        if pending:
            self._discard(producer, deliveries)
            raise BusUnavailableError(
                f"Kafka confirmed {len(deliveries) - len(pending)} of {len(deliveries)} messages"
                f" for {topic} within {self.config.delivery_timeout_ms} ms"
            )
        failed = [e for e in (d.exception() for d in deliveries) if e is not None]
        if failed:
            raise BusUnavailableError(
                f"Kafka refused {len(failed)} of {len(deliveries)} messages for {topic}:"
                f" {failed[0]!r}"
            ) from failed[0]

    async def _connected_producer(self) -> Any:
        """The live producer; concurrent callers share one connection attempt and its outcome."""
        if self._producer is not None:
            return self._producer
        if self._connecting is None:
            self._connecting = asyncio.get_running_loop().create_task(self._new_producer())
        attempt = self._connecting
        try:
            return await asyncio.shield(attempt)
        finally:
            if attempt.done() and self._connecting is attempt:
                self._connecting = None

    async def _new_producer(self) -> Any:
        producer = AIOKafkaProducer(
            **self.config.connection(),
            acks="all",
            enable_idempotence=True,
            linger_ms=self.config.linger_ms,
        )
        try:
            async with asyncio.timeout(self.config.request_timeout_ms / 1000):
                await producer.start()
        except (KafkaError, OSError, TimeoutError) as exc:
            await producer.stop()
            raise BusUnavailableError(f"cannot connect to Kafka: {exc!r}") from exc
        self._producer = producer
        return producer

    def _discard(self, producer: Any, deliveries: Iterable[asyncio.Future[Any]]) -> None:
        """Give up on ``producer`` and what it holds; the next publish connects a new one."""
        for delivery in deliveries:
            delivery.add_done_callback(_observe)
        if self._producer is not producer:
            return
        self._producer = None
        log.warning("discarding the Kafka producer: deliveries timed out")
        task = asyncio.get_running_loop().create_task(_stop_undelivered(producer))
        self._discards.add(task)
        task.add_done_callback(self._discards.discard)

    # --- consuming -----------------------------------------------------------------------

    def consumer(
        self,
        group: str,
        topics: Sequence[str],
        *,
        from_latest: bool = False,
        on_assigned: RebalanceHook | None = None,
        on_revoked: RebalanceHook | None = None,
    ) -> KafkaConsumer:
        """A member of ``group`` (a tap with ``from_latest``), connecting in the background.

        ``on_assigned`` runs when the group gives this member partitions, before it fetches
        from them: the place to rebuild state for accounts it now owns. ``on_revoked`` runs
        when they are taken away, before another member gets them.
        """
        consumer = KafkaConsumer(
            self.config,
            group,
            topics,
            from_latest=from_latest,
            lag_gauge=self.lag_gauge,
            on_assigned=on_assigned,
            on_revoked=on_revoked,
            on_close=self._consumers.discard,
        )
        self._consumers.add(consumer)
        return consumer

    def partition_for(self, topic: str, key: str) -> int:
        """The partition ``key`` goes to (Kafka's default partitioner: murmur2 of the key), so
        a service can tell which accounts the partitions it was given carry."""
        return int(DefaultPartitioner()(key.encode(), list(range(self.config.partitions)), []))

    async def close(self) -> None:
        """Stop the consumers, deliver what the producer holds (for at most the delivery
        timeout, else drop it), and close the connections."""
        for consumer in list(self._consumers):
            await consumer.close()
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, BusUnavailableError):
                await self._connecting
            self._connecting = None
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.flush(), self.config.delivery_timeout_ms / 1000)
            except TimeoutError:
                log.warning("closing the bus with undelivered messages: Kafka is unreachable")
                await _stop_undelivered(producer)
            else:
                await producer.stop()
        for task in list(self._discards):
            await task


class KafkaConsumer:
    """One member of a consumer group; connects on creation (in a running loop) or first fetch."""

    def __init__(
        self,
        config: KafkaConfig,
        group: str,
        topics: Sequence[str],
        *,
        from_latest: bool,
        lag_gauge: Gauge,
        on_assigned: RebalanceHook | None,
        on_revoked: RebalanceHook | None,
        on_close: Callable[[KafkaConsumer], None],
    ) -> None:
        self.group = config.group(group)
        self.topics = tuple(config.topic(t) for t in topics)
        self.assignment: frozenset[Partition] = frozenset()
        self._config = config
        self._from_latest = from_latest
        self._lag_gauge = lag_gauge
        self._on_assigned = on_assigned
        self._on_revoked = on_revoked
        self._on_close = on_close
        self._client: Any = None
        self._starting: asyncio.Task[Any] | None = None
        self._retry_at = 0.0
        self._uncommitted: dict[Any, int] = {}
        self._lag_task: asyncio.Task[None] | None = None
        self._closed = False
        with contextlib.suppress(RuntimeError):
            self._starting = asyncio.get_running_loop().create_task(self._start())

    async def fetch(self, max_records: int = 500, timeout: float = 0.1) -> list[Record]:
        """Up to ``max_records`` records, in offset order per partition; none after
        ``timeout`` seconds if there is nothing new, or while Kafka is unreachable."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        client = await self._ready(timeout)
        if client is None:
            return []
        remaining_ms = max(0, int((deadline - loop.time()) * 1000))
        try:
            batches = await client.getmany(timeout_ms=remaining_ms, max_records=max_records)
        except KafkaError as exc:
            raise BusUnavailableError(f"fetching for group {self.group} failed: {exc!r}") from exc
        records: list[Record] = []
        for tp, messages in batches.items():
            topic = self._config.logical(tp.topic)
            for m in messages:
                key = m.key.decode() if m.key is not None else ""
                records.append(Record(topic, m.partition, m.offset, key, m.value or b""))
            self._uncommitted[tp] = messages[-1].offset + 1
        return records

    async def commit(self) -> None:
        """Commit what was fetched so far. A commit the group no longer accepts (the partition
        moved to another member) is dropped: the new owner reads those records again.

        While Kafka is unreachable this waits for it to come back.
        """
        if self._client is None or not self._uncommitted:
            return
        assigned = self._client.assignment()
        offsets = {tp: o for tp, o in self._uncommitted.items() if tp in assigned}
        if not offsets:
            return
        try:
            await self._client.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("group %s: offsets not committed after a rebalance: %r", self.group, exc)
        except KafkaError as exc:
            raise BusUnavailableError(f"commit of group {self.group} failed: {exc!r}") from exc
        for tp, offset in offsets.items():
            if self._uncommitted.get(tp) == offset:
                del self._uncommitted[tp]

    async def lag(self) -> dict[Partition, int]:
        """Per assigned partition, how many records are published but not fetched yet."""
        client = self._client
        if client is None:
            return {}
        tps = list(client.assignment())
        ends: dict[Any, int | None] = {tp: client.highwater(tp) for tp in tps}
        try:
            async with asyncio.timeout(self._config.request_timeout_ms / 1000):
                unknown = [tp for tp, end in ends.items() if end is None]
                if unknown:
                    ends.update(await client.end_offsets(unknown))
                lags: dict[Partition, int] = {}
                for tp in tps:
                    with contextlib.suppress(IllegalStateError):
                        position = await client.position(tp)
                        lag = max(0, int(ends[tp] or 0) - position)
                        lags[(self._config.logical(tp.topic), tp.partition)] = lag
        except (KafkaError, TimeoutError) as exc:
            raise BusUnavailableError(f"lag of group {self.group} unknown: {exc!r}") from exc
        return lags

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._on_close(self)
        if self._lag_task is not None:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
        if self._starting is not None:
            self._starting.cancel()  # a start that already finished still needs stopping
            with contextlib.suppress(asyncio.CancelledError, *_UNREACHABLE):
                self._client = await self._starting
        if self._client is not None:
            try:
                await asyncio.wait_for(self._client.stop(), self._config.request_timeout_ms / 1000)
            except TimeoutError:
                log.warning("group %s: consumer did not stop cleanly in time", self.group)
        self._forget_lag(self.assignment)

    # --- connection ----------------------------------------------------------------------

    async def _ready(self, timeout: float) -> Any:
        """The started client, or None if it is not ready within ``timeout`` seconds."""
        if self._client is not None or self._closed:
            return self._client
        loop = asyncio.get_running_loop()
        if self._starting is None:
            wait = self._retry_at - loop.time()
            if wait > 0:
                await asyncio.sleep(min(timeout, wait))
                return None
            self._starting = loop.create_task(self._start())
        done, _ = await asyncio.wait({self._starting}, timeout=timeout)
        if not done:
            return None
        starting, self._starting = self._starting, None
        try:
            self._client = starting.result()
        except _UNREACHABLE as exc:
            log.warning("group %s cannot reach Kafka, retrying: %r", self.group, exc)
            self._retry_at = loop.time() + _START_RETRY_S
            return None
        self._lag_task = loop.create_task(self._report_lag())
        return self._client

    async def _start(self) -> Any:
        config = self._config
        client = AIOKafkaConsumer(
            **config.connection(),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="latest" if self._from_latest else "earliest",
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=config.heartbeat_interval_ms,
            max_poll_interval_ms=config.max_poll_interval_ms,
            fetch_min_bytes=config.fetch_min_bytes,
            fetch_max_wait_ms=config.fetch_max_wait_ms,
            # Partition i of every topic goes to the same member: risk reads an account's
            # commands and events (same key, same partition number) in one place.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        try:
            await client.start()
            if self._from_latest:
                await self._assign_every_partition(client)
            else:
                client.subscribe(list(self.topics), listener=_RebalanceListener(self))
        except BaseException:
            await client.stop()
            raise
        return client

    async def _assign_every_partition(self, client: Any) -> None:
        """Read all partitions, from the group's commit or else from the end as of now."""
        tps = []
        for topic in self.topics:
            # The metadata lookup the producer exposes as ``partitions_for``; the consumer
            # keeps it on its client. Raises UnknownTopicOrPartitionError after the timeout.
            partitions = await client._client._wait_on_metadata(topic)
            tps += [TopicPartition(topic, p) for p in sorted(partitions)]
        client.assign(tps)
        ends = await client.end_offsets(tps)
        for tp in tps:
            committed = await client.committed(tp)
            client.seek(tp, ends[tp] if committed is None else committed)
        await self._assigned(tps)

    # --- rebalances and lag --------------------------------------------------------------

    async def _assigned(self, tps: Iterable[Any]) -> None:
        gained = frozenset((self._config.logical(tp.topic), tp.partition) for tp in tps)
        self.assignment = gained
        if self._on_assigned is not None:
            await self._on_assigned(gained)

    async def _revoked(self, tps: Iterable[Any]) -> None:
        lost = frozenset((self._config.logical(tp.topic), tp.partition) for tp in tps)
        taken = {(tp.topic, tp.partition) for tp in tps}
        self._uncommitted = {
            tp: o for tp, o in self._uncommitted.items() if (tp.topic, tp.partition) not in taken
        }
        self.assignment -= lost
        self._forget_lag(lost)
        if self._on_revoked is not None:
            await self._on_revoked(lost)

    async def _report_lag(self) -> None:
        while True:
            await asyncio.sleep(self._config.lag_interval_ms / 1000)
            try:
                lags = await self.lag()
            except BusUnavailableError as exc:
                log.debug("group %s: %s", self.group, exc)
                continue
            for (topic, partition), lag in lags.items():
                self._lag_gauge.labels(self.group, topic, str(partition)).set(lag)

    def _forget_lag(self, partitions: Iterable[Partition]) -> None:
        for topic, partition in partitions:
            with contextlib.suppress(KeyError):
                self._lag_gauge.remove(self.group, topic, str(partition))


class _RebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka awaits these during a rebalance, so hooks finish before fetching resumes."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Iterable[Any]) -> None:
        await self._consumer._revoked(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[Any]) -> None:
        await self._consumer._assigned(assigned)


async def _stop_undelivered(producer: Any) -> None:
    """Stop ``producer`` without delivering the messages it still queues.

    ``AIOKafkaProducer.stop()`` flushes first, and an idempotent producer retries a batch until
    the broker takes it, which could be long after its publisher heard that it failed. So the
    sender task is cancelled first (after its requests in flight end); the queued batches then
    never leave. This reaches into aiokafka 0.14's ``_sender``, for want of a public abort.
    """
    try:
        await producer._sender.close()
        await producer.stop()
    except Exception:
        log.exception("discarding the Kafka producer failed")


def _observe(delivery: asyncio.Future[Any]) -> None:
    """Mark the outcome of a delivery nobody waits for any more as seen."""
    if not delivery.cancelled():
        delivery.exception()


__all__ = ["KafkaBus", "KafkaConsumer", "Partition", "RebalanceHook"]
