"""Wiring: build the services of one process from its settings, and take them down in order.

``create_runtime`` opens every client and service in an ``AsyncExitStack`` and yields a
``Runtime``, the handle the API is built on; leaving the context stops the services in the
reverse order (stop intake, drain, flush, close clients).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

from oms.bus import Bus
from oms.bus.memory import MemoryBus
from oms.config import AccountConfig, Settings, load_accounts, write_demo_accounts
from oms.idempotency import IdempotencyStore
from oms.idempotency.memory import MemoryIdempotencyStore
from oms.marketdata import MarketView
from oms.marketdata.service import create_marketdata
from oms.processor.service import ProcessorService
from oms.risk.service import RiskService
from oms.store import Store
from oms.store.sqlite import SqliteStore
from oms.venue.sim import SimVenue
from oms_core import InstrumentRegistry

log = logging.getLogger("oms.runtime")


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


def load_registry(settings: Settings) -> InstrumentRegistry:
    if settings.instruments_file is None:
        return InstrumentRegistry.builtin()
    return InstrumentRegistry.from_json(settings.instruments_file.read_text())


def ensure_accounts(settings: Settings) -> list[AccountConfig]:
    """The accounts file, written with a demo trader and an admin key if it does not exist."""
    path = settings.accounts_path
    if path.exists():
        return load_accounts(path)
    return write_demo_accounts(path)


def open_bus(settings: Settings) -> Bus:
    scheme = urlparse(settings.bus).scheme
    if scheme == "memory":
        return MemoryBus(settings.data_dir / "bus.db")
    raise UnsupportedBackendError("OMS_BUS", settings.bus, "memory://")


def open_store(settings: Settings) -> Store:
    url = settings.store_url
    if urlparse(url).scheme == "sqlite":
        return SqliteStore.from_url(url)
    raise UnsupportedBackendError("OMS_STORE", url, "sqlite:///PATH")


def open_idempotency(settings: Settings) -> IdempotencyStore:
    if urlparse(settings.idempotency).scheme == "memory":
        return MemoryIdempotencyStore()
    raise UnsupportedBackendError("OMS_IDEMPOTENCY", settings.idempotency, "memory://")


class UnsupportedBackendError(ValueError):
    """A backend URL names a scheme this build cannot open."""

    def __init__(self, variable: str, url: str, supported: str) -> None:
        super().__init__(f"{variable}={url!r}: unsupported scheme (supported: {supported})")


@asynccontextmanager
async def create_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Start the whole embedded OMS (market data, risk, processor, simulated venue).

    On exit the services stop in reverse order: the processor and risk finish the batch in
    hand and write it, market data stops, then the store and the bus flush and close.
    """
    registry = load_registry(settings)
    accounts = ensure_accounts(settings)
    traders = [a for a in accounts if a.role == "trader"]
    async with AsyncExitStack() as stack:
        bus = open_bus(settings)
        stack.push_async_callback(bus.close)
        store = open_store(settings)
        stack.push_async_callback(store.close)
        idempotency = open_idempotency(settings)
        stack.push_async_callback(idempotency.close)

        markets = create_marketdata(settings, registry, bus)
        await markets.start()
        stack.push_async_callback(markets.stop)

        risk = RiskService(registry, traders, bus, store)
        venue = SimVenue(
            "SIM",
            registry,
            markets,
            latency_ms=settings.venue_latency_ms,
            positions=risk.position_lots,
        )
        processor = ProcessorService(
            registry, [a.name for a in traders], bus, store, {"SIM": venue}
        )
        await risk.recover()
        await processor.recover()
        await risk.start()
        stack.push_async_callback(risk.stop)
        await processor.start()
        stack.push_async_callback(processor.stop)

        # Everything allocated so far lives for the whole run: keep the collector off it.
        gc.collect()
        gc.freeze()
        log.info("embedded OMS running: %d accounts, %d markets", len(traders), len(registry))
        yield Runtime(settings, registry, accounts, bus, store, idempotency, markets)
