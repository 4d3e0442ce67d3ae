"""Abuse limits and browser protections: replays, rate limits, size limits, CORS, headers,
and secrets kept out of the logs (docs/SECURITY.md names each of these tests)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.admission import Admission, client_address, parse_networks
from api.app import create_app
from api.auth import Principal
from api.errors import ApiError
from api.gateway import CLOSE_AUTH_FAILED, CLOSE_TOO_MANY
from api.headers import CSP, DOCS_CSP
from oms.bus.memory import MemoryBus
from oms.client import now_ms, sign
from oms.events import COMMANDS
from oms.ratelimit import AdmissionUnavailableError, Limit, Verdict
from oms.ratelimit.memory import MemoryAdmissionStore
from oms.runtime import Runtime
from tests.unit.api.conftest import ALICE, BOB, ROOT, Caller, settings_for
from tests.unit.api.fakes import published
from tests.unit.api.test_stream import credentials
from tests.unit.api.websocket import ClosedError, WebSocketSession

ORDER: dict[str, Any] = {
    "symbol": "BTC-USDT",
    "side": "BUY",
    "type": "LIMIT",
    "quantity": "0.5",
    "price": "60000.10",
}


def signed_headers(account: Any, method: str, path: str, body: bytes, ts: str) -> dict[str, str]:
    return {
        "X-OMS-KEY": account.api_key,
        "X-OMS-TIMESTAMP": ts,
        "X-OMS-SIGNATURE": sign(account.api_secret, ts, method, path, body),
    }


@pytest.fixture
async def app_with(runtime: Runtime, tmp_path: Path) -> AsyncIterator[Any]:
    """Build apps over the shared runtime with other settings."""
    stack: list[tuple[Starlette, Any]] = []

    async def build(**overrides: Any) -> httpx.AsyncClient:
        app = create_app(settings_for(tmp_path, **overrides), runtime, heartbeat_s=0.2)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        stack.append((app, lifespan))
        transport = httpx.ASGITransport(app, client=("203.0.113.7", 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://oms")

    yield build
    for _, lifespan in reversed(stack):
        await lifespan.__aexit__(None, None, None)


# --- replays ---------------------------------------------------------------------------------


async def test_replayed_order_is_refused_and_places_nothing(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = b'{"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"60000"}'
    sent = signed_headers(ALICE, "POST", "/v1/orders", body, now_ms())
    first = await http.post("/v1/orders", content=body, headers=sent)
    replay = await http.post("/v1/orders", content=body, headers=sent)
    assert first.status_code == 202
    assert (replay.status_code, replay.json()["code"]) == (401, "REPLAYED_SIGNATURE")
    assert isinstance(runtime.bus, MemoryBus)
    assert len(published(runtime.bus, COMMANDS)) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/v1/orders"), ("POST", "/v1/admin/trading-state")],
)
async def test_every_changing_method_is_replay_checked(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    body = b'{"state":"ACTIVE"}' if method == "POST" else b""
    sent = signed_headers(ROOT, method, path, body, now_ms())
    first = await http.request(method, path, content=body, headers=sent)
    replay = await http.request(method, path, content=body, headers=sent)
    assert first.status_code == 202
    assert replay.json()["code"] == "REPLAYED_SIGNATURE"


async def test_a_resigned_retry_is_not_a_replay_and_is_answered_idempotently(
    alice: Caller,
) -> None:
    order = {**ORDER, "clientOrderId": "retry-1"}
    first = await alice.send("POST", "/v1/orders", order)
    retry = await alice.send("POST", "/v1/orders", order)  # new timestamp, new signature
    assert first.status_code == 202
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["orderId"] == first.json()["orderId"]


async def test_identical_reads_in_one_millisecond_are_both_answered(
    http: httpx.AsyncClient,
) -> None:
    sent = signed_headers(ALICE, "GET", "/v1/account", b"", now_ms())
    answers = [await http.get("/v1/account", headers=sent) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]


async def test_replayed_stream_login_is_refused(app: Starlette) -> None:
    login = {"op": "auth", **credentials(ALICE)}
    async with WebSocketSession(app, "/v1/stream") as first:
        await first.send(login)
        assert (await first.receive())["type"] == "authenticated"
        async with WebSocketSession(app, "/v1/stream") as replay:
            await replay.send(login)
            error = await replay.receive()
            assert error["data"]["code"] == "REPLAYED_SIGNATURE"
            with pytest.raises(ClosedError) as closed:
                await replay.receive()
            assert closed.value.code == CLOSE_AUTH_FAILED


async def test_replay_cache_forgets_signatures_once_their_window_has_passed() -> None:
    wall = [1_000_000]
    store = MemoryAdmissionStore(wall_ms=lambda: wall[0])
    off = Limit(0, 1)
    assert (await store.admit("key:a", off, "s1", 1_005_000)).admitted
    assert (await store.admit("key:a", off, "s1", 1_005_000)).replayed
    assert (await store.admit("key:b", off, "s1", 1_005_000)).admitted  # per key
    wall[0] = 1_006_000
    assert (await store.admit("key:a", off, "s2", 1_011_000)).admitted
    assert store.remembered == 1  # s1 expired and is gone


# --- rate limits -----------------------------------------------------------------------------


async def test_a_key_over_its_rate_gets_429_with_retry_after(app_with: Any) -> None:
    http = await app_with(rate_limit_key_per_s=0.5, rate_limit_key_burst=2)
    alice, bob = Caller(http, ALICE), Caller(http, BOB)
    answers = [await alice.send("GET", "/v1/account") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "TOO_MANY_REQUESTS"
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert (await bob.send("GET", "/v1/account")).status_code == 200  # per key


async def test_an_address_over_its_rate_gets_429_but_probes_never_do(app_with: Any) -> None:
    http = await app_with(rate_limit_ip_per_s=0.5, rate_limit_ip_burst=2)
    answers = [await http.get("/v1/markets") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "TOO_MANY_REQUESTS"
    assert "Retry-After" in answers[2].headers
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await http.get(path)).status_code == 200
    # A valid key is counted by its key, not by its (exhausted) address.
    assert (await Caller(http, ALICE).send("GET", "/v1/account")).status_code == 200


async def test_failed_logins_count_against_the_address(app_with: Any) -> None:
    http = await app_with(rate_limit_ip_per_s=0.5, rate_limit_ip_burst=3)
    bad = {"X-OMS-KEY": ALICE.api_key, "X-OMS-TIMESTAMP": now_ms(), "X-OMS-SIGNATURE": "00"}
    codes = [(await http.get("/v1/account", headers=bad)).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


async def test_token_bucket_refills_at_its_rate() -> None:
    clock = [0.0]
    store = MemoryAdmissionStore(clock=lambda: clock[0])
    limit = Limit(rate=2.0, burst=2)
    assert [await store.take("ip:x", limit) for _ in range(2)] == [0.0, 0.0]
    assert await store.take("ip:x", limit) == pytest.approx(0.5)
    clock[0] = 0.5
    assert await store.take("ip:x", limit) == 0.0
    assert await store.take("ip:y", limit) == 0.0  # per bucket


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = parse_networks("10.0.0.0/8, 192.0.2.1")
    headers = [(b"x-forwarded-for", b"1.1.1.1, 198.51.100.9, 10.1.2.3")]
    via_proxy = {"client": ("10.0.0.5", 1), "headers": headers}
    direct = {"client": ("198.51.100.20", 1), "headers": headers}
    assert client_address(via_proxy, trusted) == "198.51.100.9"  # not the forgeable left end
    assert client_address(direct, trusted) == "198.51.100.20"
    assert client_address(via_proxy, ()) == "10.0.0.5"


# --- size limits on the stream ---------------------------------------------------------------


async def _stream_app(runtime: Runtime, tmp_path: Path, **overrides: Any) -> Starlette:
    return create_app(settings_for(tmp_path, **overrides), runtime, heartbeat_s=0.2)


async def test_stream_message_size_and_subscription_limits(
    runtime: Runtime, tmp_path: Path
) -> None:
    app = await _stream_app(runtime, tmp_path, ws_max_message_bytes=512, ws_max_subscriptions=2)
    async with app.router.lifespan_context(app), WebSocketSession(app, "/v1/stream") as ws:
        await ws.send({"op": "auth", **credentials(ALICE)})
        assert (await ws.receive())["type"] == "authenticated"
        await ws.send({"op": "ping", "pad": "x" * 600})
        assert (await ws.receive_type("error"))["data"]["code"] == "BODY_TOO_LARGE"
        await ws.send({"op": "subscribe", "channels": ["orders", "account", "positions"]})
        error = await ws.receive_type("error")
        assert (error["data"]["code"], error["data"]["field"]) == (
            "TOO_MANY_SUBSCRIPTIONS",
            "channels",
        )
        await ws.send({"op": "subscribe", "channels": ["orders", "account"]})
        assert (await ws.receive_type("subscribed"))["data"]["channels"] == ["account", "orders"]
        await ws.send({"op": "subscribe", "channels": ["positions"]})
        assert (await ws.receive_type("error"))["data"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        await ws.send({"op": "ping"})
        assert (await ws.receive_type("pong"))["type"] == "pong"  # still open


async def test_connections_per_key_are_limited(runtime: Runtime, tmp_path: Path) -> None:
    app = await _stream_app(runtime, tmp_path, ws_max_connections_per_key=2)
    async with app.router.lifespan_context(app):
        sessions = []
        for _ in range(2):
            ws = await WebSocketSession(app, "/v1/stream").__aenter__()
            await ws.send({"op": "auth", **credentials(ALICE)})
            assert (await ws.receive())["type"] == "authenticated"
            sessions.append(ws)
            await asyncio.sleep(0.002)  # a new millisecond: a new signature
        async with WebSocketSession(app, "/v1/stream") as third:
            await third.send({"op": "auth", **credentials(ALICE)})
            assert (await third.receive())["data"]["code"] == "TOO_MANY_CONNECTIONS"
            with pytest.raises(ClosedError) as closed:
                await third.receive()
            assert closed.value.code == CLOSE_TOO_MANY
        async with WebSocketSession(app, "/v1/stream") as other_key:
            await other_key.send({"op": "auth", **credentials(BOB)})
            assert (await other_key.receive())["type"] == "authenticated"
        for ws in sessions:
            await ws.__aexit__(None, None, None)


# --- browsers --------------------------------------------------------------------------------


async def test_security_headers_on_api_dashboard_and_docs(http: httpx.AsyncClient) -> None:
    for path in ("/v1/markets", "/", "/docs", "/v1/nothing-here"):
        response = await http.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        expected = DOCS_CSP if path == "/docs" else CSP
        assert response.headers["Content-Security-Policy"] == expected, path
        assert "frame-ancestors 'none'" in expected
    assert (await http.get("/v1/markets")).headers["Cache-Control"] == "no-store"


def test_dashboard_policy_is_the_one_a_vite_react_app_needs() -> None:
    assert CSP.startswith(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'"
    )


async def test_cross_origin_calls_are_refused_by_default(http: httpx.AsyncClient) -> None:
    preflight = await http.options(
        "/v1/orders",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = await http.get("/v1/markets", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_configured_dashboard_origin_alone_is_allowed(app_with: Any) -> None:
    http = await app_with(cors_origins="https://desk.example.com")
    ok = await http.options(
        "/v1/orders",
        headers={
            "Origin": "https://desk.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-oms-key,x-oms-timestamp,x-oms-signature",
        },
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://desk.example.com"
    other = await http.options(
        "/v1/orders",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


# --- secrets stay secret ---------------------------------------------------------------------


async def test_keys_secrets_and_signatures_never_reach_the_logs(
    alice: Caller, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await alice.send("POST", "/v1/orders", ORDER)
    await alice.send("GET", "/v1/orders?limit=5")
    await http.get("/v1/account", headers={"X-OMS-KEY": ALICE.api_key, "X-OMS-TIMESTAMP": "1",
                                           "X-OMS-SIGNATURE": "ab" * 32})  # fmt: skip
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (ALICE.api_key, ALICE.api_secret, "ab" * 32):
        assert secret not in text


async def test_signatures_are_compared_in_constant_time(
    alice: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return bool(real(a, b))

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert (await alice.send("GET", "/v1/account")).status_code == 200
    assert len(calls) == 1


class _UnreachableStore:
    """A shared store whose Redis is down."""

    async def take(self, bucket: str, limit: Limit) -> float:
        raise AdmissionUnavailableError("down")

    async def admit(self, *args: object) -> Verdict:
        raise AdmissionUnavailableError("down")

    async def close(self) -> None:
        return None


async def test_without_redis_each_replica_still_refuses_the_replays_it_sees(
    tmp_path: Path,
) -> None:
    admission = Admission(_UnreachableStore(), settings_for(tmp_path), window_ms=5_000)
    alice = Principal("alice", "trader")
    timestamp = now_ms()
    await admission.signed(alice, timestamp, "ab" * 32, changes=True)  # a cancel still goes
    with pytest.raises(ApiError) as replay:
        await admission.signed(alice, timestamp, "ab" * 32, changes=True)
    assert replay.value.code == "REPLAYED_SIGNATURE"
