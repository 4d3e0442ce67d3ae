"""Wiring: build the services of one process from its settings, and take them down in order.

``create_runtime`` opens every client and service in an ``AsyncExitStack`` and yields a
``Runtime``, the handle the API is built on; leaving the context stops the services in the
reverse order (stop intake, drain, flush, close clients).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from oms.bus import Bus
from oms.bus.memory import MemoryBus
from oms.config import AccountConfig, Settings, load_accounts, write_demo_accounts
from oms.idempotency import IdempotencyStore
from oms.idempotency.memory import MemoryIdempotencyStore
from oms.marketdata import MarketView
from oms.marketdata.follower import MarketFollower
from oms.marketdata.service import MarketDataService, create_marketdata
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


Role = Literal["marketdata", "risk", "processor", "api"]
ROLES: tuple[Role, ...] = ("marketdata", "risk", "processor", "api")
"""The four services, in the order they start (and stop in reverse)."""


async def open_bus(settings: Settings) -> Bus:
    scheme = urlparse(settings.bus).scheme
    if scheme == "memory":
        return MemoryBus(settings.data_dir / "bus.db")
    if scheme == "kafka":
        import prometheus_client

        from oms.bus.kafka import KafkaBus

        # The process-wide registry: the consumer-lag gauge shows on the process's /metrics.
        return await KafkaBus.connect(settings.bus, registry=prometheus_client.REGISTRY)
    raise UnsupportedBackendError("OMS_BUS", settings.bus, "memory://, kafka://HOST:PORT")


async def open_store(settings: Settings) -> Store:
    url = settings.store_url
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        return SqliteStore.from_url(url)
    if scheme in ("mongodb", "mongodb+srv"):
        from oms.store.mongo import MongoStore

        return await MongoStore.connect(url)
    raise UnsupportedBackendError("OMS_STORE", url, "sqlite:///PATH, mongodb://…")


async def open_idempotency(settings: Settings) -> IdempotencyStore:
    scheme = urlparse(settings.idempotency).scheme
    if scheme == "memory":
        return MemoryIdempotencyStore.from_url(settings.idempotency)
    if scheme in ("redis", "rediss"):
        from oms.idempotency.redis import RedisIdempotencyStore

        return await RedisIdempotencyStore.connect(settings.idempotency)
    raise UnsupportedBackendError(
        "OMS_IDEMPOTENCY", settings.idempotency, "memory://, redis://HOST:PORT/DB"
    )


class UnsupportedBackendError(ValueError):
    """A backend URL names a scheme this build cannot open, or a mode it cannot serve."""

    def __init__(self, variable: str, url: str, supported: str) -> None:
        super().__init__(f"{variable}={url!r}: unsupported (supported: {supported})")


@asynccontextmanager
async def create_runtime(
    settings: Settings, roles: Collection[Role] = ROLES
) -> AsyncIterator[Runtime]:
    """Start the services named by ``roles`` in this process (all four: the embedded OMS).

    A process without market data follows the market data topic instead (the API needs books
    and tickers, the simulated venue books and marks). On exit the services stop in reverse
    order: the processor and risk finish the batch in hand and write it, market data stops,
    then the store and the bus flush and close.
    """
    roles = [r for r in ROLES if r in roles]
    if urlparse(settings.bus).scheme == "memory" and len(roles) < len(ROLES):
        raise UnsupportedBackendError(
            "OMS_BUS", settings.bus, "a bus every process reaches (kafka://) for one service"
        )
    registry = load_registry(settings)
    accounts = ensure_accounts(settings)
    traders = [a for a in accounts if a.role == "trader"]
    started = False
    async with AsyncExitStack() as stack:
        bus = await open_bus(settings)
        stack.push_async_callback(bus.close)
        store = await open_store(settings)
        stack.push_async_callback(store.close)
        idempotency = await open_idempotency(settings)
        stack.push_async_callback(idempotency.close)

        markets: MarketDataService | MarketFollower
        if "marketdata" in roles:
            markets = create_marketdata(settings, registry, bus)
        else:
            markets = MarketFollower(registry, bus, role="+".join(roles))
        await markets.start()
        stack.push_async_callback(markets.stop)
        if isinstance(markets, MarketFollower):
            # Not ready before the books are whole: a venue filling against half a book
            # would be wrong, not slow.
            await markets.synced(timeout=15.0)

        risk = RiskService(registry, traders, bus, store) if "risk" in roles else None
        if risk is not None:
            await risk.recover()
            await risk.start()
            stack.push_async_callback(risk.stop)
        if "processor" in roles:
            venue = SimVenue(
                "SIM",
                registry,
                markets,
                latency_ms=settings.venue_latency_ms,
                # Reduce-only capping needs positions; in its own process risk has checked.
                positions=risk.position_lots if risk is not None else None,
            )
            names = [a.name for a in traders]
            processor = ProcessorService(
                registry,
                names,
                bus,
                store,
                {"SIM": venue},
                coalesce_ms=settings.venue_latency_ms + 1.0,
            )
            await processor.start()  # recovers the open orders of the accounts it is given
            stack.push_async_callback(processor.stop)

        # Everything allocated so far lives for the whole run: keep the collector off it.
        gc.collect()
        gc.freeze()
        started = True
        log.info(
            "running %s: %d accounts, %d markets", "+".join(roles), len(traders), len(registry)
        )
        yield Runtime(
            settings, registry, accounts, bus, store, idempotency, markets, lambda: started
        )
        started = False
