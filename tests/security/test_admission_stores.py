"""The admission stores (replay cache and token buckets) behave alike: in this process's memory
and in a real Redis shared by API replicas (skipped on a laptop without Redis, a failure under
CI=true)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import pytest

from oms.ratelimit import AdmissionStore, Limit
from oms.ratelimit.memory import MemoryAdmissionStore
from oms.ratelimit.redis import RedisAdmissionStore
from tests.integration.conftest import REDIS_URL, require_server

REDIS_ADMISSION_URL = REDIS_URL.rsplit("/", 1)[0] + "/12"  # 15: contract tests, 14: e2e


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AdmissionStore]:
    if request.param == "memory":
        yield MemoryAdmissionStore()
        return
    url = require_server("Redis", REDIS_ADMISSION_URL, 6379)
    prefix = "t" + os.urandom(4).hex()
    redis_store = RedisAdmissionStore.from_url(f"{url}?prefix={prefix}")
    yield redis_store
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await redis_store.close()


async def test_a_signature_is_admitted_once_per_key(store: AdmissionStore) -> None:
    off = Limit(0, 1)
    expires = now_ms() + 5_000
    assert (await store.admit("key:alice", off, "sig-1", expires)).admitted
    assert (await store.admit("key:alice", off, "sig-1", expires)).replayed
    assert (await store.admit("key:bob", off, "sig-1", expires)).admitted
    assert (await store.admit("key:alice", off, "sig-2", expires)).admitted


async def test_a_signature_is_forgotten_when_it_expires(store: AdmissionStore) -> None:
    off = Limit(0, 1)
    expires = now_ms() + 300
    assert (await store.admit("key:alice", off, "sig-x", expires)).admitted
    await asyncio.sleep(1.2)  # the memory store forgets by whole seconds
    assert (await store.admit("key:alice", off, "sig-x", expires)).admitted


async def test_a_throttled_request_leaves_no_signature_behind(store: AdmissionStore) -> None:
    one = Limit(rate=0.5, burst=1)
    expires = now_ms() + 5_000
    assert (await store.admit("key:carol", one, "sig-a", expires)).admitted
    throttled = await store.admit("key:carol", one, "sig-b", expires)
    assert not throttled.replayed
    assert 0 < throttled.retry_after_s <= 2.0
    assert (await store.admit("key:carol", one, "sig-a", expires)).replayed  # not charged


async def test_buckets_refill_at_their_rate(store: AdmissionStore) -> None:
    limit = Limit(rate=20.0, burst=2)
    assert [await store.take("ip:192.0.2.1", limit) for _ in range(2)] == [0.0, 0.0]
    wait = await store.take("ip:192.0.2.1", limit)
    assert 0 < wait <= 0.06
    assert await store.take("ip:192.0.2.2", limit) == 0.0
    await asyncio.sleep(0.15)
    assert await store.take("ip:192.0.2.1", limit) == 0.0


async def test_replicas_share_one_redis() -> None:
    url = require_server("Redis", REDIS_ADMISSION_URL, 6379)
    prefix = "t" + os.urandom(4).hex()
    first, second = (RedisAdmissionStore.from_url(f"{url}?prefix={prefix}") for _ in range(2))
    try:
        expires = now_ms() + 5_000
        assert (await first.admit("key:alice", Limit(0, 1), "sig", expires)).admitted
        assert (await second.admit("key:alice", Limit(0, 1), "sig", expires)).replayed
        limit = Limit(rate=0.5, burst=1)
        assert await first.take("ip:198.51.100.1", limit) == 0.0
        assert await second.take("ip:198.51.100.1", limit) > 0
    finally:
        await first.close()
        await second.close()
