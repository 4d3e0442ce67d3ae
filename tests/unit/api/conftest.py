"""An API on the real embedded adapters (MemoryBus, SqliteStore, MemoryIdempotencyStore) with
a controllable market view, and signed callers for three accounts."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from api.app import create_app
from oms.bus.memory import MemoryBus
from oms.client import now_ms, sign
from oms.config import AccountConfig, Settings
from oms.idempotency.memory import MemoryIdempotencyStore
from oms.runtime import Runtime
from oms.store.sqlite import SqliteStore
from oms_core import InstrumentRegistry
from tests.unit.api.fakes import FakeMarkets, FakeProcessor

ALICE = AccountConfig(
    name="alice",
    api_key="alice-key-0123456789",
    api_secret=secrets.token_hex(20),
    deposits={"USDT": "100000", "BTC": "2"},
    limits={"max_open_orders": "10"},
)
BOB = AccountConfig(
    name="bob",
    api_key="bob-key-0123456789ab",
    api_secret=secrets.token_hex(20),
    deposits={"USDT": "5000"},
)
ROOT = AccountConfig(
    name="root",
    api_key="root-key-0123456789a",
    api_secret=secrets.token_hex(20),
    role="admin",
)


class Caller:
    """Signs requests as one account; ``content`` may be any bytes (bad-input tests)."""

    def __init__(self, http: httpx.AsyncClient, account: AccountConfig) -> None:
        self.http = http
        self.account = account
        self._last_ms = 0

    def timestamp(self) -> str:
        """Now, but later than this caller's previous request: two identical requests signed
        in one millisecond would carry one signature, and the second is refused as a replay."""
        self._last_ms = max(int(now_ms()), self._last_ms + 1)
        return str(self._last_ms)

    async def send(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = content if content is not None else b"" if json is None else orjson.dumps(json)
        timestamp = self.timestamp()
        signed = {
            "X-OMS-KEY": self.account.api_key,
            "X-OMS-TIMESTAMP": timestamp,
            "X-OMS-SIGNATURE": sign(self.account.api_secret, timestamp, method, path, body),
            "Content-Type": "application/json",
        }
        return await self.http.request(
            method, path, content=body, headers={**signed, **(headers or {})}
        )


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "result_timeout_s": 1.0,
        "max_body_bytes": 4096,
        "dashboard_dir": tmp_path / "no-dashboard",
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def markets() -> FakeMarkets:
    return FakeMarkets(InstrumentRegistry.builtin())


@pytest.fixture
async def runtime(tmp_path: Path, markets: FakeMarkets) -> AsyncIterator[Runtime]:
    bus = MemoryBus()
    store = SqliteStore(tmp_path / "oms.db")
    yield Runtime(
        settings=settings_for(tmp_path),
        registry=markets.registry,
        accounts=[ALICE, BOB, ROOT],
        bus=bus,
        store=store,
        idempotency=MemoryIdempotencyStore(),
        markets=markets,
    )
    await store.close()
    await bus.close()


@pytest.fixture
async def app(runtime: Runtime) -> AsyncIterator[Starlette]:
    app = create_app(runtime=runtime, heartbeat_s=0.2)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as client:
        yield client


@pytest.fixture
def alice(http: httpx.AsyncClient) -> Caller:
    return Caller(http, ALICE)


@pytest.fixture
def bob(http: httpx.AsyncClient) -> Caller:
    return Caller(http, BOB)


@pytest.fixture
def root(http: httpx.AsyncClient) -> Caller:
    return Caller(http, ROOT)


@pytest.fixture
async def processor(runtime: Runtime) -> AsyncIterator[FakeProcessor]:
    assert isinstance(runtime.bus, MemoryBus)
    fake = FakeProcessor(runtime.bus, runtime.store)
    fake.start()
    yield fake
    await fake.stop()
