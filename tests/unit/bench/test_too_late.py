"""A cancel or amend that lost the race to a fill is the market's answer, not an OMS error."""

from __future__ import annotations

import pytest

from benches.loadgen.generator import AMEND, CANCEL, LIMIT, MARKET, is_too_late


@pytest.mark.parametrize("kind", [CANCEL, AMEND])
def test_a_cancel_or_amend_of_an_order_no_longer_open_is_too_late(kind: int) -> None:
    assert is_too_late(kind, "ORDER_NOT_OPEN")


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (CANCEL, "ORDER_NOT_FOUND"),  # the generator only cancels orders it saw accepted
        (AMEND, "TIMESTAMP_EXPIRED"),
        (LIMIT, "ORDER_NOT_OPEN"),
        (MARKET, "BUS_UNAVAILABLE"),
    ],
)
def test_every_other_refusal_stays_an_error(kind: int, code: str) -> None:
    assert not is_too_late(kind, code)
