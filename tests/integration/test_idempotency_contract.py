"""The ``IdempotencyStore`` contract, run on every adapter: in process, and Redis shared by the
API replicas. One order per (account, clientOrderId), however many claims race for it."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from redis.asyncio import Redis

from oms.idempotency import IdempotencyStore, IdempotencyUnavailableError
from oms.idempotency.memory import MemoryIdempotencyStore
from oms.idempotency.redis import RedisIdempotencyStore

MakeStore = Callable[[float], IdempotencyStore]


def record(order_id: int) -> bytes:
    return b'{"type":"NewOrder.v1","order_id":%d}' % order_id


@pytest.fixture(params=["memory", "redis"])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[MakeStore]:
    """Stores of one adapter sharing one keyspace, built with a TTL in seconds."""
    opened: list[IdempotencyStore] = []
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    redis_url: str | None = None
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")

    def make(ttl_s: float = 3600.0) -> IdempotencyStore:
        store: IdempotencyStore
        if redis_url is None:
            store = MemoryIdempotencyStore(ttl_s)
        else:
            store = RedisIdempotencyStore(redis_url, ttl_s=ttl_s, prefix=prefix)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()
    if redis_url is not None:
        client = Redis.from_url(redis_url)
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_first_claim_wins_and_later_claims_get_its_record(make_store: MakeStore) -> None:
    store = make_store(3600.0)

    assert await store.claim("alice", "c1", 1, record(1)) is None
    assert await store.claim("alice", "c1", 2, record(2)) == record(1)


async def test_a_key_is_the_account_and_the_client_order_id(make_store: MakeStore) -> None:
    store = make_store(3600.0)

    assert await store.claim("alice", "c1", 1, record(1)) is None
    assert await store.claim("bob", "c1", 2, record(2)) is None
    assert await store.claim("alice", "c2", 3, record(3)) is None

    assert await store.by_client_id("alice", "c1") == record(1)
    assert await store.by_client_id("bob", "c1") == record(2)
    assert await store.by_client_id("bob", "c2") is None


async def test_fifty_racing_claims_leave_exactly_one_order(make_store: MakeStore) -> None:
    store = make_store(3600.0)
    ids = range(100, 150)

    answers = await asyncio.gather(*(store.claim("alice", "storm", i, record(i)) for i in ids))

    winners = [i for i, answer in zip(ids, answers, strict=True) if answer is None]
    assert len(winners) == 1
    winner = winners[0]
    assert [a for a in answers if a is not None] == [record(winner)] * 49
    assert await store.by_client_id("alice", "storm") == record(winner)
    assert await store.by_order_id(winner) == record(winner)
    assert [i for i in ids if await store.by_order_id(i) is not None] == [winner]


async def test_by_order_id_finds_a_claimed_order_at_once(make_store: MakeStore) -> None:
    store = make_store(3600.0)

    assert await store.by_order_id(7) is None
    await store.claim("alice", "c7", 7, record(7))
    assert await store.by_order_id(7) == record(7)


async def test_a_claim_is_forgotten_after_its_ttl(make_store: MakeStore) -> None:
    store = make_store(0.3)
    assert await store.claim("alice", "c1", 1, record(1)) is None
    assert await store.claim("alice", "c1", 2, record(2)) == record(1)

    await asyncio.sleep(0.5)

    assert await store.claim("alice", "c1", 3, record(3)) is None
    assert await store.by_client_id("alice", "c1") == record(3)
    assert await store.by_order_id(3) == record(3)
    assert await store.by_order_id(1) is None


# --- the Redis adapter itself -------------------------------------------------------------------


async def test_redis_replicas_racing_for_one_key_leave_exactly_one_order(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    replicas = [RedisIdempotencyStore(redis_url, prefix=prefix) for _ in range(5)]
    try:
        answers = await asyncio.gather(
            *(replicas[i % 5].claim("alice", "storm", i, record(i)) for i in range(1000, 1050))
        )
    finally:
        for r in replicas:
            await r.close()
        client = Redis.from_url(redis_url)
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        await client.delete(*keys)
        await client.aclose()

    assert answers.count(None) == 1
    assert len(keys) == 2
    assert len({a for a in answers if a is not None}) == 1


async def test_redis_claim_writes_both_keys_with_the_ttl(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    store = RedisIdempotencyStore(redis_url, ttl_s=60.0, prefix=prefix)
    client = Redis.from_url(redis_url)
    try:
        await store.claim("alice", "c:1", 42, record(42))
        cid, oid = f"{prefix}:cid:alice:c:1", f"{prefix}:oid:42"
        assert await client.mget([cid, oid]) == [record(42), record(42)]
        for key in (cid, oid):
            assert 55_000 < await client.pttl(key) <= 60_000
    finally:
        await client.delete(f"{prefix}:cid:alice:c:1", f"{prefix}:oid:42")
        await client.aclose()
        await store.close()


async def test_redis_retried_claim_of_the_same_record_is_the_callers_own(redis_url: str) -> None:
    """A claim retried after a lost answer finds its own record: it still owns the order."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    store = RedisIdempotencyStore(redis_url, prefix=prefix)
    try:
        assert await store.claim("alice", "c1", 1, record(1)) is None
        assert await store.claim("alice", "c1", 1, record(1)) is None
        assert await store.claim("alice", "c1", 2, record(2)) == record(1)
    finally:
        client = Redis.from_url(redis_url)
        await client.delete(f"{prefix}:cid:alice:c1", f"{prefix}:oid:1")
        await client.aclose()
        await store.close()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_redis_unreachable_fails_closed_within_a_second(closed_port: int) -> None:
    url = f"redis://127.0.0.1:{closed_port}/15"
    started = time.monotonic()
    with pytest.raises(IdempotencyUnavailableError):
        await RedisIdempotencyStore.connect(url)
    assert time.monotonic() - started < 1.0

    store = RedisIdempotencyStore(url)
    try:
        for attempt in (
            lambda: store.claim("alice", "c1", 1, record(1)),
            lambda: store.by_client_id("alice", "c1"),
            lambda: store.by_order_id(1),
        ):
            started = time.monotonic()
            with pytest.raises(IdempotencyUnavailableError):
                await attempt()
            assert time.monotonic() - started < 1.0
    finally:
        await store.close()


async def test_redis_that_never_answers_fails_closed_after_the_timeout() -> None:
    """A server that accepts connections but never replies (hung, or a black hole)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        store = RedisIdempotencyStore(f"redis://127.0.0.1:{port}/15", timeout_s=0.2)
        try:
            started = time.monotonic()
            with pytest.raises(IdempotencyUnavailableError):
                await store.claim("alice", "c1", 1, record(1))
            assert time.monotonic() - started < 1.5
        finally:
            await store.close()
