"""Signed requests: every way to fail authentication answers 401 with its own code."""

from __future__ import annotations

import time

import httpx
import pytest

from oms.client import sign
from tests.unit.api.conftest import ALICE, Caller

PATH = "/v1/account"


def headers(key: str, timestamp: str, signature: str) -> dict[str, str]:
    return {"X-OMS-KEY": key, "X-OMS-TIMESTAMP": timestamp, "X-OMS-SIGNATURE": signature}


def fresh() -> str:
    return str(time.time_ns() // 1_000_000)


async def test_signed_request_is_accepted(alice: Caller) -> None:
    response = await alice.send("GET", PATH)
    assert response.status_code == 200
    assert response.json()["account"] == "alice"


async def test_signature_covers_query_string(http: httpx.AsyncClient) -> None:
    ts = fresh()
    signature = sign(ALICE.api_secret, ts, "GET", "/v1/orders?limit=5", b"")
    ok = await http.get("/v1/orders?limit=5", headers=headers(ALICE.api_key, ts, signature))
    tampered = await http.get("/v1/orders?limit=6", headers=headers(ALICE.api_key, ts, signature))
    assert ok.status_code == 200
    assert tampered.json()["code"] == "INVALID_SIGNATURE"


@pytest.mark.parametrize("missing", ["X-OMS-KEY", "X-OMS-TIMESTAMP", "X-OMS-SIGNATURE"])
async def test_missing_header_is_auth_required(http: httpx.AsyncClient, missing: str) -> None:
    ts = fresh()
    sent = headers(ALICE.api_key, ts, sign(ALICE.api_secret, ts, "GET", PATH, b""))
    del sent[missing]
    response = await http.get(PATH, headers=sent)
    assert (response.status_code, response.json()["code"]) == (401, "AUTH_REQUIRED")


async def test_unknown_key_is_invalid_api_key(http: httpx.AsyncClient) -> None:
    ts = fresh()
    response = await http.get(PATH, headers=headers("nobody-0123456789", ts, "00" * 32))
    assert (response.status_code, response.json()["code"]) == (401, "INVALID_API_KEY")


@pytest.mark.parametrize("offset_ms", [-6_000, 6_000])
async def test_timestamp_outside_window_is_expired(http: httpx.AsyncClient, offset_ms: int) -> None:
    ts = str(time.time_ns() // 1_000_000 + offset_ms)
    sent = headers(ALICE.api_key, ts, sign(ALICE.api_secret, ts, "GET", PATH, b""))
    response = await http.get(PATH, headers=sent)
    assert (response.status_code, response.json()["code"]) == (401, "TIMESTAMP_EXPIRED")


@pytest.mark.parametrize("timestamp", ["soon", "1e12", "-5", "١٢٣", "9" * 40])
async def test_non_numeric_timestamp_is_expired(http: httpx.AsyncClient, timestamp: str) -> None:
    sent = headers(ALICE.api_key, timestamp, sign(ALICE.api_secret, timestamp, "GET", PATH, b""))
    response = await http.get(PATH, headers={k: v.encode() for k, v in sent.items()})
    assert (response.status_code, response.json()["code"]) == (401, "TIMESTAMP_EXPIRED")


@pytest.mark.parametrize(
    "signature",
    ["", "00" * 32, "not hex at all", "ÿ" * 64],
)
async def test_wrong_signature_is_rejected(http: httpx.AsyncClient, signature: str) -> None:
    sent = headers(ALICE.api_key, fresh(), signature)
    response = await http.get(PATH, headers={k: v.encode("latin-1") for k, v in sent.items()})
    expected = "AUTH_REQUIRED" if not signature else "INVALID_SIGNATURE"
    assert (response.status_code, response.json()["code"]) == (401, expected)


async def test_signature_of_another_body_is_rejected(http: httpx.AsyncClient) -> None:
    ts = fresh()
    signature = sign(ALICE.api_secret, ts, "POST", "/v1/orders", b'{"symbol":"ETH-USDT"}')
    response = await http.post(
        "/v1/orders",
        content=b'{"symbol":"BTC-USDT"}',
        headers=headers(ALICE.api_key, ts, signature),
    )
    assert response.json()["code"] == "INVALID_SIGNATURE"


async def test_signature_of_another_method_is_rejected(http: httpx.AsyncClient) -> None:
    ts = fresh()
    signature = sign(ALICE.api_secret, ts, "GET", "/v1/orders", b"")
    response = await http.delete("/v1/orders", headers=headers(ALICE.api_key, ts, signature))
    assert response.json()["code"] == "INVALID_SIGNATURE"


async def test_public_endpoints_need_no_signature(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/markets")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/admin/trading-state", {"state": "HALTED"}),
        ("GET", "/v1/admin/accounts/alice/limits", None),
        ("PATCH", "/v1/admin/accounts/alice/limits", {"maxOpenOrders": 5}),
    ],
)
async def test_admin_endpoints_refuse_traders(
    alice: Caller, method: str, path: str, body: object
) -> None:
    response = await alice.send(method, path, body)
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
