"""The ``Store`` contract, run on every adapter: the embedded SQLite file and a MongoDB-wire
server (FerretDB here, DocumentDB in production) must answer every question the same way."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient

from oms.events import (
    AccountSnapshot,
    BalanceView,
    Execution,
    OrderUpdate,
    PositionView,
    StatusName,
)
from oms.store import Store, StoreUnavailableError
from oms.store.mongo import MongoStore
from oms.store.sqlite import SqliteStore


def order(
    order_id: int,
    seq: int = 1,
    status: StatusName = "NEW",
    *,
    account: str = "alice",
    symbol: str = "BTC-PERP",
    client_order_id: str | None = None,
    cum_qty: int = 0,
    **extra: object,
) -> OrderUpdate:
    fields: dict[str, object] = {
        "order_id": order_id,
        "account": account,
        "client_order_id": client_order_id or f"c-{order_id}",
        "symbol": symbol,
        "side": "BUY",
        "order_type": "LIMIT",
        "time_in_force": "GTC",
        "qty": 10,
        "price": 500_000,
        "stop_price": 0,
        "reduce_only": False,
        "status": status,
        "cum_qty": cum_qty,
        "leaves_qty": 10 - cum_qty,
        "cum_notional": cum_qty * 500_000,
        "fees": 0,
        "seq": seq,
        "created_ns": 1_000 + order_id,
        "updated_ns": 2_000 + seq,
    }
    return OrderUpdate(**{**fields, **extra})


def fill(
    exec_id: str,
    order_id: int = 1,
    *,
    account: str = "alice",
    symbol: str = "BTC-PERP",
    qty: int = 1,
) -> Execution:
    return Execution(
        exec_id=exec_id,
        order_id=order_id,
        account=account,
        symbol=symbol,
        side="BUY",
        qty=qty,
        price=500_000,
        fee=25,
        liquidity="TAKER",
        venue="SIM",
        ts_ns=time.time_ns(),
    )


def snapshot(account: str, seq: int, equity: str = "1000") -> AccountSnapshot:
    return AccountSnapshot(
        account=account,
        seq=seq,
        trading_state="ACTIVE",
        balances=[BalanceView("USDT", equity, "10", str(int(equity) - 10))],
        positions=[
            PositionView(
                symbol="BTC-PERP",
                qty="0.5",
                entry_price="50000",
                mark_price=None,
                notional="25000",
                unrealized_pnl="0",
                realized_pnl="-1.5",
                initial_margin="2500",
                maintenance_margin="125",
                leverage=10,
                liquidation_price=None,
            )
        ],
        equity=equity,
        initial_margin="2500",
        maintenance_margin="125",
        available_margin="7490",
        margin_ratio=None,
        unrealized_pnl="0",
        limits={"max_open_orders": "200"},
        ts_ns=seq,
    )


@pytest.fixture(params=["sqlite", "mongo"])
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        sqlite = SqliteStore(tmp_path_factory.mktemp("store") / "oms.db")
        yield sqlite
        await sqlite.close()
        return
    url: str = request.getfixturevalue("mongo_url")
    database = f"oms_test_{uuid.uuid4().hex[:12]}"
    mongo = MongoStore(url, database)
    try:
        yield mongo
    finally:
        await mongo.close()
        admin: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        await admin.drop_database(database)
        await admin.close()


async def all_of(store: Store, batch: int = 10_000) -> list[Execution]:
    return [e async for page in store.all_executions(batch) for e in page]


# --- replays change nothing --------------------------------------------------------------------


async def test_order_is_replaced_only_by_a_newer_seq(store: Store) -> None:
    await store.write([order(1, 1, "NEW")])
    await store.write([order(1, 3, "PARTIALLY_FILLED", cum_qty=4)])

    await store.write([order(1, 2, "CANCELED")])  # older
    await store.write([order(1, 3, "FILLED", cum_qty=10)])  # same seq, other content
    assert await store.get_order(1) == order(1, 3, "PARTIALLY_FILLED", cum_qty=4)

    await store.write([order(1, 4, "FILLED", cum_qty=10)])
    assert await store.get_order(1) == order(1, 4, "FILLED", cum_qty=10)


async def test_stale_updates_do_not_hold_back_the_rest_of_a_batch(store: Store) -> None:
    await store.write([order(1, 5), order(2, 5)])

    await store.write([order(1, 4), order(3, 1), order(2, 6, "CANCELED"), order(4, 1)])

    assert [o.seq if o else None for o in [await store.get_order(i) for i in (1, 2, 3, 4)]] == [
        5,
        6,
        1,
        1,
    ]


async def test_newest_seq_of_one_batch_wins_whatever_its_position(store: Store) -> None:
    await store.write([order(1, 3, "FILLED", cum_qty=10), order(1, 2, "PARTIALLY_FILLED")])
    await store.write([order(2, 1), order(2, 2, "CANCELED")])

    assert (await store.get_order(1)) == order(1, 3, "FILLED", cum_qty=10)
    assert (await store.get_order(2)) == order(2, 2, "CANCELED")


async def test_newer_seq_clears_fields_back_to_their_defaults(store: Store) -> None:
    await store.write([order(1, 1, "PARTIALLY_FILLED", last_qty=3, last_price=7, triggered=True)])
    await store.write([order(1, 2, "REJECTED", reject_reason="INSUFFICIENT_MARGIN")])
    await store.write([order(1, 3, "REJECTED")])

    assert await store.get_order(1) == order(1, 3, "REJECTED")


async def test_execution_is_stored_once_per_exec_id(store: Store) -> None:
    first = fill("e1", qty=1)
    await store.write(executions=[first])

    await store.write(executions=[fill("e1", qty=9), fill("e2"), fill("e2", qty=9)])

    fills, _ = await store.list_executions("alice")
    assert [(e.exec_id, e.qty) for e in fills] == [("e2", 1), ("e1", 1)]
    assert await all_of(store) == [first, fills[0]]


async def test_snapshot_is_replaced_only_by_a_newer_seq(store: Store) -> None:
    await store.write(snapshots=[snapshot("alice", 2, "1000")])

    await store.write(snapshots=[snapshot("alice", 1, "5")])
    await store.write(snapshots=[snapshot("alice", 2, "6")])
    assert await store.get_snapshot("alice") == snapshot("alice", 2, "1000")

    await store.write(snapshots=[snapshot("alice", 4, "1200"), snapshot("alice", 3, "7")])
    assert await store.get_snapshot("alice") == snapshot("alice", 4, "1200")


async def test_replaying_a_whole_batch_changes_nothing(store: Store) -> None:
    orders = [order(1, 2, "PARTIALLY_FILLED", cum_qty=2), order(2, 1)]
    fills = [fill("e1", 1), fill("e2", 1)]
    snapshots = [snapshot("alice", 9)]
    await store.write(orders, fills, snapshots)
    before = (
        await store.list_orders("alice"),
        await store.list_executions("alice"),
        await all_of(store),
        await store.open_orders(),
        await store.get_snapshot("alice"),
    )

    await store.write(orders, fills, snapshots)
    await store.write(orders[::-1], fills[::-1], snapshots)

    after = (
        await store.list_orders("alice"),
        await store.list_executions("alice"),
        await all_of(store),
        await store.open_orders(),
        await store.get_snapshot("alice"),
    )
    assert after == before


# --- reads ---------------------------------------------------------------------------------------


async def test_missing_things_are_none(store: Store) -> None:
    assert await store.get_order(42) is None
    assert await store.get_order_by_client_id("alice", "nope") is None
    assert await store.get_snapshot("alice") is None
    assert await store.list_orders("alice") == []
    assert await store.list_executions("alice") == ([], None)
    assert await store.open_orders() == []
    assert await all_of(store) == []


async def test_every_field_survives_the_round_trip(store: Store) -> None:
    big = 2**62 + 12_345  # BSON int64 holds money atoms up to 9.2e18
    stored = order(
        7,
        3,
        "PARTIALLY_FILLED",
        cum_qty=4,
        cum_notional=big,
        fees=big // 1000,
        stop_price=490_000,
        reduce_only=True,
        last_qty=4,
        last_price=500_000,
        triggered=True,
        order_type="STOP_LIMIT",
        time_in_force="GTX",
        side="SELL",
    )
    execution = Execution("ex-é/1", 7, "alice", "BTC-PERP", "SELL", 4, 500_000, -3, "MAKER", "X", 9)
    await store.write([stored], [execution], [snapshot("alice", 1)])

    assert await store.get_order(7) == stored
    assert await store.list_executions("alice") == ([execution], None)
    assert await store.get_snapshot("alice") == snapshot("alice", 1)


async def test_get_order_by_client_id_is_per_account(store: Store) -> None:
    await store.write([order(1, client_order_id="mine"), order(2, account="bob")])

    assert await store.get_order_by_client_id("alice", "mine") == order(1, client_order_id="mine")
    assert await store.get_order_by_client_id("bob", "mine") is None
    assert await store.get_order_by_client_id("bob", "c-2") == order(2, account="bob")


async def test_list_orders_pages_newest_first_by_cursor(store: Store) -> None:
    ids = [100 + i * 7 for i in range(25)]
    await store.write([order(i) for i in ids[::2]])
    await store.write([order(i) for i in ids[1::2]])
    await store.write([order(999, account="bob")])

    pages: list[list[int]] = []
    cursor: int | None = None
    while True:
        page = await store.list_orders("alice", limit=10, cursor=cursor)
        if not page:
            break
        pages.append([o.order_id for o in page])
        cursor = page[-1].order_id

    assert [len(p) for p in pages] == [10, 10, 5]
    assert [i for p in pages for i in p] == sorted(ids, reverse=True)


async def test_list_orders_filters_by_status_and_symbol(store: Store) -> None:
    await store.write(
        [
            order(1, status="NEW"),
            order(2, status="FILLED", cum_qty=10),
            order(3, status="CANCELED", symbol="ETH-PERP"),
            order(4, status="NEW", symbol="ETH-PERP"),
            order(5, status="PARTIALLY_FILLED", cum_qty=1),
        ]
    )

    async def ids(**filters: object) -> list[int]:
        return [o.order_id for o in await store.list_orders("alice", **filters)]

    assert await ids(statuses=["NEW"]) == [4, 1]
    assert await ids(statuses={"NEW", "PARTIALLY_FILLED"}) == [5, 4, 1]
    assert await ids(symbol="ETH-PERP") == [4, 3]
    assert await ids(statuses=("CANCELED", "FILLED"), symbol="BTC-PERP") == [2]
    assert await ids(statuses=["NEW"], symbol="ETH-PERP", cursor=4) == []


async def test_reads_see_only_each_orders_newest_version(store: Store) -> None:
    """Filters, limits and cursors apply to orders as they are now, never to an older state."""
    await store.write([order(i, 1, "NEW") for i in range(1, 7)])
    await store.write([order(i, 2, "PARTIALLY_FILLED", cum_qty=2) for i in (2, 4, 6)])
    await store.write([order(i, 3, "FILLED", cum_qty=10) for i in (4, 6)])
    await store.write([order(2, 1, "NEW")])  # a replay of an old version: changes nothing

    async def ids(**filters: object) -> list[int]:
        return [o.order_id for o in await store.list_orders("alice", **filters)]

    assert await ids(statuses=["NEW"]) == [5, 3, 1]
    assert await ids(statuses=["PARTIALLY_FILLED"]) == [2]
    assert await ids(statuses=["NEW"], limit=2) == [5, 3]
    assert await ids(statuses=["NEW"], limit=2, cursor=3) == [1]
    assert await ids(limit=3) == [6, 5, 4]  # one entry per order, not per version
    assert [o.seq for o in await store.list_orders("alice")] == [3, 1, 3, 1, 2, 1]
    found = await store.get_order_by_client_id("alice", "c-4")
    assert found == order(4, 3, "FILLED", cum_qty=10)
    assert [o.order_id for o in await store.open_orders("alice")] == [1, 2, 3, 5]


async def test_open_orders_are_the_non_terminal_ones_oldest_first(store: Store) -> None:
    await store.write(
        [
            order(5, status="PENDING_NEW"),
            order(2, status="NEW", account="bob"),
            order(3, status="PENDING_CANCEL"),
            order(4, status="REJECTED"),
            order(1, status="PARTIALLY_FILLED", cum_qty=2),
        ]
    )
    await store.write([order(3, 2, "CANCELED")])

    assert [o.order_id for o in await store.open_orders()] == [1, 2, 5]
    assert [o.order_id for o in await store.open_orders("alice")] == [1, 5]
    assert await store.open_orders("carol") == []


async def test_list_executions_pages_newest_first_by_cursor(store: Store) -> None:
    names = [f"fill-{n:03d}" for n in (17, 3, 11, 5, 23, 2, 19, 7, 13)]
    names += [uuid.uuid4().hex for _ in range(16)]
    for start in range(0, len(names), 4):
        await store.write(executions=[fill(n) for n in names[start : start + 4]])
        await store.write(executions=[fill(uuid.uuid4().hex, account="bob")])

    pages: list[list[str]] = []
    cursor: int | None = None
    while True:
        page, cursor = await store.list_executions("alice", limit=10, cursor=cursor)
        pages.append([e.exec_id for e in page])
        if cursor is None:
            break

    assert [len(p) for p in pages] == [10, 10, 5]
    assert [name for p in pages for name in p] == names[::-1]


async def test_list_executions_filters_by_symbol_and_order(store: Store) -> None:
    await store.write(
        executions=[
            fill("a", 1),
            fill("b", 2, symbol="ETH-PERP"),
            fill("c", 1),
            fill("d", 3, symbol="ETH-PERP"),
            fill("e", 1, account="bob"),
        ]
    )

    async def ids(**filters: object) -> list[str]:
        page, _ = await store.list_executions("alice", **filters)
        return [e.exec_id for e in page]

    assert await ids(order_id=1) == ["c", "a"]
    assert await ids(symbol="ETH-PERP") == ["d", "b"]
    assert await ids(symbol="ETH-PERP", order_id=3) == ["d"]
    assert await ids(symbol="BTC-PERP", order_id=2) == []


async def test_all_executions_replays_in_insertion_order(store: Store) -> None:
    names = [uuid.uuid4().hex for _ in range(11)]
    await store.write(executions=[fill(n) for n in names[:4]])
    await store.write(executions=[fill(n, account="bob") for n in names[4:7]])
    await store.write(executions=[fill(names[0]), *(fill(n) for n in names[7:])])

    pages = [[e.exec_id for e in page] async for page in store.all_executions(batch=3)]

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [name for p in pages for name in p] == names


# --- the MongoDB-wire adapter itself ------------------------------------------------------------


@pytest.fixture
async def mongo(mongo_url: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh database on the test server: ``(url, name)``, dropped afterwards."""
    database = f"oms_test_{uuid.uuid4().hex[:12]}"
    yield mongo_url, database
    admin: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await admin.drop_database(database)
    await admin.close()


async def test_mongo_documents_are_plain_queryable_fields(mongo: tuple[str, str]) -> None:
    url, database = mongo
    store = MongoStore(url, database)
    await store.write([order(1, 2, "NEW")], [fill("e1")], [snapshot("alice", 1)])
    await store.close()

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    db = client[database]
    stored = await db["orders"].find_one({"account": "alice", "status": "NEW", "open": True})
    execution = await db["executions"].find_one({"order_id": 1, "venue": "SIM"})
    account = await db["snapshots"].find_one({"positions.symbol": "BTC-PERP"})
    await client.close()

    assert stored is not None
    # One document per version: "<order>:<seq>".
    assert (stored["_id"], stored["order"], stored["seq"], stored["type"]) == (
        "00000000000000000001:0000000002",
        "00000000000000000001",
        2,
        "OrderUpdate.v1",
    )
    assert execution is not None
    assert execution["_id"] == "e1"
    assert isinstance(execution["n"], int)
    assert account is not None
    assert account["_id"] == "alice"


async def test_mongo_writers_in_several_processes_number_fills_uniquely(
    mongo: tuple[str, str],
) -> None:
    """Replicas own disjoint accounts (Kafka partitions) but share the fill numbering; a fill
    replayed by two of them at once (a takeover) is still stored once."""
    url, database = mongo
    writers = [MongoStore(url, database) for _ in range(4)]
    accounts = [f"acct-{k}" for k in range(len(writers))]

    async def work(k: int, writer: MongoStore) -> None:
        for batch in range(3):
            await writer.write(
                [order(k * 100 + i, seq=batch + 1, account=accounts[k]) for i in range(10)],
                [fill(f"w{k}-{batch}-{j}", account=accounts[k]) for j in range(10)]
                + [fill(f"shared-{batch}-{j}", account="shared") for j in range(5)],
            )

    try:
        await asyncio.gather(*(work(k, w) for k, w in enumerate(writers)))
        reader = writers[0]
        replayed = await all_of(reader)
        orders = [o for a in accounts for o in await reader.list_orders(a)]
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        numbers = [d["n"] async for d in client[database]["executions"].find({}, {"n": 1})]
        await client.close()
    finally:
        for w in writers:
            await w.close()

    assert len(replayed) == 4 * 3 * 10 + 3 * 5
    assert len({e.exec_id for e in replayed}) == len(replayed)
    assert len(set(numbers)) == len(numbers)
    for account in accounts:
        mine = [e.exec_id for e in replayed if e.account == account]
        assert mine == sorted(mine, key=lambda name: int(name.split("-")[1]))
    assert sorted(o.seq for o in orders) == [3] * 40


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_mongo_unreachable_raises_store_unavailable_within_seconds(closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await MongoStore.connect(f"mongodb://127.0.0.1:{closed_port}/oms")
    assert time.monotonic() - started < 5.0

    # Options in the URL win over the adapter's defaults.
    store = MongoStore.from_url(
        f"mongodb://127.0.0.1:{closed_port}/oms?serverSelectionTimeoutMS=200"
    )
    try:
        for attempt in (
            lambda: store.write([order(1)], [fill("e1")]),
            lambda: store.get_order(1),
            lambda: store.list_executions("alice"),
        ):
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError):
                await attempt()
            assert time.monotonic() - started < 1.0
    finally:
        await store.close()
