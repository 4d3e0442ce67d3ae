"""Dead letters: a message a consumer cannot handle is set aside, never lost, never fatal.

A service that skips a record (undecodable, or its handler raised) publishes it whole to
``oms.deadletter`` with where it came from and why, counts it in
``oms_dead_letters_total{service,topic}``, and goes on with the next record. Operators read
the topic to repair and replay by hand; nothing reads it automatically, because a message one
version could not handle is not safe to retry blindly.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter

from oms.bus import Bus, Record
from oms.events import DEADLETTER, DeadLetter, encode

log = logging.getLogger("oms.deadletter")

DEAD_LETTERS = Counter(
    "oms_dead_letters_total",
    "Messages a service set aside because it could not handle them",
    ["service", "topic"],
)

_MAX_ERROR = 500


async def dead_letter(bus: Bus, service: str, record: Record, error: BaseException) -> None:
    """Set ``record`` aside with ``error``; a failure to publish is logged, not raised (the
    consumer must go on, and the record stays in its own topic's log)."""
    DEAD_LETTERS.labels(service, record.topic).inc()
    letter = DeadLetter(
        service=service,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        error=f"{type(error).__name__}: {error}"[:_MAX_ERROR],
        value=record.value,
        ts_ns=time.time_ns(),
    )
    log.warning(
        "%s set aside %s[%d]@%d: %s", service, record.topic, record.partition, record.offset,
        letter.error,
    )  # fmt: skip
    try:
        await bus.publish(DEADLETTER, record.key, encode(letter))
    except Exception:
        log.exception("%s could not publish a dead letter; it stays in %s", service, record.topic)


__all__ = ["DEAD_LETTERS", "dead_letter"]
