"""The end-to-end suite: `oms up` as a real process, driven over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from oms.client import OmsClient, Order
from tests.e2e.server import OmsCluster, OmsProcess
from tests.integration.conftest import KAFKA_URL, MONGO_URL, REDIS_URL, require_server

pytestmark = pytest.mark.e2e

PERP = "BTC-USDT-PERP"
SPOT = "BTC-USDT"

ACCOUNTS = """
[[accounts]]
name = "alice"
api_key = "alice-key-0123456789"
api_secret = "alice-secret-0123456789abcdef0123456789"
[accounts.deposits]
USDT = "1000000"
BTC = "10"

[[accounts]]
name = "bob"
api_key = "bob-key-0123456789ab"
api_secret = "bob-secret-0123456789abcdef0123456789ab"
[accounts.deposits]
USDT = "1000000"

[[accounts]]
name = "carol"
api_key = "carol-key-0123456789"
api_secret = "carol-secret-0123456789abcdef0123456789"
[accounts.deposits]
USDT = "1000"
[accounts.limits]
max_order_notional = "50000"
max_open_orders = "2"

[[accounts]]
name = "dave"
api_key = "dave-key-0123456789a"
api_secret = "dave-secret-0123456789abcdef0123456789a"
[accounts.deposits]
USDT = "1000000"
[accounts.limits]
max_orders_per_second = "3"

[[accounts]]
name = "admin"
api_key = "admin-key-0123456789"
api_secret = "admin-secret-0123456789abcdef0123456789"
role = "admin"
"""


def start_oms(data_dir: Path) -> OmsProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "accounts.toml").write_text(ACCOUNTS)
    server = OmsProcess(data_dir)
    server.start()
    return server


REDIS_E2E_URL = REDIS_URL.rsplit("/", 1)[0] + "/14"  # the contract tests flush db 15


def start_cluster(data_dir: Path) -> OmsCluster:
    """The four services as separate processes on the real servers (skipped on a laptop
    without them, a failure under CI=true)."""
    kafka = require_server("Kafka", KAFKA_URL, 9092)
    mongo = require_server("FerretDB", MONGO_URL, 27017)
    redis = require_server("Redis", REDIS_E2E_URL, 6379)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "accounts.toml").write_text(ACCOUNTS)
    cluster = OmsCluster(data_dir, kafka, mongo, redis)
    cluster.start()
    return cluster


Server = OmsProcess | OmsCluster


@pytest.fixture(scope="module", params=["embedded", "distributed"])
def oms_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The same OMS both ways: `oms up`, and the four services on Kafka, Redis and FerretDB."""
    data_dir = tmp_path_factory.mktemp(request.param)
    server: Server = start_oms(data_dir) if request.param == "embedded" else start_cluster(data_dir)
    yield server
    assert server.stop() == 0, server.log()


def client_for(server: Server, name: str) -> OmsClient:
    account = server.accounts()[name]
    return OmsClient(server.url, account.api_key, account.api_secret)


@pytest.fixture
async def alice(oms_server: Server) -> AsyncIterator[OmsClient]:
    async with client_for(oms_server, "alice") as c:
        yield c


@pytest.fixture
async def bob(oms_server: Server) -> AsyncIterator[OmsClient]:
    async with client_for(oms_server, "bob") as c:
        yield c


@pytest.fixture
async def carol(oms_server: Server) -> AsyncIterator[OmsClient]:
    async with client_for(oms_server, "carol") as c:
        yield c


@pytest.fixture
async def dave(oms_server: Server) -> AsyncIterator[OmsClient]:
    async with client_for(oms_server, "dave") as c:
        yield c


@pytest.fixture
async def admin(oms_server: Server) -> AsyncIterator[OmsClient]:
    async with client_for(oms_server, "admin") as c:
        yield c


async def until_order(
    client: OmsClient, order_id: str, done: Callable[[Order], bool], timeout: float = 10.0
) -> Order:
    """Poll the order until ``done`` holds (the services run asynchronously behind the API)."""
    order = await client.get_order(order_id)
    for _ in range(int(timeout / 0.05)):
        if done(order):
            return order
        await asyncio.sleep(0.05)
        order = await client.get_order(order_id)
    raise AssertionError(f"order {order_id} stuck: {order}")


async def eventually(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Retry an async assertion until it passes (snapshots follow fills within 250 ms)."""
    for _ in range(int(timeout / 0.1)):
        try:
            await check()  # type: ignore[misc]
            return
        except (AssertionError, LookupError):
            await asyncio.sleep(0.1)
    await check()  # type: ignore[misc]


async def mid(client: OmsClient, symbol: str) -> Decimal:
    ticker = await client.ticker(symbol)
    for _ in range(100):
        if ticker.bid is not None and ticker.ask is not None:
            return (ticker.bid + ticker.ask) / 2
        await asyncio.sleep(0.1)
        ticker = await client.ticker(symbol)
    raise AssertionError(f"no two-sided market in {symbol}")


def on_grid(price: Decimal, tick: str) -> Decimal:
    return (price / Decimal(tick)).to_integral_value() * Decimal(tick)
