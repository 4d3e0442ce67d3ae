"""The embedded claim store keeps claims minutes, not a day: memory stays bounded under load."""

from __future__ import annotations

import pytest

from oms.idempotency.memory import DEFAULT_TTL_S, MemoryIdempotencyStore


def test_the_url_sets_the_ttl_and_refuses_unknown_parameters() -> None:
    assert MemoryIdempotencyStore.from_url("memory://")._ttl_ns == int(DEFAULT_TTL_S * 1e9)
    assert MemoryIdempotencyStore.from_url("memory://?ttl_s=2.5")._ttl_ns == 2_500_000_000
    with pytest.raises(ValueError, match="prefix"):
        MemoryIdempotencyStore.from_url("memory://?prefix=x")
    with pytest.raises(ValueError, match="positive"):
        MemoryIdempotencyStore.from_url("memory://?ttl_s=0")


async def test_expired_claims_leave_both_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0]
    monkeypatch.setattr("oms.idempotency.memory.time.monotonic_ns", lambda: clock[0])
    store = MemoryIdempotencyStore(ttl_s=1.0)
    for i in range(1000):
        assert await store.claim("alice", f"c{i}", i, b"x" * 100) is None
    clock[0] = 2_000_000_000  # two seconds later: all of them are past the TTL
    assert await store.claim("alice", "fresh", 5000, b"y") is None
    assert len(store._by_client_id) == 1
    assert len(store._by_order_id) == 1
    assert await store.by_order_id(3) is None
