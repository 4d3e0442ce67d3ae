"""``OmsClient`` against the ASGI app: signing, typed results, errors, pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from oms.client import OmsApiError, OmsClient, Order, decode_stream_event, sign
from oms.events import NewOrder
from oms.runtime import Runtime
from tests.unit.api.conftest import ALICE, ROOT, app, markets, runtime  # noqa: F401
from tests.unit.api.fakes import FakeMarkets, order_update


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[OmsClient]:  # noqa: F811
    transport = httpx.ASGITransport(app)
    async with OmsClient("http://oms", ALICE.api_key, ALICE.api_secret, transport=transport) as c:
        yield c


@pytest.fixture
async def admin(app: Starlette) -> AsyncIterator[OmsClient]:  # noqa: F811
    transport = httpx.ASGITransport(app)
    async with OmsClient("http://oms", ROOT.api_key, ROOT.api_secret, transport=transport) as c:
        yield c


def test_signature_matches_a_known_vector() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1GET/v1/stream", hashlib.sha256).hexdigest()
    assert sign("k", "1", "GET", "/v1/stream", b"") == expected


async def test_place_and_read_an_order(client: OmsClient) -> None:
    placed = await client.place_order(
        "BTC-USDT", "BUY", "LIMIT", Decimal("0.25"), "61000.5", client_order_id="bot-1"
    )
    assert isinstance(placed, Order)
    assert (placed.status, placed.quantity, placed.price) == (
        "PENDING_NEW", Decimal("0.25"), Decimal("61000.5"),
    )  # fmt: skip
    again = await client.get_order(placed.order_id)
    assert again.client_order_id == "bot-1"


async def test_errors_raise_with_code_and_field(client: OmsClient) -> None:
    with pytest.raises(OmsApiError) as error:
        await client.place_order("BTC-USDT", "BUY", "LIMIT", "0.000001", "1")
    assert (error.value.status, error.value.code, error.value.field) == (
        400, "INVALID_QUANTITY", "quantity",
    )  # fmt: skip


async def test_floats_are_refused_before_sending(client: OmsClient) -> None:
    with pytest.raises(TypeError):
        await client.place_order("BTC-USDT", "BUY", "LIMIT", 0.1, "1")  # type: ignore[arg-type]


async def test_iter_orders_walks_every_page(client: OmsClient, runtime: Runtime) -> None:  # noqa: F811
    placed = [await client.place_order("ETH-USDT", "SELL", "LIMIT", "1", "3000") for _ in range(5)]
    commands = [
        NewOrder(int(o.order_id), "alice", o.client_order_id, "ETH-USDT", "SELL", "LIMIT", "GTC",
                 10_000, 300_000)
        for o in placed
    ]  # fmt: skip
    await runtime.store.write(orders=[order_update(c, "NEW") for c in commands])
    seen = [o.order_id async for o in client.iter_orders(page_size=2)]
    assert seen == [o.order_id for o in reversed(placed)]


async def test_amend_cancel_and_cancel_all(client: OmsClient) -> None:
    placed = await client.place_order("BTC-USDT", "BUY", "LIMIT", "1", "100")
    assert (await client.amend_order(placed.order_id, price="101")).order_id == placed.order_id
    assert (await client.cancel_order(placed.order_id)).order_id == placed.order_id
    assert (await client.cancel_all("BTC-USDT")).symbol == "BTC-USDT"


async def test_account_views(client: OmsClient) -> None:
    account = await client.account()
    assert account.account == "alice"
    assert await client.positions() == []
    page = await client.executions(symbol="BTC-USDT")
    assert (page.executions, page.next_cursor) == ([], None)


async def test_market_data(client: OmsClient, markets: FakeMarkets) -> None:  # noqa: F811
    markets.quote("BTC-USDT", 5, [(6_000_000, 100)], [(6_000_100, 100)])
    assert "BTC-USDT-PERP" in {m.symbol for m in await client.markets()}
    book = await client.book("BTC-USDT", depth=5)
    assert (book.seq, book.bids) == (5, [(Decimal("60000"), Decimal("0.001"))])
    assert (await client.ticker("BTC-USDT")).symbol == "BTC-USDT"
    assert await client.trades("BTC-USDT") == []


async def test_admin_calls(admin: OmsClient, client: OmsClient) -> None:
    assert (await admin.set_trading_state("HALTED", "alice")).state == "HALTED"
    assert (await admin.get_limits("alice")).limits == {"maxOpenOrders": "10"}
    changed = await admin.set_limits("alice", maxOrderNotional="5000", maxOpenOrders=3)
    assert changed.limits == {"maxOrderNotional": "5000", "maxOpenOrders": "3"}
    with pytest.raises(OmsApiError) as error:
        await client.get_limits("alice")
    assert error.value.code == "FORBIDDEN"


def test_stream_events_decode_to_models() -> None:
    event = decode_stream_event(b'{"type":"heartbeat"}')
    assert (event.type, event.channel, event.data) == ("heartbeat", None, None)
    book = decode_stream_event(
        b'{"type":"book","channel":"book:X","data":{"symbol":"X","seq":3,"snapshot":false,'
        b'"bids":[["1.5","2"]],"asks":[]}}'
    )
    assert book.data.bids == [(Decimal("1.5"), Decimal("2"))]
