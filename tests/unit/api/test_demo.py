"""The one-click demo sign-in: the demo trader's key, only when enabled and only locally."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from oms.cli import _offer_demo_login
from oms.config import DEMO_ACCOUNTS_MARK, AccountConfig, Settings, write_demo_accounts
from oms.runtime import Runtime
from tests.unit.api.conftest import ALICE, ROOT

DEMO = AccountConfig(
    name="demo",
    api_key="demo-key-0123456789ab",
    api_secret=secrets.token_hex(20),
    deposits={"USDT": "1000"},
)
PATH = "/v1/demo/login"


async def _client(
    runtime: Runtime, *, enabled: bool, accounts: list[AccountConfig], client_host: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = runtime.settings.model_copy(update={"demo_login": enabled})
    app = create_app(settings, runtime_with(runtime, accounts))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, client=(client_host, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c


def runtime_with(runtime: Runtime, accounts: list[AccountConfig]) -> Runtime:
    clone = Runtime(**{f: getattr(runtime, f) for f in Runtime.__dataclass_fields__})
    object.__setattr__(clone, "accounts", accounts)
    return clone


@pytest.fixture
async def local(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(runtime, enabled=True, accounts=[ALICE, DEMO, ROOT],
                           client_host="127.0.0.1"):  # fmt: skip
        yield c


async def test_enabled_demo_login_hands_the_demo_trader_key_to_loopback(
    local: httpx.AsyncClient,
) -> None:
    response = await local.get(PATH)
    assert response.status_code == 200
    assert response.json() == {
        "account": "demo",
        "apiKey": DEMO.api_key,
        "apiSecret": DEMO.api_secret,
    }
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("host", ["localhost:8000", "[::1]:8000", "127.0.0.1"])
async def test_loopback_host_names_are_accepted(local: httpx.AsyncClient, host: str) -> None:
    assert (await local.get(PATH, headers={"Host": host})).status_code == 200


async def test_a_foreign_host_header_is_refused_against_dns_rebinding(
    local: httpx.AsyncClient,
) -> None:
    response = await local.get(PATH, headers={"Host": "evil.example:8000"})
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


async def test_disabled_demo_login_answers_like_a_missing_route(runtime: Runtime) -> None:
    async for c in _client(runtime, enabled=False, accounts=[DEMO], client_host="127.0.0.1"):
        response = await c.get(PATH)
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


async def test_a_remote_client_gets_404(runtime: Runtime) -> None:
    async for c in _client(runtime, enabled=True, accounts=[DEMO], client_host="10.0.0.7"):
        assert (await c.get(PATH)).status_code == 404


async def test_without_a_demo_trader_nothing_is_handed_out(runtime: Runtime) -> None:
    admin_named_demo = ROOT.model_copy(update={"name": "demo"})
    for accounts in ([ALICE, ROOT], [admin_named_demo]):
        async for c in _client(runtime, enabled=True, accounts=accounts, client_host="::1"):
            assert (await c.get(PATH)).status_code == 404


def test_the_setting_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMS_DEMO_LOGIN", raising=False)
    assert Settings().demo_login is False


def _up_settings(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Settings:
    monkeypatch.delenv("OMS_DEMO_LOGIN", raising=False)
    monkeypatch.delenv("OMS_ACCOUNTS_FILE", raising=False)
    monkeypatch.setenv("OMS_DATA_DIR", str(data_dir))
    return Settings()


def test_oms_up_offers_demo_login_when_it_writes_the_demo_accounts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _offer_demo_login(_up_settings(monkeypatch, tmp_path)).demo_login is True


def test_oms_up_keeps_offering_it_while_the_file_is_its_demo_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_demo_accounts(tmp_path / "accounts.toml")
    assert (tmp_path / "accounts.toml").read_text().splitlines()[0] == DEMO_ACCOUNTS_MARK
    assert _offer_demo_login(_up_settings(monkeypatch, tmp_path)).demo_login is True


def test_oms_up_does_not_offer_it_for_an_accounts_file_of_your_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "accounts.toml").write_text('[[accounts]]\nname = "demo"\n')
    assert _offer_demo_login(_up_settings(monkeypatch, tmp_path)).demo_login is False


def test_an_explicit_setting_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = _up_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("OMS_DEMO_LOGIN", "false")
    assert _offer_demo_login(settings).demo_login is False
