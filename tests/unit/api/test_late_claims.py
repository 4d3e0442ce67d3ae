"""A clientOrderId claim that lands after the API gave up on it (a cut link to Redis delivers it
late) must not become an order that never leaves: the client's retry publishes it."""

from __future__ import annotations

from oms.idempotency import IdempotencyUnavailableError
from oms.runtime import Runtime
from tests.unit.api.conftest import Caller
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
