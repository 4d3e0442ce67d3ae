"""The load generator's CPU accounting: per-order figures a performance engineer can trust."""

from __future__ import annotations

import os
import time

from benches.loadgen import cpu
from benches.loadgen.report import cpu_rows


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_named_process_is_charged_with_the_cpu_it_burned() -> None:
    named = {os.getpid(): "me"}
    before = cpu.sample(named)
    _spin(0.3)
    after = cpu.sample(named)
    figures = cpu.summary(before, after, orders=100, seconds=0.3)
    # 0.3 s of CPU over 100 orders is 3 ms per order; clock ticks are 10 ms.
    assert 2.5 <= figures["cpu_ms_per_order"]["me"] <= 4.0
    assert figures["cpu_ms_per_order_total"] >= figures["cpu_ms_per_order"]["me"]
    assert 0.0 <= figures["idle_pct"] <= 100.0


def test_the_report_has_one_column_per_group_seen_in_any_step() -> None:
    def step(rate: float, per_order: dict[str, float]) -> dict[str, object]:
        total = sum(per_order.values())
        return {
            "config": {"rate": rate},
            "cpu": {
                "cores_busy": 1.5,
                "cpu_ms_per_order": per_order,
                "cpu_ms_per_order_total": total,
            },
        }

    result = {
        "target": {"mode": "distributed"},
        "steps": [step(100, {"kafka": 2.0, "api": 1.0}), step(200, {"api": 0.5, "risk": 0.25})],
    }
    lines = cpu_rows([result])
    assert lines[3] == "| mode | offered/s | cores busy | api | kafka | risk | total |"
    assert lines[5] == "| distributed | 100 | 1.5 | 1.00 | 2.00 |  | 3.00 |"
    assert lines[6] == "| distributed | 200 | 1.5 | 0.50 |  | 0.25 | 0.75 |"
