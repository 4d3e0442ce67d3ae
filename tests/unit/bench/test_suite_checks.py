"""The benchmark smoke checks catch runs whose figures cannot be right; the knee is the
highest step that held."""

from __future__ import annotations

from typing import Any

import pytest

from benches.loadgen.report import knee
from benches.suite import SmokeError, check_loadgen


def _step(rate: float, *, achieved: float, p99: float, errors: int = 0) -> dict[str, Any]:
    latency = {"count": 100, "p50_ms": p99 / 4, "p99_ms": p99, "max_ms": p99 * 2}
    return {
        "figures": {
            "offered_per_s": rate,
            "achieved_per_s": achieved,
            "error_count": errors,
            "errors": {"TIMESTAMP_EXPIRED": errors} if errors else {},
            "answer": latency,
            "decision": latency,
            "undecided": 0,
        },
        "cpu": {"cpu_ms_per_order_total": 1.0},
    }


def _result(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"target": {"mode": "embedded"}, "steps": list(steps)}


def test_a_sane_run_passes() -> None:
    check_loadgen(_result(_step(200, achieved=200, p99=20)), decided=True)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (_step(200, achieved=0, p99=20), "nothing answered"),
        (_step(200, achieved=200, p99=20, errors=3), "errors"),
    ],
)
def test_a_broken_run_fails_with_the_reason(step: dict[str, Any], message: str) -> None:
    with pytest.raises(SmokeError, match=message):
        check_loadgen(_result(step), decided=True)


def test_orders_never_decided_fail_the_smoke_run() -> None:
    step = _step(200, achieved=200, p99=20)
    step["figures"]["undecided"] = 5
    with pytest.raises(SmokeError, match="never decided"):
        check_loadgen(_result(step), decided=True)


def test_the_knee_is_the_highest_step_within_the_limit_without_errors() -> None:
    result = _result(
        _step(500, achieved=500, p99=20),
        _step(1000, achieved=1000, p99=150),
        _step(1500, achieved=1490, p99=180, errors=1),  # errors: not kept
        _step(2000, achieved=2000, p99=450),  # too slow
    )
    assert knee(result, 200) == {"offered_per_s": 1000, "p99_ms": 150, "limit_ms": 200}
    assert knee(_result(_step(500, achieved=300, p99=20)), 200) is None  # fell behind
