"""The message bus port: keyed, ordered, durable topics with consumer groups.

The embedded adapter (``oms.bus.memory``) keeps topics in process and journals them to SQLite;
the Kafka adapter fits the same two protocols. Messages with one key are consumed in the order
they were published; a group's committed offset is where it resumes after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

Partition = tuple[str, int]
"""``(topic, partition number)``."""

RebalanceHook = Callable[[frozenset[Partition]], Awaitable[None]]
"""Told which partitions a consumer gained (or lost) before it reads from them (again)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed message."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


class Consumer(Protocol):
    """One member of a consumer group, reading some topics."""

    async def fetch(self, max_records: int = 500, timeout: float = 0.1) -> list[Record]:
        """The next records (possibly none after ``timeout`` seconds), in offset order per key."""
        ...

    async def commit(self) -> None:
        """Mark everything fetched so far as done: a restart resumes after it."""
        ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """Publishes keyed messages; a publish returns once the message is durable."""

    async def publish(self, topic: str, key: str, value: bytes) -> None: ...

    async def publish_many(self, topic: str, items: Sequence[tuple[str, bytes]]) -> None:
        """Publish several ``(key, value)`` pairs; durable together when this returns."""
        ...

    def consumer(
        self,
        group: str,
        topics: Sequence[str],
        *,
        from_latest: bool = False,
        on_assigned: RebalanceHook | None = None,
        on_revoked: RebalanceHook | None = None,
    ) -> Consumer:
        """A consumer in ``group``; a new group starts at the oldest retained message, or at
        the end with ``from_latest`` (a tap, such as the WebSocket gateway, reads every
        partition). Group members share the partitions; ``on_assigned`` runs before a member
        reads partitions it gained (rebuild the state of the keys they carry there), and
        ``on_revoked`` when it loses some."""
        ...

    def partition_for(self, topic: str, key: str) -> int:
        """The partition of ``topic`` that messages with ``key`` go to."""
        ...

    async def close(self) -> None: ...


class BusUnavailableError(Exception):
    """The bus cannot take the message now; the caller may retry (the API answers 503)."""

    code = "BUS_UNAVAILABLE"


__all__ = ["Bus", "BusUnavailableError", "Consumer", "Partition", "RebalanceHook", "Record"]
