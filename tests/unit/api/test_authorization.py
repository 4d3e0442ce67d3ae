"""Every endpoint tried with another account's key: an account sees and changes only its own
orders, fills, positions and balances (others' are answered like missing ones, 404), and
only admin keys reach the admin endpoints (403). A new endpoint fails
``test_every_endpoint_is_covered`` until it is added to the table below."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from api.routes import ENDPOINTS
from oms.bus.memory import MemoryBus
from oms.events import COMMANDS, CancelAll, Execution, NewOrder, command_decoder
from oms.runtime import Runtime
from tests.unit.api.conftest import Caller
from tests.unit.api.fakes import order_update, published
from tests.unit.api.test_account_and_markets import SNAPSHOT

LIMIT_BUY: dict[str, Any] = {
    "symbol": "BTC-USDT",
    "side": "BUY",
    "type": "LIMIT",
    "quantity": "0.5",
    "price": "60000.10",
    "clientOrderId": "alice-1",
}


class Victim:
    """Alice's things, which Bob (a trader with his own valid key) goes after."""

    def __init__(self, stored_id: str, pending_id: str) -> None:
        self.stored_id = stored_id  # an order the store has
        self.pending_id = pending_id  # an order only the API's claim knows yet


@pytest.fixture
async def victim(alice: Caller, runtime: Runtime) -> Victim:
    pending = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()["orderId"]
    command = NewOrder(
        9001, "alice", "alice-stored", "BTC-USDT", "BUY", "LIMIT", "GTC", 1000, 6_000_000
    )
    fill = Execution("x1", 9001, "alice", "BTC-USDT", "BUY", 500, 6_000_000, 30, "TAKER", "SIM",
                     1_700_000_000_000_000_000)  # fmt: skip
    await runtime.store.write(
        orders=[order_update(command, "PARTIALLY_FILLED", cum_qty=500, leaves_qty=500)],
        executions=[fill],
        snapshots=[SNAPSHOT],
    )
    return Victim("9001", pending)


Probe = Callable[[Caller, Caller, Caller, Victim, Runtime], Awaitable[None]]


async def _not_found(response: Any) -> None:
    assert (response.status_code, response.json()["code"]) == (404, "ORDER_NOT_FOUND")


async def get_order(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    for order_id in (v.stored_id, v.pending_id):
        await _not_found(await bob.send("GET", f"/v1/orders/{order_id}"))
        assert (await alice.send("GET", f"/v1/orders/{order_id}")).status_code == 200


async def get_by_client_id(
    bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime
) -> None:
    for cid in ("alice-1", "alice-stored"):
        await _not_found(await bob.send("GET", f"/v1/orders/by-client-id/{cid}"))
        assert (await alice.send("GET", f"/v1/orders/by-client-id/{cid}")).status_code == 200


async def amend(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    before = len(published_commands(rt))
    for order_id in (v.stored_id, v.pending_id):
        await _not_found(await bob.send("PATCH", f"/v1/orders/{order_id}", {"price": "59000"}))
    assert len(published_commands(rt)) == before


async def cancel(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    before = len(published_commands(rt))
    for order_id in (v.stored_id, v.pending_id):
        await _not_found(await bob.send("DELETE", f"/v1/orders/{order_id}"))
    assert len(published_commands(rt)) == before


async def cancel_all(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    response = await bob.send("DELETE", "/v1/orders")
    assert response.json() == {"account": "bob", "symbol": None}
    last = published_commands(rt)[-1]
    assert isinstance(last, CancelAll)
    assert last.account == "bob"  # risk and the processor cancel only Bob's


async def list_orders(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    assert (await bob.send("GET", "/v1/orders")).json()["orders"] == []
    assert len((await alice.send("GET", "/v1/orders")).json()["orders"]) == 1


async def place(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    # Bob reusing Alice's clientOrderId gets an order of his own, not hers.
    response = await bob.send("POST", "/v1/orders", LIMIT_BUY)
    assert response.status_code == 202
    assert response.json()["orderId"] != v.pending_id
    new = published_commands(rt)[-1]
    assert isinstance(new, NewOrder)
    assert new.account == "bob"


async def executions(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    for query in ("", f"?orderId={v.stored_id}"):
        assert (await bob.send("GET", f"/v1/executions{query}")).json()["executions"] == []
    assert len((await alice.send("GET", "/v1/executions")).json()["executions"]) == 1


async def positions(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    assert (await bob.send("GET", "/v1/positions")).json()["positions"] == []
    assert (await alice.send("GET", "/v1/positions")).json()["positions"] != []


async def account(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
    assert (await bob.send("GET", "/v1/account")).json()["account"] == "bob"


def admin_only(method: str, path: str, body: object = None) -> Probe:
    async def probe(bob: Caller, alice: Caller, root: Caller, v: Victim, rt: Runtime) -> None:
        before = len(published_commands(rt))
        for trader in (bob, alice):
            response = await trader.send(method, path, body)
            assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
        assert len(published_commands(rt)) == before
        assert (await root.send(method, path, body)).status_code in (200, 202)

    return probe


def published_commands(runtime: Runtime) -> list[object]:
    assert isinstance(runtime.bus, MemoryBus)
    return [command_decoder.decode(v) for v in published(runtime.bus, COMMANDS)]


PROBES: dict[tuple[str, str], Probe] = {
    ("POST", "/v1/orders"): place,
    ("GET", "/v1/orders"): list_orders,
    ("DELETE", "/v1/orders"): cancel_all,
    ("GET", "/v1/orders/by-client-id/{clientOrderId}"): get_by_client_id,
    ("GET", "/v1/orders/{orderId}"): get_order,
    ("PATCH", "/v1/orders/{orderId}"): amend,
    ("DELETE", "/v1/orders/{orderId}"): cancel,
    ("GET", "/v1/executions"): executions,
    ("GET", "/v1/positions"): positions,
    ("GET", "/v1/account"): account,
    ("POST", "/v1/admin/trading-state"): admin_only(
        "POST", "/v1/admin/trading-state", {"account": "alice", "state": "HALTED"}
    ),
    ("GET", "/v1/admin/accounts/{account}/limits"): admin_only(
        "GET", "/v1/admin/accounts/alice/limits"
    ),
    ("PATCH", "/v1/admin/accounts/{account}/limits"): admin_only(
        "PATCH", "/v1/admin/accounts/alice/limits", {"maxOpenOrders": 1}
    ),
}


def test_every_endpoint_is_covered() -> None:
    signed = {(e.method, e.path) for e in ENDPOINTS if e.access != "public"}
    assert signed == set(PROBES)


@pytest.mark.parametrize("route", sorted(PROBES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_another_accounts_key_reaches_nothing_of_alices(
    route: tuple[str, str],
    alice: Caller,
    bob: Caller,
    root: Caller,
    victim: Victim,
    runtime: Runtime,
) -> None:
    await PROBES[route](bob, alice, root, victim, runtime)
