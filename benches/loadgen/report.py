"""The load generator's results: the JSON written per invocation, and its Markdown table.

python -m benches.loadgen.report var/bench/loadgen/*.json
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    mem_gib = 0.0
    with contextlib.suppress(ValueError, OSError):
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in ("uvloop", "granian", "websockets", "orjson", "aiokafka"):
        with contextlib.suppress(PackageNotFoundError):
            versions[name] = version(name)
    return {
        "hostname": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "platform": platform.platform(),
        "commit": commit,
        "versions": versions,
        "load_average": os.getloadavg(),
    }


def _ms(summary: dict[str, Any], key: str) -> str:
    value = summary.get(key)
    if value is None:
        return "–"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _errors(figures: dict[str, Any]) -> str:
    errors = figures.get("errors") or {}
    if not errors:
        return "0"
    return ", ".join(f"{code} {n}" for code, n in sorted(errors.items(), key=lambda kv: -kv[1]))


HEADER = (
    "| mode | offered/s | achieved/s | decided/s "
    "| answer P50 / P90 / P99 / P99.9 / max (ms) "
    "| decision P50 / P90 / P99 / P99.9 / max (ms) "
    "| first fill P50 / P99 (ms) | send lag P99 (ms) | errors | too late | rejects | gen CPU |"
)


def mode_label(result: dict[str, Any]) -> str:
    """The mode, with the replica count when risk and the processor ran more than once."""
    target = result.get("target", {})
    replicas = target.get("replicas", 1)
    label = target.get("mode", "url") + (f" ×{replicas}" if replicas > 1 else "")
    store = target.get("store")
    return f"{label} ({store.split(':')[0]} store)" if store else label


def rows(result: dict[str, Any]) -> list[str]:
    """One table row per step of one invocation's result."""
    mode = mode_label(result)
    lines = []
    for step in result.get("steps", []):
        f = step["figures"]
        a, d, fill, lag = f["answer"], f["decision"], f["fill"], f["lag"]
        pcts = ("p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "max_ms")
        rejects = sum(f.get("rejects", {}).values())
        endpoint = step["config"].get("endpoint", "orders")
        label = mode if endpoint == "orders" else f"{mode} ({endpoint})"
        lines.append(
            "| "
            + " | ".join(
                [
                    label,
                    f"{f['offered_per_s']:g}",
                    f"{f['achieved_per_s']:g}",
                    f"{f['decided_per_s']:g}",
                    " / ".join(_ms(a, p) for p in pcts),
                    " / ".join(_ms(d, p) for p in pcts) if d.get("count") else "–",
                    " / ".join(_ms(fill, p) for p in ("p50_ms", "p99_ms"))
                    if fill.get("count")
                    else "–",
                    _ms(lag, "p99_ms"),
                    _errors(f),
                    str(f.get("too_late", 0)),
                    str(rejects),
                    f"{f['generator_cpu_pct']:g}%",
                ]
            )
            + " |"
        )
    return lines


def knee(result: dict[str, Any], p99_ms: float) -> dict[str, Any] | None:
    """The highest offered rate the system kept: P99 (decision, or answer where nothing is
    decided) within ``p99_ms``, no errors, and at least 95% of the offered rate answered."""
    best = None
    for step in result.get("steps", []):
        f = step["figures"]
        latency = f["decision"] if f["decision"].get("count") else f["answer"]
        p99 = latency.get("p99_ms")
        kept = (
            p99 is not None
            and p99 <= p99_ms
            and f["error_count"] == 0
            and f["achieved_per_s"] >= 0.95 * f["offered_per_s"]
        )
        if kept and (best is None or f["offered_per_s"] > best["offered_per_s"]):
            best = {"offered_per_s": f["offered_per_s"], "p99_ms": p99, "limit_ms": p99_ms}
    return best


def cpu_rows(results: list[dict[str, Any]]) -> list[str]:
    """CPU ms per offered order by process group, one row per step that recorded it."""
    steps = [(r, s) for r in results for s in r["steps"] if s.get("cpu")]
    if not steps:
        return []
    groups = sorted({g for _, s in steps for g in s["cpu"]["cpu_ms_per_order"]})
    head = "| mode | offered/s | cores busy | " + " | ".join(groups) + " | total |"
    lines = ["", "CPU ms per offered order (measured window):", "", head]
    lines.append("|" + "---|" * (head.count(" | ") + 1))
    for result, step in steps:
        c = step["cpu"]
        per = c["cpu_ms_per_order"]
        cells = " | ".join(f"{per[g]:.2f}" if g in per else "" for g in groups)
        lines.append(
            f"| {mode_label(result)} | {step['config']['rate']:g} | {c['cores_busy']:g} | "
            f"{cells} | {c['cpu_ms_per_order_total']:.2f} |"
        )
    return lines


def render(results: list[dict[str, Any]]) -> str:
    """The Markdown table of several invocations, and the ceiling when measured."""
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for result in results:
        lines += rows(result)
    lines += cpu_rows(results)
    for result in results:
        mode = mode_label(result)
        if (k := result.get("knee")) is not None:
            lines += ["", f"Knee ({mode}): {k['offered_per_s']:g}/s at P99 {k['p99_ms']:g} ms "
                      f"(the highest step within {k['limit_ms']:g} ms, no errors)."]  # fmt: skip
        elif "knee" in result:
            lines += ["", f"Knee ({mode}): no step held."]
    for result in results:
        ceiling = result.get("ceiling")
        if ceiling:
            lines += [
                "",
                f"Generator ceiling ({ceiling['endpoint']}, closed loop, "
                f"{ceiling['connections']} connections): **{ceiling['requests_per_s']:g} req/s**, "
                f"generator CPU {ceiling['generator_cpu_pct']:g}% "
                f"({ceiling['generator_cpu_us_per_request']} µs per request).",
            ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    results = [json.loads(Path(p).read_text()) for p in argv]
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
