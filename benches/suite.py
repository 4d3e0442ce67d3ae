"""The benchmark suite: what ``make bench``, ``make bench-quick`` and ``make bench-soak`` run.

    python -m benches.suite standard   # ~15 min: micro, reference, embedded, replay, distributed
    python -m benches.suite quick      # ~1 min: every scenario once, small; checks the figures
    python -m benches.suite soak       # 10 min at 1,000/s (embedded), memory and latency over time

``standard`` writes its tables to ``docs/benchmarks/RESULTS.md`` and its plots beside it; the
raw JSON of every run stays under ``var/bench/``. Every scenario runs in the same invocation on
the same machine, so the ratios between them (OMS vs the bare endpoint, end to end vs the
core-only replay) hold even when the machine is noisy. ``quick`` is the smoke test ``make test``
runs: it fails when a scenario did not run or produced figures that cannot be right (nothing
answered, errors, orders never decided), never on a timing.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benches import replay
from benches.loadgen import __main__ as loadgen
from benches.loadgen import plots
from benches.loadgen.report import mode_label, render

DOCS = Path("docs/benchmarks")
VAR = Path("var/bench")


class SmokeError(AssertionError):
    """A quick run produced figures that cannot be right."""


def _kafka_reachable(host: str = "127.0.0.1", port: int = 9092) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _loadgen(out: Path, mode: str, rates: str, duration: float, warmup: float, *extra: str) -> Any:
    argv = ["--mode", mode, "--rates", rates, "--duration", f"{duration:g}"]
    argv += ["--warmup", f"{warmup:g}", "--out", str(out), "--label", mode, *extra]
    return loadgen.run(argv)


def _micro(out: Path, quick: bool) -> Path | None:
    """The oms_core micro benchmarks (pytest-benchmark); untimed in quick mode."""
    if quick:
        command = [sys.executable, "-m", "pytest", "-q", "benches", "--benchmark-disable"]
        subprocess.run(command, check=True)  # noqa: S603 (this interpreter, fixed arguments)
        return None
    path = out / "micro.json"
    command = [sys.executable, "-m", "pytest", "-q", "benches", "--benchmark-only",
               "--benchmark-sort=name", f"--benchmark-json={path}"]  # fmt: skip
    subprocess.run(command, check=True)  # noqa: S603
    return path


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeError(message)


def check_loadgen(result: dict[str, Any], *, decided: bool) -> None:
    """Every step answered, without errors, and (``decided``) its orders were decided."""
    mode = result["target"]["mode"]
    _check(bool(result["steps"]), f"{mode}: no step ran")
    for step in result["steps"]:
        f = step["figures"]
        label = f"{mode} {f['offered_per_s']:g}/s"
        _check(f["achieved_per_s"] > 0, f"{label}: nothing answered")
        _check(f["error_count"] == 0, f"{label}: errors {f['errors']}")
        _check(f["answer"].get("count", 0) > 0, f"{label}: no answer latency recorded")
        _check(f["answer"]["p50_ms"] <= f["answer"]["max_ms"], f"{label}: P50 above the max")
        if decided:
            _check(f["decision"].get("count", 0) > 0, f"{label}: no order was decided")
            _check(f["undecided"] == 0, f"{label}: {f['undecided']} orders never decided")
        _check(step["cpu"]["cpu_ms_per_order_total"] > 0, f"{label}: no CPU accounted")


def check_replay(result: dict[str, Any]) -> None:
    f = result["figures"]
    _check(f["updated"] == f["orders"], f"replay: {f['orders'] - f['updated']} orders unfinished")
    _check(f["decision"].get("count") == f["orders"], "replay: decisions missing")


def quick() -> int:
    """One small run of every local scenario, checked; about a minute."""
    out = VAR / "quick"
    _micro(out, quick=True)
    _, ref = _loadgen(out, "reference", "300", 3, 1)
    check_loadgen(ref, decided=False)
    _, emb = _loadgen(out, "embedded", "200", 5, 2)
    check_loadgen(emb, decided=True)
    _, rep = replay.run(["--orders", "2000", "--rate", "1000", "--out", str(out)])
    check_replay(rep)
    written = plots.write_all([ref, emb], out, "quick")
    _check(len(written) >= 4, f"plots: only {[p.name for p in written]} were drawn")
    print(f"bench-quick: every scenario ran and its figures are sane ({out})")
    return 0


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if not a or not b:
        return "–"
    return f"{100 * a['offered_per_s'] / b['offered_per_s']:.0f}%"


def standard(distributed: bool | None) -> int:
    """The standard set; tables to docs/benchmarks/RESULTS.md, plots beside it."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = VAR / "suite" / stamp
    out.mkdir(parents=True, exist_ok=True)
    micro = _micro(out, quick=False)
    _, ref = _loadgen(
        out, "reference", "1000,2000,3000,4000,5000,6000", 15, 3, "--stop-p99-ms", "200"
    )
    _, emb = _loadgen(
        out, "embedded", "500,1000,1500,2000,3000,4000,5000", 20, 5, "--stop-p99-ms", "200"
    )
    _, rep_max = replay.run(["--orders", "20000", "--out", str(out)])
    _, rep_5k = replay.run(["--orders", "30000", "--rate", "5000", "--out", str(out)])
    results = [ref, emb]
    if distributed is None:
        distributed = _kafka_reachable()
    dist = None
    if distributed:
        _, dist = _loadgen(out, "distributed", "100,200,300,500,1000", 15, 3)
        results.append(dist)
        # The same services and Kafka, with one shared SQLite file instead of FerretDB: what
        # the store costs, measured side by side.
        _, dist_sqlite = _loadgen(
            out, "distributed", "100,200,300,500,1000", 15, 3, "--store", "sqlite:///{data}/oms.db"
        )
        results.append(dist_sqlite)
    for result in results:
        prefix = result["target"]["mode"] + ("-sqlite" if result["target"].get("store") else "")
        plots.write_all([result], DOCS, prefix)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benches.suite standard` (`make bench`) at {stamp}, commit "
        f"`{ref['machine'].get('commit', '?')}`, on {ref['machine'].get('cpu', '?')} "
        f"({ref['machine'].get('cores', '?')} cores), the load generator on the same machine. "
        "Latencies in ms, from the scheduled send time (open loop). Raw JSON: "
        f"`{out}/`.",
        "",
        "## End to end (open loop)",
        "",
        render(results),
        "",
        "## Side by side",
        "",
        "| | knee (P99 ≤ 200 ms, no errors) | share of the reference |",
        "|---|---|---|",
    ]
    for result in results:
        k = result.get("knee")
        mode = mode_label(result)
        lines.append(f"| {mode} | {k['offered_per_s']:g}/s |" if k else f"| {mode} | none held |")
        lines[-1] += f" {_ratio(k, ref.get('knee'))} |"
    lines += [
        "",
        "## Core-only replay (risk → processor, no HTTP)",
        "",
        replay.render(rep_max),
        replay.render(rep_5k).splitlines()[-1],
        "",
        "## Plots",
        "",
    ]
    for result in results:
        mode = result["target"]["mode"] + ("-sqlite" if result["target"].get("store") else "")
        for name in ("latency-answer", "latency-decision", "throughput", "memory"):
            if (DOCS / f"{mode}-{name}.png").exists():
                lines.append(f"![{mode} {name}]({mode}-{name}.png)")
    if micro is not None:
        lines += ["", f"Micro benchmarks: `{micro}` (`python -m benches.report {micro}`)."]
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "RESULTS.md").write_text("\n".join(lines) + "\n")
    (out / "suite.json").write_text(
        json.dumps({"reference": ref.get("knee"), "embedded": emb.get("knee"),
                    "distributed": dist.get("knee") if dist else None}, indent=1) + "\n"
    )  # fmt: skip
    print(f"tables: {DOCS / 'RESULTS.md'}; plots: {DOCS}/*.png")
    return 0


def soak(minutes: float, rate: float) -> int:
    """A long embedded run at ``rate`` with a mix that keeps the open orders bounded."""
    out = VAR / "soak"
    _, result = _loadgen(
        out, "embedded", f"{rate:g}", minutes * 60, 10, "--mix", "40/10/45/5", "--drain", "20"
    )
    written = plots.write_all([result], DOCS, "embedded-soak")
    print("\n".join(str(p) for p in written))
    rss = result["steps"][0]["rss_mb"]["oms"]
    values = [v for v in rss if v is not None]
    if values:
        quarters = [values[min(len(values) - 1, len(values) * q // 4)] for q in range(5)]
        half, end = quarters[2], quarters[4]
        print(
            "RSS at 0/25/50/75/100%: " + " / ".join(f"{v:.0f}" for v in quarters) + " MiB; "
            f"the second half grew {end - half:+.0f} MiB ({100 * (end - half) / half:+.1f}%), "
            "after the bounded caches filled in the first"
        )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.suite", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    std = sub.add_parser("standard", help="the standard set (make bench)")
    std.add_argument(
        "--distributed",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="include distributed mode (default: when Kafka answers on 127.0.0.1:9092)",
    )
    sub.add_parser("quick", help="every scenario once, small, with sanity checks (make test)")
    s = sub.add_parser("soak", help="a long embedded run: memory and latency over time")
    s.add_argument("--minutes", type=float, default=10.0)
    s.add_argument("--rate", type=float, default=1000.0)
    args = parser.parse_args(argv)
    try:
        if args.command == "quick":
            return quick()
        if args.command == "soak":
            return soak(args.minutes, args.rate)
        return standard(args.distributed)
    except SmokeError as exc:
        print(f"bench-quick failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
