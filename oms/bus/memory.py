"""The embedded bus: in-process topics with Kafka's semantics, durable through a SQLite journal.

Each topic is one ordered log (a single partition, so every key keeps its order). Consumer
groups read at their own position and commit offsets; a restart resumes each group after its
last commit, so everything published and not yet committed is delivered again (at least
once; consumers make the effects idempotent). Messages of durable topics become visible to
consumers only once journaled, so no effect is ever based on a message a crash could lose.
One consumer per group: with one partition there is nothing to share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from pathlib import Path

from oms.bus import RebalanceHook, Record
from oms.bus.journal import Journal, LogRow
from oms.events import COMMANDS, DEADLETTER, EVENTS, ORDERS

DURABLE_TOPICS: frozenset[str] = frozenset({COMMANDS, ORDERS, EVENTS, DEADLETTER})
"""What must survive a crash (dead letters too: operators read them after a restart);
market data and account snapshots are rebuilt instead."""

_TRIM_EVERY = 4096


class _Topic:
    """One topic's log from ``base`` on, and who waits for it to grow."""

    __slots__ = ("base", "grown", "name", "records")

    def __init__(self, name: str) -> None:
        self.name = name
        self.base = 0
        self.records: list[Record] = []
        self.grown = asyncio.Event()

    @property
    def end(self) -> int:
        return self.base + len(self.records)

    def append(self, key: str, value: bytes) -> Record:
        record = Record(self.name, 0, self.end, key, value)
        self.records.append(record)
        return record

    def notify(self) -> None:
        self.grown.set()
        self.grown = asyncio.Event()

    def read(self, position: int, limit: int) -> list[Record]:
        start = max(position, self.base) - self.base
        return self.records[start : start + limit]

    def trim(self, below: int) -> None:
        if below > self.base:
            del self.records[: below - self.base]
            self.base = below


class MemoryConsumer:
    def __init__(
        self,
        bus: MemoryBus,
        group: str,
        topics: Sequence[str],
        start: dict[str, int],
        on_assigned: RebalanceHook | None = None,
    ):
        self._bus = bus
        self.group = group
        self._topics = [bus.topic(t) for t in topics]
        self.positions = start
        self._committed = dict(start)
        self._closed = False
        self._on_assigned = on_assigned

    async def fetch(self, max_records: int = 500, timeout: float = 0.1) -> list[Record]:
        if self._on_assigned is not None:
            # The only member of its group: it owns partition 0 of each topic from the start.
            hook, self._on_assigned = self._on_assigned, None
            await hook(frozenset((t.name, 0) for t in self._topics))
        records = self._read(max_records)
        if records or self._closed:
            return records
        waits = [asyncio.ensure_future(t.grown.wait()) for t in self._topics]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return self._read(max_records)

    def _read(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        for topic in self._topics:
            room = max_records - len(out)
            if room <= 0:
                break
            got = topic.read(self.positions[topic.name], room)
            if got:
                self.positions[topic.name] = got[-1].offset + 1
                out.extend(got)
        return out

    async def commit(self) -> None:
        done = {t: p for t, p in self.positions.items() if p != self._committed.get(t)}
        if done:
            await self._bus.commit(self.group, done)
            self._committed.update(done)

    async def close(self) -> None:
        self._closed = True
        self._bus.forget(self)


class MemoryBus:
    """In-process bus; with ``journal_path`` the durable topics survive restarts."""

    def __init__(
        self, journal_path: Path | None = None, durable: Collection[str] = DURABLE_TOPICS
    ) -> None:
        self._topics: dict[str, _Topic] = {}
        self._durable = frozenset(durable) if journal_path else frozenset()
        self._journal = Journal(journal_path, self._on_durable) if journal_path else None
        self._committed: dict[tuple[str, str], int] = {}
        self._consumers: set[MemoryConsumer] = set()
        self._since_trim: dict[str, int] = {}
        self._trims: set[asyncio.Task[None]] = set()
        if self._journal:
            self._recover(self._journal)

    def _recover(self, journal: Journal) -> None:
        rows, offsets = journal.load()
        for topic_name, offset, key, value in rows:
            topic = self.topic(topic_name)
            if not topic.records:
                topic.base = offset
            topic.records.append(Record(topic_name, 0, offset, key, value))
        for group, topic_name, offset in offsets:
            self._committed[(group, topic_name)] = offset

    def topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(name)
            if self._journal is not None and name in self._durable:
                topic.base = self._journal.next_offset(name)
        return topic

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        await self.publish_many(topic, ((key, value),))

    async def publish_many(self, topic: str, items: Sequence[tuple[str, bytes]]) -> None:
        if not items:
            return
        log = self.topic(topic)
        if topic in self._durable and self._journal is not None:
            await self._journal.append(topic, items)
            return
        for key, value in items:
            log.append(key, value)
        log.notify()
        self._maybe_trim(log, len(items))

    def _on_durable(self, rows: list[LogRow]) -> None:
        """Journaled messages join their logs, in offset order, before publishers hear back."""
        grown: dict[str, _Topic] = {}
        added: dict[str, int] = {}
        for topic_name, offset, key, value in rows:
            log = grown.get(topic_name) or self.topic(topic_name)
            grown[topic_name] = log
            added[topic_name] = added.get(topic_name, 0) + 1
            if not log.records:
                log.base = offset
            log.records.append(Record(topic_name, 0, offset, key, value))
        for log in grown.values():
            log.notify()
            self._maybe_trim(log, added[log.name])

    def consumer(
        self,
        group: str,
        topics: Sequence[str],
        *,
        from_latest: bool = False,
        on_assigned: RebalanceHook | None = None,
        on_revoked: RebalanceHook | None = None,
    ) -> MemoryConsumer:
        start = {}
        for name in topics:
            log = self.topic(name)
            committed = self._committed.get((group, name))
            start[name] = committed if committed is not None else log.end if from_latest else 0
        consumer = MemoryConsumer(self, group, topics, start, on_assigned)
        self._consumers.add(consumer)
        return consumer

    async def commit(self, group: str, offsets: dict[str, int]) -> None:
        for topic, offset in offsets.items():
            self._committed[(group, topic)] = offset
        if self._journal is not None:
            durable = [(t, o) for t, o in offsets.items() if t in self._durable]
            if durable:
                await self._journal.commit(group, durable)

    def partition_for(self, topic: str, key: str) -> int:
        return 0  # one partition per topic

    def forget(self, consumer: MemoryConsumer) -> None:
        self._consumers.discard(consumer)

    async def close(self) -> None:
        for consumer in list(self._consumers):
            await consumer.close()
        if self._journal is not None:
            await self._journal.drain()
            for task in list(self._trims):
                await task
            self._journal.close()
            self._journal = None

    # --- retention ---------------------------------------------------------------------------

    def _maybe_trim(self, log: _Topic, added: int) -> None:
        """Every ``_TRIM_EVERY`` messages (not calls: a group-committed flush or a batch
        carries many), drop what every reader has passed."""
        count = self._since_trim.get(log.name, 0) + added
        if count < _TRIM_EVERY:
            self._since_trim[log.name] = count
            return
        self._since_trim[log.name] = 0
        readers = [c.positions[log.name] for c in self._consumers if log.name in c.positions]
        if log.name in self._durable:
            readers += [o for (_, t), o in self._committed.items() if t == log.name]
        floor = min(readers, default=log.end)
        log.trim(floor)
        if log.name in self._durable and self._journal is not None:
            task = asyncio.get_running_loop().create_task(self._journal.trim(log.name, floor))
            self._trims.add(task)
            task.add_done_callback(self._trims.discard)


__all__ = ["DURABLE_TOPICS", "MemoryBus", "MemoryConsumer"]
