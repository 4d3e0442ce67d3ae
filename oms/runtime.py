"""Wiring: build the services of one process from its settings, and take them down in order.

``create_runtime`` opens every client and service in an ``AsyncExitStack`` and yields a
``Runtime``, the handle the API is built on; leaving the context stops the services in the
reverse order (stop intake, drain, flush, close clients).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from oms.bus import Bus
from oms.config import AccountConfig, Settings
from oms.idempotency import IdempotencyStore
from oms.marketdata import MarketView
from oms.store import Store
from oms_core import InstrumentRegistry


@dataclass(frozen=True, slots=True)
class Runtime:
    """What the API needs from the rest of the process."""

    settings: Settings
    registry: InstrumentRegistry
    accounts: list[AccountConfig]
    bus: Bus
    store: Store
    idempotency: IdempotencyStore
    markets: MarketView
    ready: Callable[[], bool] = field(default=lambda: True)
