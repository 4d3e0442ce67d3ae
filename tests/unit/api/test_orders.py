"""Placing, reading, amending and cancelling orders through the ASGI app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oms.bus.memory import MemoryBus
from oms.client import CancelAllAck, Order, OrderPage
from oms.events import (
    COMMANDS,
    AmendOrder,
    CancelAll,
    CancelOrder,
    NewOrder,
    command_decoder,
)
from oms.runtime import Runtime
from tests.unit.api.conftest import Caller
from tests.unit.api.contract import conforms
from tests.unit.api.fakes import FakeProcessor, order_update, published

LIMIT_BUY: dict[str, Any] = {
    "symbol": "BTC-USDT",
    "side": "BUY",
    "type": "LIMIT",
    "quantity": "0.5",
    "price": "60000.10",
}


def commands(runtime: Runtime) -> list[object]:
    assert isinstance(runtime.bus, MemoryBus)
    return [command_decoder.decode(v) for v in published(runtime.bus, COMMANDS)]


async def test_ack_answers_202_pending_new_once_published(alice: Caller, runtime: Runtime) -> None:
    response = await alice.send("POST", "/v1/orders", LIMIT_BUY)
    assert response.status_code == 202
    order = conforms(response.content, Order)
    assert order.status == "PENDING_NEW"
    assert (str(order.quantity), str(order.price)) == ("0.5", "60000.1")
    [command] = commands(runtime)
    assert isinstance(command, NewOrder)
    assert (command.order_id, command.qty, command.price) == (
        int(order.order_id),
        50_000,
        6_000_010,
    )
    assert command.client_order_id == order.client_order_id == f"oms-{order.order_id}"
    assert command.time_in_force == "GTC"


async def test_json_numbers_are_read_exactly(alice: Caller, runtime: Runtime) -> None:
    body = b'{"symbol":"BTC-USDT","side":"SELL","type":"LIMIT","quantity":0.3,"price":70000.07}'
    response = await alice.send("POST", "/v1/orders", content=body)
    assert response.status_code == 202
    [command] = commands(runtime)
    assert isinstance(command, NewOrder)
    assert (command.qty, command.price) == (30_000, 7_000_007)


async def test_order_id_is_a_string_on_the_wire(alice: Caller) -> None:
    response = await alice.send("POST", "/v1/orders", LIMIT_BUY)
    assert isinstance(response.json()["orderId"], str)


async def test_stop_market_takes_stop_price_only(alice: Caller, runtime: Runtime) -> None:
    body = {**LIMIT_BUY, "type": "STOP_MARKET", "stopPrice": "65000"}
    del body["price"]
    response = await alice.send("POST", "/v1/orders", body)
    assert response.status_code == 202
    [command] = commands(runtime)
    assert isinstance(command, NewOrder)
    assert (command.price, command.stop_price) == (0, 6_500_000)


async def test_pending_order_is_readable_before_the_store_has_it(alice: Caller) -> None:
    placed = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()
    response = await alice.send("GET", f"/v1/orders/{placed['orderId']}")
    assert response.status_code == 200
    assert conforms(response.content, Order).status == "PENDING_NEW"
    by_client = await alice.send("GET", f"/v1/orders/by-client-id/{placed['clientOrderId']}")
    assert by_client.status_code == 200
    assert conforms(by_client.content, Order).order_id == placed["orderId"]


async def test_stored_order_is_read_from_the_store(alice: Caller, processor: FakeProcessor) -> None:
    placed = (await alice.send("POST", "/v1/orders", {**LIMIT_BUY, "respType": "RESULT"})).json()
    response = await alice.send("GET", f"/v1/orders/{placed['orderId']}")
    assert conforms(response.content, Order).status == "NEW"
    by_client = await alice.send("GET", f"/v1/orders/by-client-id/{placed['clientOrderId']}")
    assert by_client.json()["orderId"] == placed["orderId"]


async def test_result_waits_for_the_venue_ack(alice: Caller, processor: FakeProcessor) -> None:
    response = await alice.send("POST", "/v1/orders", {**LIMIT_BUY, "respType": "RESULT"})
    assert response.status_code == 200
    assert conforms(response.content, Order).status == "NEW"


async def test_result_carries_the_risk_reject_reason(
    alice: Caller, processor: FakeProcessor
) -> None:
    processor.max_lots = 1
    response = await alice.send("POST", "/v1/orders", {**LIMIT_BUY, "respType": "RESULT"})
    order = conforms(response.content, Order)
    assert (response.status_code, order.status) == (200, "REJECTED")
    assert order.reject_reason == "INSUFFICIENT_MARGIN"


async def test_result_times_out_as_202_pending(alice: Caller, runtime: Runtime) -> None:
    runtime.settings.result_timeout_s = 0.05
    response = await alice.send("POST", "/v1/orders", {**LIMIT_BUY, "respType": "RESULT"})
    assert response.status_code == 202
    assert response.json()["status"] == "PENDING_NEW"


async def test_retry_with_same_payload_replays_the_original(
    alice: Caller, runtime: Runtime
) -> None:
    body = {**LIMIT_BUY, "clientOrderId": "retry-1"}
    first = await alice.send("POST", "/v1/orders", body)
    again = await alice.send("POST", "/v1/orders", {**body, "price": 60000.1})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["orderId"] == first.json()["orderId"]
    assert len(commands(runtime)) == 1


async def test_retry_after_the_claim_expired_is_answered_from_the_store(
    alice: Caller, runtime: Runtime
) -> None:
    body = {**LIMIT_BUY, "clientOrderId": "old-1"}
    first = (await alice.send("POST", "/v1/orders", body)).json()
    [command] = commands(runtime)
    assert isinstance(command, NewOrder)
    await runtime.store.write(orders=[order_update(command, "NEW")])
    await runtime.idempotency.close()  # the embedded claims are gone, as after a restart
    again = await alice.send("POST", "/v1/orders", body)
    assert (again.status_code, again.json()["orderId"]) == (200, first["orderId"])
    conflict = await alice.send("POST", "/v1/orders", {**body, "quantity": "0.6"})
    assert conflict.json()["code"] == "DUPLICATE_CLIENT_ORDER_ID"
    assert len(commands(runtime)) == 1


async def test_reused_client_order_id_with_other_payload_conflicts(
    alice: Caller, runtime: Runtime
) -> None:
    body = {**LIMIT_BUY, "clientOrderId": "dup-1"}
    await alice.send("POST", "/v1/orders", body)
    response = await alice.send("POST", "/v1/orders", {**body, "quantity": "0.6"})
    assert response.status_code == 409
    assert response.json() == {
        "code": "DUPLICATE_CLIENT_ORDER_ID",
        "message": "clientOrderId 'dup-1' was used for a different order",
        "field": "clientOrderId",
    }
    assert len(commands(runtime)) == 1


async def test_client_order_ids_are_per_account(alice: Caller, bob: Caller) -> None:
    body = {**LIMIT_BUY, "clientOrderId": "shared"}
    assert (await alice.send("POST", "/v1/orders", body)).status_code == 202
    assert (await bob.send("POST", "/v1/orders", body)).status_code == 202


async def test_another_accounts_order_is_not_found(alice: Caller, bob: Caller) -> None:
    order_id = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()["orderId"]
    for method in ("GET", "DELETE"):
        response = await bob.send(method, f"/v1/orders/{order_id}")
        assert (response.status_code, response.json()["code"]) == (404, "ORDER_NOT_FOUND")
    amend = await bob.send("PATCH", f"/v1/orders/{order_id}", {"price": "1"})
    assert amend.json()["code"] == "ORDER_NOT_FOUND"


@pytest.mark.parametrize("order_id", ["1", "abc", "9" * 30, "-1"])
async def test_unknown_order_id_is_not_found(alice: Caller, order_id: str) -> None:
    response = await alice.send("GET", f"/v1/orders/{order_id}")
    assert (response.status_code, response.json()["code"]) == (404, "ORDER_NOT_FOUND")


async def test_bus_down_answers_503_and_the_retry_publishes(
    alice: Caller, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.bus import BusUnavailableError

    bus = runtime.bus
    assert isinstance(bus, MemoryBus)
    original = bus.publish

    async def down(topic: str, key: str, value: bytes) -> None:
        raise BusUnavailableError("broker unreachable")

    monkeypatch.setattr(bus, "publish", down)
    body = {**LIMIT_BUY, "clientOrderId": "during-outage"}
    failed = await alice.send("POST", "/v1/orders", body)
    assert (failed.status_code, failed.json()["code"]) == (503, "BUS_UNAVAILABLE")
    assert failed.headers["Retry-After"] == "1"
    assert commands(runtime) == []
    monkeypatch.setattr(bus, "publish", original)
    retried = await alice.send("POST", "/v1/orders", body)
    assert retried.status_code == 200
    [command] = commands(runtime)
    assert isinstance(command, NewOrder)
    assert command.client_order_id == "during-outage"


async def test_amend_fills_the_missing_value_from_the_order(
    alice: Caller, runtime: Runtime
) -> None:
    order_id = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()["orderId"]
    response = await alice.send("PATCH", f"/v1/orders/{order_id}", {"price": "59000"})
    assert response.status_code == 202
    conforms(response.content, Order)
    amend = commands(runtime)[-1]
    assert amend == AmendOrder(int(order_id), "alice", 50_000, 5_900_000, amend.ts_ns)  # type: ignore[union-attr]


async def test_amend_below_the_filled_quantity_is_refused(alice: Caller, runtime: Runtime) -> None:
    order_id = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()["orderId"]
    command = commands(runtime)[0]
    assert isinstance(command, NewOrder)
    partial = order_update(command, "PARTIALLY_FILLED", cum_qty=20_000, leaves_qty=30_000)
    await runtime.store.write(orders=[partial])
    response = await alice.send("PATCH", f"/v1/orders/{order_id}", {"quantity": "0.2"})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_QUANTITY")


async def test_amend_or_cancel_of_a_terminal_order_conflicts(
    alice: Caller, runtime: Runtime
) -> None:
    order_id = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()["orderId"]
    command = commands(runtime)[0]
    assert isinstance(command, NewOrder)
    await runtime.store.write(orders=[order_update(command, "CANCELED", seq=2)])
    cancel = await alice.send("DELETE", f"/v1/orders/{order_id}")
    amend = await alice.send("PATCH", f"/v1/orders/{order_id}", {"price": "1"})
    for response in (cancel, amend):
        assert (response.status_code, response.json()["code"]) == (409, "ORDER_NOT_OPEN")
    assert len(commands(runtime)) == 1


async def test_cancel_publishes_cancel_order(alice: Caller, runtime: Runtime) -> None:
    order_id = (await alice.send("POST", "/v1/orders", LIMIT_BUY)).json()["orderId"]
    response = await alice.send("DELETE", f"/v1/orders/{order_id}")
    assert response.status_code == 202
    cancel = commands(runtime)[-1]
    assert isinstance(cancel, CancelOrder)
    assert (cancel.order_id, cancel.account) == (int(order_id), "alice")


async def test_cancel_all_publishes_cancel_all(alice: Caller, runtime: Runtime) -> None:
    response = await alice.send("DELETE", "/v1/orders?symbol=ETH-USDT")
    assert response.status_code == 202
    assert conforms(response.content, CancelAllAck).symbol == "ETH-USDT"
    [command] = commands(runtime)
    assert isinstance(command, CancelAll)
    assert (command.account, command.symbol) == ("alice", "ETH-USDT")


async def test_list_orders_pages_newest_first(alice: Caller, runtime: Runtime) -> None:
    for _ in range(5):
        await alice.send("POST", "/v1/orders", LIMIT_BUY)
    news = [c for c in commands(runtime) if isinstance(c, NewOrder)]
    await runtime.store.write(orders=[order_update(c, "NEW") for c in news])
    seen: list[str] = []
    cursor = ""
    while True:
        response = await alice.send("GET", f"/v1/orders?limit=2&cursor={cursor}")
        page = conforms(response.content, OrderPage)
        seen += [o.order_id for o in page.orders]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [str(c.order_id) for c in reversed(news)]


async def test_list_orders_filters_by_status_and_symbol(alice: Caller, runtime: Runtime) -> None:
    await alice.send("POST", "/v1/orders", LIMIT_BUY)
    await alice.send("POST", "/v1/orders", {**LIMIT_BUY, "symbol": "ETH-USDT", "quantity": "1"})
    first, second = (c for c in commands(runtime) if isinstance(c, NewOrder))
    await runtime.store.write(orders=[order_update(first, "NEW"), order_update(second, "FILLED")])
    filled = (await alice.send("GET", "/v1/orders?status=FILLED,CANCELED")).json()["orders"]
    btc = (await alice.send("GET", "/v1/orders?symbol=BTC-USDT")).json()["orders"]
    assert [o["orderId"] for o in filled] == [str(second.order_id)]
    assert [o["orderId"] for o in btc] == [str(first.order_id)]


async def test_list_orders_shows_only_the_callers(
    alice: Caller, bob: Caller, runtime: Runtime
) -> None:
    await alice.send("POST", "/v1/orders", LIMIT_BUY)
    [command] = commands(runtime)
    assert isinstance(command, NewOrder)
    await runtime.store.write(orders=[order_update(command, "NEW")])
    assert (await bob.send("GET", "/v1/orders")).json() == {"orders": [], "nextCursor": None}


async def test_orders_submitted_are_counted(alice: Caller, http: httpx.AsyncClient) -> None:
    await alice.send("POST", "/v1/orders", LIMIT_BUY)
    metrics = (await http.get("/metrics")).text
    assert 'oms_api_orders_submitted_total{type="LIMIT"} 1.0' in metrics
    assert 'route="/v1/orders",status="202"' in metrics
