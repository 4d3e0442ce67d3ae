"""Turns a pytest-benchmark JSON file into the Markdown table of ``docs/BENCHMARKS.md``.

Each group pairs ``oms_core`` with its pure-Python baseline measured in the same run; the
ratio is baseline median / oms_core median, so it holds up on a noisy shared machine.

    python -m benches.report var/bench/latest.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BASELINE_MARKERS = ("baseline", "sorted_book")


def _rate(bench: dict[str, Any]) -> str:
    extra = bench.get("extra_info", {})
    for key, value in extra.items():
        if key.endswith("_per_s"):
            return f"{value / 1e6:.2f} M/s"
    return ""


def _per_item(bench: dict[str, Any]) -> str:
    ns = bench.get("extra_info", {}).get("per_item_ns")
    return f"{ns:g} ns" if ns is not None else ""


def _is_baseline(name: str) -> bool:
    return any(marker in name for marker in BASELINE_MARKERS)


def _baseline_of(name: str, by_name: dict[str, Any]) -> dict[str, Any] | None:
    """The baseline measured beside ``name`` (``…_oms_core`` → ``…_baseline``/``…_sorted_book``)."""
    if _is_baseline(name):
        return None
    for marker in BASELINE_MARKERS:
        pair = name.replace("oms_core", marker)
        if pair != name and pair in by_name:
            return by_name[pair]
    # Batch variants without their own baseline compare with the group's plain baseline.
    stem = name.replace("_top", "")
    return next(
        (by_name[n] for m in BASELINE_MARKERS if (n := stem.replace("oms_core", m)) in by_name),
        None,
    )


def _format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def render(data: dict[str, Any]) -> str:
    """The Markdown table for one benchmark run."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for bench in data["benchmarks"]:
        groups.setdefault(bench["group"] or "", []).append(bench)
    memory: list[str] = []
    lines = [
        "| group | benchmark | median | per item | rate | baseline ÷ oms_core |",
        "|---|---|---|---|---|---|",
    ]
    for group in sorted(groups):
        benches = groups[group]
        by_name = {b["name"]: b for b in benches}
        for bench in sorted(benches, key=lambda b: (_is_baseline(b["name"]), b["name"])):
            median = bench["stats"]["median"]
            baseline = _baseline_of(bench["name"], by_name)
            ratio = f"{baseline['stats']['median'] / median:.1f}×" if baseline else ""
            name = bench["name"].removeprefix("test_")
            row = [group, name, _format_time(median), _per_item(bench), _rate(bench), ratio]
            lines.append("| " + " | ".join(row) + " |")
            bytes_per_order = bench.get("extra_info", {}).get("rss_bytes_per_order")
            if bytes_per_order is not None:
                memory.append(f"- {name}: {bytes_per_order} bytes per live order (RSS growth)")
    lines.extend(["", *memory])
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {}).get("brand_raw", "unknown CPU")
    lines.append("")
    lines.append(
        f"Machine: {cpu}, Python {machine.get('python_version', '?')}, {data['datetime']}."
    )
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "var/bench/latest.json")
    print(render(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
