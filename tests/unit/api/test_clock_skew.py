"""Clock skew between a client and the server: inside the signature window requests pass
(clocks are never equal); outside it they are refused, and the answer says by how much the
client's clock is off, so it can correct itself."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from oms.client import sign
from tests.unit.api.conftest import ALICE
from tests.unit.api.test_auth import PATH, headers


def _skewed(offset_ms: int) -> dict[str, str]:
    ts = str(time.time_ns() // 1_000_000 + offset_ms)
    return headers(ALICE.api_key, ts, sign(ALICE.api_secret, ts, "GET", PATH, b""))


@pytest.mark.parametrize("offset_ms", [-4_000, -500, 500, 4_000])
async def test_a_clock_off_within_the_window_is_accepted(
    http: httpx.AsyncClient, offset_ms: int
) -> None:
    assert (await http.get(PATH, headers=_skewed(offset_ms))).status_code == 200


@pytest.mark.parametrize("offset_ms", [-60_000, 7_000])
async def test_a_clock_off_beyond_the_window_learns_by_how_much(
    http: httpx.AsyncClient, offset_ms: int
) -> None:
    body = (await http.get(PATH, headers=_skewed(offset_ms))).json()
    assert body["code"] == "TIMESTAMP_EXPIRED"
    found = re.search(r"(\d+) ms from the server's clock", body["message"])
    assert found is not None
    assert abs(int(found[1]) - abs(offset_ms)) < 1_000
