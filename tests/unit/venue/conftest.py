from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.venue.fakes import Harness


@pytest.fixture
async def sim() -> AsyncIterator[Harness]:
    """A started venue with no latency and a position lookup (every position flat)."""
    harness = Harness()
    await harness.venue.start()
    yield harness
    await harness.venue.stop()
