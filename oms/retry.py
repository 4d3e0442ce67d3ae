"""Keep retrying an I/O step while a dependency is down, instead of dropping work.

The services apply a batch in memory, then write and publish its effects. If the store or the
bus is unavailable, the effects are retried (the writes are idempotent) with a growing pause
until they land, and the bus offsets are committed only after: processing pauses during an
outage and resumes where it stopped, nothing lost and nothing applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from oms.bus import Consumer, Record

T = TypeVar("T")

log = logging.getLogger("oms.retry")


async def until_done(
    step: Callable[[], Awaitable[T]],
    what: str,
    stopping: asyncio.Event,
    *,
    first_pause_s: float = 0.1,
    max_pause_s: float = 2.0,
) -> T:
    """``await step()`` until it succeeds; while ``stopping`` is set, give up with its error."""
    pause = first_pause_s
    failures = 0
    while True:
        try:
            result = await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            if stopping.is_set():
                raise
            if failures == 1:
                log.warning("%s failed (%s); retrying until it succeeds", what, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), pause)
            pause = min(pause * 2, max_pause_s)
            continue
        if failures:
            log.warning("%s succeeded after %d failed attempts", what, failures)
        return result


async def fetch_or_wait(consumer: Consumer, who: str, stopping: asyncio.Event) -> list[Record]:
    """The consumer's next records; if the bus cannot be read, none after a pause of a second
    (cut short by ``stopping``), so a service's loop waits out an outage instead of dying."""
    try:
        return await consumer.fetch(1000, timeout=0.05)
    except Exception:
        log.exception("%s could not read the bus; retrying", who)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), 1.0)
        return []


__all__ = ["fetch_or_wait", "until_done"]
