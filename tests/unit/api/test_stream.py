"""WS /v1/stream: authentication, subscriptions, private isolation, books, slow clients."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette

from api.gateway import CLOSE_AUTH_FAILED, CLOSE_SLOW_CONSUMER, Session
from oms.client import Account, BookLevels, Order, decode_stream_event, now_ms, sign
from oms.config import AccountConfig
from oms.events import ACCOUNTS, EVENTS, MARKETDATA, BookUpdate, NewOrder, encode
from oms.runtime import Runtime
from tests.unit.api.conftest import ALICE, BOB
from tests.unit.api.fakes import FakeMarkets, order_update
from tests.unit.api.test_account_and_markets import SNAPSHOT
from tests.unit.api.websocket import ClosedError, WebSocketSession


def credentials(account: AccountConfig) -> dict[str, str]:
    timestamp = now_ms()
    return {
        "key": account.api_key,
        "timestamp": timestamp,
        "signature": sign(account.api_secret, timestamp, "GET", "/v1/stream", b""),
    }


async def connect(app: Starlette, account: AccountConfig, channels: list[str]) -> WebSocketSession:
    ws = await WebSocketSession(app, "/v1/stream").__aenter__()
    await ws.send({"op": "auth", **credentials(account)})
    assert (await ws.receive())["type"] == "authenticated"
    await ws.send({"op": "subscribe", "channels": channels})
    assert (await ws.receive_type("subscribed"))["data"]["channels"] == sorted(channels)
    return ws


def alice_order(order_id: int = 7) -> NewOrder:
    return NewOrder(order_id, "alice", "c1", "BTC-USDT", "BUY", "LIMIT", "GTC", 1000, 6_000_000)


async def test_auth_by_first_message(app: Starlette) -> None:
    async with WebSocketSession(app, "/v1/stream") as ws:
        await ws.send({"op": "auth", **credentials(ALICE)})
        assert await ws.receive() == {
            "type": "authenticated", "channel": None, "data": {"account": "alice"},
        }  # fmt: skip


async def test_auth_by_query_parameters(app: Starlette) -> None:
    query = "&".join(f"{k}={v}" for k, v in credentials(BOB).items())
    async with WebSocketSession(app, f"/v1/stream?{query}") as ws:
        assert (await ws.receive())["data"] == {"account": "bob"}


@pytest.mark.parametrize(
    ("first", "code"),
    [
        (
            {"op": "auth", "key": ALICE.api_key, "timestamp": "1", "signature": "x"},
            "TIMESTAMP_EXPIRED",
        ),
        # Signed when the test runs (a timestamp taken at collection may be stale by then).
        (lambda: {**credentials(ALICE), "op": "auth", "signature": "00" * 32}, "INVALID_SIGNATURE"),
        (
            {"op": "auth", "key": "nobody-000000000", "timestamp": "1", "signature": "x"},
            "INVALID_API_KEY",
        ),
        ({"op": "subscribe", "channels": ["orders"]}, "AUTH_REQUIRED"),
        ({"op": "auth", "key": 5, "timestamp": None, "signature": []}, "AUTH_REQUIRED"),
        ([1, 2], "AUTH_REQUIRED"),
    ],
)
async def test_failed_auth_is_explained_then_closed(
    app: Starlette, first: object, code: str
) -> None:
    async with WebSocketSession(app, "/v1/stream") as ws:
        await ws.send(first() if callable(first) else first)
        error = await ws.receive()
        assert (error["type"], error["data"]["code"]) == ("error", code)
        with pytest.raises(ClosedError) as closed:
            await ws.receive()
        assert closed.value.code == CLOSE_AUTH_FAILED


async def test_private_channels_carry_only_the_callers_account(
    app: Starlette, runtime: Runtime
) -> None:
    alice = await connect(app, ALICE, ["orders", "account"])
    bob = await connect(app, BOB, ["orders", "account"])
    await runtime.bus.publish(EVENTS, "alice", encode(order_update(alice_order(), "NEW")))
    await runtime.bus.publish(ACCOUNTS, "alice", encode(SNAPSHOT))
    order = decode_stream_event(orjson_text(await alice.receive_type("order")))
    assert isinstance(order.data, Order)
    assert (order.channel, order.data.order_id, order.data.status) == ("orders", "7", "NEW")
    account = decode_stream_event(orjson_text(await alice.receive_type("account")))
    assert isinstance(account.data, Account)
    with pytest.raises(TimeoutError):
        await bob.receive_type("order", timeout=0.5)
    for ws in (alice, bob):
        await ws.__aexit__(None, None, None)


async def test_account_subscription_starts_from_the_stored_snapshot(
    app: Starlette, runtime: Runtime
) -> None:
    await runtime.store.write(snapshots=[SNAPSHOT])
    ws = await connect(app, ALICE, ["positions"])
    positions = await ws.receive_type("positions")
    assert positions["data"]["positions"][0]["symbol"] == "BTC-USDT-PERP"
    await ws.__aexit__(None, None, None)


async def test_book_sends_a_snapshot_then_diffs_and_resyncs_on_a_gap(
    app: Starlette, runtime: Runtime, markets: FakeMarkets
) -> None:
    markets.quote("BTC-USDT", 10, [(6_000_000, 100_000)], [(6_000_100, 50_000)])
    ws = await connect(app, ALICE, ["book:BTC-USDT"])
    snapshot = await ws.receive_type("book")
    assert snapshot["data"] == {
        "symbol": "BTC-USDT", "seq": 10, "snapshot": True,
        "bids": [["60000", "1"]], "asks": [["60001", "0.5"]],
    }  # fmt: skip
    stale = BookUpdate("BTC-USDT", 10, [(6_000_000, 1)], [], 0)
    diff = BookUpdate("BTC-USDT", 11, [(6_000_000, 0)], [], 0)
    await runtime.bus.publish_many(
        MARKETDATA, [("BTC-USDT", encode(stale)), ("BTC-USDT", encode(diff))]
    )
    levels = decode_stream_event(orjson_text(await ws.receive_type("book"))).data
    assert isinstance(levels, BookLevels)
    assert (levels.seq, levels.snapshot, levels.bids) == (11, False, [(60000, 0)])
    markets.quote("BTC-USDT", 13, [(5_999_000, 1_000)], [])
    gap = BookUpdate("BTC-USDT", 13, [(5_999_000, 1_000)], [], 0)
    await runtime.bus.publish(MARKETDATA, "BTC-USDT", encode(gap))
    resynced = await ws.receive_type("book")
    assert (resynced["data"]["seq"], resynced["data"]["snapshot"]) == (13, True)
    await ws.send({"op": "resync", "channel": "book:BTC-USDT"})
    assert (await ws.receive_type("book"))["data"]["snapshot"] is True
    await ws.__aexit__(None, None, None)


async def test_bad_subscriptions_are_errors_not_disconnects(app: Starlette) -> None:
    ws = await connect(app, ALICE, [])
    for op, code in [
        ({"op": "subscribe", "channels": ["book:NOPE"]}, "UNKNOWN_SYMBOL"),
        ({"op": "subscribe", "channels": ["everything"]}, "INVALID_FIELD"),
        ({"op": "subscribe", "channels": "orders"}, "INVALID_FIELD"),
        ({"op": "resync", "channel": "book:BTC-USDT"}, "INVALID_FIELD"),
        ({"op": "dance"}, "INVALID_FIELD"),
    ]:
        await ws.send(op)
        assert (await ws.receive_type("error"))["data"]["code"] == code
    await ws.send({"op": "ping"})
    assert (await ws.receive_type("pong"))["type"] == "pong"
    await ws.__aexit__(None, None, None)


async def test_heartbeats_arrive_on_schedule(app: Starlette) -> None:
    ws = await connect(app, ALICE, [])
    assert (await ws.receive_type("heartbeat", timeout=1.0)) == {"type": "heartbeat"}
    await ws.__aexit__(None, None, None)


async def test_unsubscribed_channels_go_quiet(app: Starlette, runtime: Runtime) -> None:
    ws = await connect(app, ALICE, ["orders"])
    await ws.send({"op": "unsubscribe", "channels": ["orders"]})
    assert (await ws.receive_type("unsubscribed"))["data"]["channels"] == []
    await runtime.bus.publish(EVENTS, "alice", encode(order_update(alice_order(), "NEW")))
    with pytest.raises(TimeoutError):
        await ws.receive_type("order", timeout=0.5)
    await ws.__aexit__(None, None, None)


async def test_a_client_that_cannot_keep_up_is_closed_with_4008() -> None:
    sent: list[str] = []
    closed: list[int] = []
    stall = asyncio.Event()

    async def send(text: str) -> None:
        await stall.wait()
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        closed.append(code)

    session = Session("alice", send, close, limit=3, heartbeat_s=60)
    writer = asyncio.create_task(session.run_writer(lambda symbol: None))
    session.push_private("first")
    await asyncio.sleep(0)  # the writer takes "first" and stalls on the socket
    accepted = [session.push_private(str(i)) for i in range(5)]
    assert accepted == [True, True, True, False, False]
    stall.set()
    await asyncio.wait_for(writer, 1)
    assert closed == [CLOSE_SLOW_CONSUMER]
    assert sent == ["first"]


async def test_book_diffs_past_the_limit_become_a_snapshot() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        raise AssertionError("a market-data backlog never disconnects")

    session = Session("alice", send, close, limit=2, heartbeat_s=60)
    session.follow_book("BTC-USDT")
    for seq in range(1, 6):
        session.push_book("BTC-USDT", seq, False, f"diff {seq}")
    writer = asyncio.create_task(session.run_writer(lambda symbol: (5, "snapshot 5")))
    await asyncio.sleep(0.05)
    writer.cancel()
    assert sent == ["snapshot 5"]


def orjson_text(message: dict[str, object]) -> bytes:
    import orjson

    return orjson.dumps(message)
