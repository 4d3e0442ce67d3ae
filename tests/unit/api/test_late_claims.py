"""A clientOrderId claim that lands after the API gave up on it (a cut link to Redis delivers it
late) must not become an order that never leaves: the client's retry publishes it, through the
same API process at once, through any other once the claim is old enough to be stranded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.routes import orders
from oms.idempotency import IdempotencyUnavailableError
from oms.runtime import Runtime
from tests.unit.api.conftest import ALICE, Caller
from tests.unit.api.test_orders import LIMIT_BUY, commands


class LateClaims:
    """Wraps the claim store: the first claim is stored but answered with an outage."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.failed_once = False

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def claim(self, account: str, client_order_id: str, order_id: int, payload: bytes):  # type: ignore[no-untyped-def]
        result = await self.inner.claim(account, client_order_id, order_id, payload)  # type: ignore[attr-defined]
        if not self.failed_once:
            self.failed_once = True
            raise IdempotencyUnavailableError("timed out (the claim landed anyway)")
        return result


async def test_a_retry_publishes_the_order_whose_claim_landed_late(
    alice: Caller, runtime: Runtime
) -> None:
    object.__setattr__(runtime, "idempotency", LateClaims(runtime.idempotency))
    body = {**LIMIT_BUY, "clientOrderId": "late-1"}
    first = await alice.send("POST", "/v1/orders", body)
    assert (first.status_code, first.json()["code"]) == (503, "IDEMPOTENCY_UNAVAILABLE")
    assert commands(runtime) == []  # nothing left while the claim was uncertain

    again = await alice.send("POST", "/v1/orders", body)
    assert again.status_code == 200
    [command] = commands(runtime)
    assert str(command.order_id) == again.json()["orderId"]
    third = await alice.send("POST", "/v1/orders", body)
    assert third.json()["orderId"] == again.json()["orderId"]
    assert len(commands(runtime)) == 1  # published once, not on every retry


@asynccontextmanager
async def another_api(runtime: Runtime) -> AsyncIterator[Caller]:
    """A second API process on the same bus, store and claims (a replica behind the balancer)."""
    app = create_app(runtime=runtime, heartbeat_s=0.2)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://oms") as http,
    ):
        yield Caller(http, ALICE)


async def test_a_retry_through_another_api_publishes_a_claim_stranded_by_the_first(
    alice: Caller, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    object.__setattr__(runtime, "idempotency", LateClaims(runtime.idempotency))
    body = {**LIMIT_BUY, "clientOrderId": "late-2"}
    first = await alice.send("POST", "/v1/orders", body)
    assert (first.status_code, first.json()["code"]) == (503, "IDEMPOTENCY_UNAVAILABLE")

    async with another_api(runtime) as replica:
        young = await replica.send("POST", "/v1/orders", body)
        assert (young.status_code, young.json()["status"]) == (200, "PENDING_NEW")
        assert commands(runtime) == []  # a young claim may still be on its way: left alone

        monkeypatch.setattr(orders, "_STRANDED_AFTER_NS", 0)  # the claim is now old
        stranded = await replica.send("POST", "/v1/orders", body)
        assert stranded.json()["orderId"] == young.json()["orderId"]
        [command] = commands(runtime)
        assert str(command.order_id) == stranded.json()["orderId"]
