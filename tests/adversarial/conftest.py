"""Real `oms up` processes for the adversarial suites, and a requests session that signs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oms.client import sign
from tests.e2e.server import OmsProcess

ACCOUNTS = """
[[accounts]]
name = "alice"
api_key = "alice-fuzz-key-0123456789"
api_secret = "alice-fuzz-secret-0123456789abcdef0123"
[accounts.deposits]
USDT = "1000000"
BTC = "10"
ETH = "100"
[accounts.limits]
max_orders_per_second = "1000"
max_open_orders = "1000"

[[accounts]]
name = "bob"
api_key = "bob-fuzz-key-0123456789ab"
api_secret = "bob-fuzz-secret-0123456789abcdef01234"
[accounts.deposits]
USDT = "20000"
BTC = "1"
[accounts.limits]
max_orders_per_second = "1000"

[[accounts]]
name = "carol"
api_key = "carol-fuzz-key-0123456789"
api_secret = "carol-fuzz-secret-0123456789abcdef0123"
[accounts.deposits]
USDT = "5000"
ETH = "2"
[accounts.limits]
max_orders_per_second = "1000"
max_open_orders = "5"

[[accounts]]
name = "admin"
api_key = "admin-fuzz-key-0123456789"
api_secret = "admin-fuzz-secret-0123456789abcdef0123"
role = "admin"
"""
# The keys above are test fixtures of a throwaway server (marked in .secrets.baseline).

FAST_AND_UNLIMITED = {
    # The fuzzers are one client on loopback sending as fast as they can: the abuse limits
    # have their own tests (tests/unit/api/test_security.py).
    "OMS_RATE_LIMIT_IP_PER_S": "0",
    "OMS_RATE_LIMIT_KEY_PER_S": "0",
    "OMS_SIM_INTERVAL_MS": "50",
}


def start_server(data_dir: Path) -> OmsProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "accounts.toml").write_text(ACCOUNTS)
    server = OmsProcess(data_dir, **FAST_AND_UNLIMITED)
    server.start()
    return server


@pytest.fixture(scope="module")
def oms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OmsProcess]:
    server = start_server(tmp_path_factory.mktemp("adversarial"))
    yield server
    assert server.stop() == 0, server.log()


class HmacAuth(requests.auth.AuthBase):
    """Signs each prepared request exactly as sent (path with query, body bytes)."""

    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self.secret = secret
        self._last_ms = 0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        self._last_ms = max(time.time_ns() // 1_000_000, self._last_ms + 1)
        timestamp = str(self._last_ms)
        assert request.method is not None
        request.headers["X-OMS-KEY"] = self.key
        request.headers["X-OMS-TIMESTAMP"] = timestamp
        request.headers["X-OMS-SIGNATURE"] = sign(
            self.secret, timestamp, request.method, request.path_url, body
        )
        return request


def signed_session(server: OmsProcess, name: str) -> requests.Session:
    account = server.accounts()[name]
    session = requests.Session()
    session.auth = HmacAuth(account.api_key, account.api_secret)
    return session
