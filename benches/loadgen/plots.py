"""PNG plots of load generator results: latency by percentile, throughput and memory over time.

    python -m benches.loadgen.plots var/bench/loadgen/*.json --out docs/benchmarks

Each input is one invocation's JSON (one mode, one or more steps). The latency plot draws one
curve per step on a percentile axis stretched toward the tail (50, 90, 99, 99.9 …), the way
HdrHistogram plots do, so the tail is as readable as the median.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from benches.loadgen.histogram import LatencyHistogram

_TAIL = (0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99)


def figure() -> tuple[Figure, Axes]:
    """A new plot in the suite's size."""
    return plt.subplots(figsize=(8, 4.5))


def save(fig: Figure, ax: Axes, path: Path, title: str, xlabel: str, ylabel: str) -> None:
    """Label, grid and legend ``ax`` the suite's way, write ``path`` and free the figure."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _histogram(data: dict[str, Any]) -> LatencyHistogram:
    return LatencyHistogram.from_counts({int(k): n for k, n in data["counts"].items()})


def _label(result: dict[str, Any], step: dict[str, Any]) -> str:
    return f"{result['target']['mode']} {step['config']['rate']:g}/s"


def latency_curves(results: list[dict[str, Any]], kind: str, path: Path) -> bool:
    """Latency (ms, log) by percentile for each step that measured ``kind``; False if none."""
    fig, ax = figure()
    drawn = False
    xs = [1 / (1 - p / 100) for p in _TAIL]
    for result in results:
        for step in result["steps"]:
            data = step.get("histograms", {}).get(kind)
            if not data or not data.get("counts"):
                continue
            h = _histogram(data)
            ys = [max(h.percentile(max(p, 0.001)), 1) / 1000 for p in _TAIL]
            ax.plot(xs, ys, marker=".", label=_label(result, step))
            drawn = True
    if not drawn:
        plt.close(fig)
        return False
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(xs, [f"{p:g}" for p in _TAIL])
    ax.minorticks_off()
    save(fig, ax, path, f"submit → {kind}, by percentile", "percentile", "ms (log)")
    return True


def throughput(results: list[dict[str, Any]], path: Path) -> bool:
    """Successful answers per second over each step's run, against the offered rate."""
    fig, ax = figure()
    drawn = False
    for result in results:
        for step in result["steps"]:
            per_second = step["figures"].get("ok_per_second") or []
            if not per_second:
                continue
            (line,) = ax.plot(range(len(per_second)), per_second, label=_label(result, step))
            ax.axhline(step["config"]["rate"], color=line.get_color(), linestyle=":", lw=1)
            drawn = True
    if not drawn:
        plt.close(fig)
        return False
    save(fig, ax, path, "throughput over time (dotted: offered)",
         "second of the run (warm-up included)", "2xx answers per second")  # fmt: skip
    return True


def memory(results: list[dict[str, Any]], path: Path) -> bool:
    """Resident memory of each OMS process over the steps, one after the other."""
    series: dict[str, list[float]] = {}
    for result in results:
        for step in result["steps"]:
            for role, values in (step.get("rss_mb") or {}).items():
                key = f"{result['target']['mode']} {role}"
                series.setdefault(key, []).extend(v if v is not None else math.nan for v in values)
    if not series:
        return False
    fig, ax = figure()
    for key, values in series.items():
        ax.plot(range(len(values)), values, label=key)
    ax.set_ylim(bottom=0)
    save(fig, ax, path, "memory over time", "second (steps back to back)", "RSS (MiB)")
    return True


def write_all(results: list[dict[str, Any]], out: Path, prefix: str) -> list[Path]:
    """Every plot the results allow, as ``out/prefix-*.png``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in ("answer", "decision", "fill"):
        path = out / f"{prefix}-latency-{kind}.png"
        if latency_curves(results, kind, path):
            written.append(path)
    for name, draw in (("throughput", throughput), ("memory", memory)):
        path = out / f"{prefix}-{name}.png"
        if draw(results, path):
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.loadgen.plots", description=__doc__)
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks"))
    parser.add_argument("--prefix", default="loadgen")
    args = parser.parse_args(argv)
    results = [json.loads(p.read_text()) for p in args.results]
    for path in write_all(results, args.out, args.prefix):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
