"""The distributed soak: steady load for a long time, a random service killed (kill -9) now and
then, and at the end a count of what was acknowledged against what was stored.

    python -m benches.soak --minutes 30 --rate 1000 --kill-every 120   # make soak
    python -m benches.soak --minutes 3 --rate 150 --kill-every 45      # a short one

The run is cut into windows of ``--kill-every`` seconds; in each, the open-loop generator sends
at ``--rate`` while one service (api, risk, processor or marketdata, chosen at random) is killed
at a random moment and started again; every service is killed once per round of four windows,
in a random order. After the last window and a drain, every new order the
API answered 2xx must be stored exactly once and none may be left pending. Writes the JSON
under ``var/bench/soak/``, the plots (latency and memory over time) and ``SOAK.md`` under
``docs/benchmarks/``. Exits 1 when anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import uvloop

from benches.loadgen import cpu, plots
from benches.loadgen.generator import OpenLoopRun, RunConfig
from benches.loadgen.report import machine
from benches.loadgen.targets import KAFKA_URL, MONGO_URL, REDIS_URL
from benches.loadgen.workload import Mix, load_markets, load_traders, write_accounts
from oms.client import OmsClient
from tests.e2e.server import OmsCluster

DOCS = Path("docs/benchmarks")
VAR = Path("var/bench/soak")
PENDING = {"PENDING_NEW", "PENDING_CANCEL", "PENDING_REPLACE"}
KILLABLE = ("api", "risk", "processor", "marketdata")


def _killer(cluster: OmsCluster, window_s: float, rng: random.Random, log: list[dict[str, Any]],
            started: float, name: str) -> threading.Thread:  # fmt: skip
    """A thread that kills ``name`` at a random moment of the window, then restarts it."""

    def run() -> None:
        time.sleep(rng.uniform(0.2, 0.6) * window_s)
        at = time.monotonic() - started
        cluster.kill_service(name)
        time.sleep(rng.uniform(0.5, 2.0))
        try:
            cluster.start_service(name, timeout=120)
            log.append({"at_s": round(at, 1), "service": name, "back_after_s":
                        round(time.monotonic() - started - at, 1)})  # fmt: skip
        except RuntimeError as exc:
            log.append({"at_s": round(at, 1), "service": name, "error": str(exc)[:300]})

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


async def _window(url: str, traders: Any, markets: Any, rate: float, seconds: float, n: int,
                  mix: Mix) -> tuple[dict[str, Any], list[tuple[str, str]]]:  # fmt: skip
    config = RunConfig(
        rate=rate, duration=seconds, warmup=0.0, mix=mix, connections=32, max_connections=100,
        drain=5.0, stream_accounts=None, endpoint="orders", seed=100 + n,
    )  # fmt: skip
    run = OpenLoopRun(url, traders, markets, config, run_id=f"soak{n}", progress=False)
    result = await run.run()
    return result, run.acknowledged_new_orders()


async def _watch_rss(cluster: OmsCluster, series: dict[str, list[float | None]],
                     stop: asyncio.Event) -> None:  # fmt: skip
    while not stop.is_set():
        for name, proc in cluster.procs.items():
            series.setdefault(name, []).append(cpu.rss_mb(proc.pid))
        await asyncio.sleep(5.0)


async def _verify(url: str, traders: Any, acked: list[tuple[str, str]]) -> dict[str, Any]:
    """Every acknowledged new order stored once, nothing pending."""
    wanted: dict[str, set[str]] = {}
    for trader, cid in acked:
        wanted.setdefault(trader, set()).add(cid)
    counts: Counter[str] = Counter()
    pending = 0
    for trader in traders:
        async with OmsClient(url, trader.key, trader.secret.decode()) as client:
            async for order in client.iter_orders(page_size=1000):
                if order.client_order_id and order.client_order_id.startswith("lgsoak"):
                    counts[f"{trader.name}/{order.client_order_id}"] += 1
                    pending += order.status in PENDING
    keys = {f"{t}/{c}" for t, c in acked}
    missing = [k for k in keys if counts[k] == 0]
    doubled = [k for k, n in counts.items() if n > 1]
    return {
        "acknowledged": len(keys),
        "stored": sum(1 for k in keys if counts[k] >= 1),
        "stored_unacknowledged": sum(1 for k in counts if k not in keys),
        "missing": len(missing),
        "missing_examples": missing[:10],
        "duplicates": len(doubled),
        "pending": pending,
    }


async def _settled_verdict(
    url: str, traders: Any, acked: list[tuple[str, str]], settle_s: float
) -> dict[str, Any]:
    """The verdict once the services have caught up: an overloaded system can still hold
    acknowledged orders in the bus after the drain, which is late, not lost. Asks again every
    10 s while orders are missing or pending and fewer each time, up to ``settle_s``."""
    started = time.monotonic()
    verdict = await _verify(url, traders, acked)
    while verdict["missing"] + verdict["pending"] and time.monotonic() - started < settle_s:
        await asyncio.sleep(10.0)
        again = await _verify(url, traders, acked)
        progressed = again["missing"] + again["pending"] < verdict["missing"] + verdict["pending"]
        verdict = again
        if not progressed:
            break
    verdict["settled_after_s"] = round(time.monotonic() - started, 1)
    return verdict


async def soak(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    write_accounts(data_dir / "accounts.toml", args.traders)
    cluster = OmsCluster(data_dir, KAFKA_URL, MONGO_URL, REDIS_URL)
    await asyncio.to_thread(cluster.start)
    rng = random.Random(args.seed)
    windows: list[dict[str, Any]] = []
    kills: list[dict[str, Any]] = []
    rss: dict[str, list[float | None]] = {}
    acked: list[tuple[str, str]] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_rss(cluster, rss, stop))
    try:
        traders = load_traders(data_dir / "accounts.toml")
        markets = load_markets(cluster.url, None, rng)
        started = time.monotonic()
        n = 0
        victims: list[str] = []
        while time.monotonic() - started < args.minutes * 60:
            if not victims:  # every service once per round, in a random order
                victims = rng.sample(KILLABLE, len(KILLABLE))
            killer = _killer(cluster, args.kill_every, rng, kills, started, victims.pop())
            result, ok = await _window(
                cluster.url, traders, markets, args.rate, args.kill_every, n, args.mix
            )
            await asyncio.to_thread(killer.join, 180)
            f = result["figures"]
            windows.append({
                "window": n, "start_s": round(n * args.kill_every),
                "achieved_per_s": f["achieved_per_s"], "decided_per_s": f["decided_per_s"],
                "answer_p99_ms": f["answer"].get("p99_ms"),
                "decision_p99_ms": f["decision"].get("p99_ms"),
                "errors": f["errors"],
            })  # fmt: skip
            print(f"window {n}: {windows[-1]}", file=sys.stderr)
            acked += ok
            n += 1
        await asyncio.sleep(args.drain)
        verdict = await _settled_verdict(cluster.url, traders, acked, args.settle)
    finally:
        stop.set()
        await watcher
        await asyncio.to_thread(cluster.stop)
    return {"windows": windows, "kills": kills, "rss_mb": rss, "verdict": verdict}


def _plots(result: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plots.figure()
    xs = [w["start_s"] / 60 for w in result["windows"]]
    for key, label in (("answer_p99_ms", "answer P99"), ("decision_p99_ms", "decision P99")):
        ax.plot(xs, [w[key] or float("nan") for w in result["windows"]], marker=".", label=label)
    for k in result["kills"]:
        ax.axvline(k["at_s"] / 60, color="red", alpha=0.3, lw=1)
    ax.set_yscale("log")
    latency = out / "soak-latency.png"
    plots.save(fig, ax, latency, "soak: latency per window",
               "minute (red: a service killed)", "ms (log)")  # fmt: skip
    fig, ax = plots.figure()
    for name, values in sorted(result["rss_mb"].items()):
        ax.plot([5 * i / 60 for i in range(len(values))],
                [v if v is not None else float("nan") for v in values], label=name)  # fmt: skip
    ax.set_ylim(bottom=0)
    memory = out / "soak-memory.png"
    plots.save(fig, ax, memory, "soak: memory of each service (gaps: killed)", "minute",
               "RSS (MiB)")  # fmt: skip
    return [latency, memory]


def _markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    v = result["verdict"]
    lines = [
        "# Soak (distributed, with kill -9)",
        "",
        f"`python -m benches.soak --minutes {args.minutes:g} --rate {args.rate:g} "
        f"--kill-every {args.kill_every:g}` at {result['started_at']}, commit "
        f"`{result['machine'].get('commit', '?')}`; Kafka, Redis, FerretDB, the four services and "
        "the generator on one machine.",
        "",
        "| acknowledged | stored | missing | duplicates | left pending | kills | counted after |",
        "|---|---|---|---|---|---|---|",
        f"| {v['acknowledged']} | {v['stored']} | {v['missing']} | {v['duplicates']} | "
        f"{v['pending']} | {len(result['kills'])} | drain + {v.get('settled_after_s', 0):g} s |",
        "",
        "| window | achieved/s | decided/s | answer P99 (ms) | decision P99 (ms) | errors |",
        "|---|---|---|---|---|---|",
    ]
    for w in result["windows"]:
        errors = ", ".join(f"{k} {n}" for k, n in w["errors"].items()) or "0"
        lines.append(
            f"| {w['window']} | {w['achieved_per_s']:g} | {w['decided_per_s']:g} | "
            f"{w['answer_p99_ms']} | {w['decision_p99_ms']} | {errors} |"
        )
    lines += ["", "Kills: " + ", ".join(f"{k['service']} at {k['at_s']:g}s" for k in
                                        result["kills"]), ""]  # fmt: skip
    lines += ["![latency](soak-latency.png)", "", "![memory](soak-memory.png)", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--kill-every", type=float, default=120.0, help="window length (s)")
    parser.add_argument("--mix", type=Mix.parse, default=Mix(0.5, 0.2, 0.25, 0.05))
    parser.add_argument("--traders", type=int, default=20)
    parser.add_argument("--drain", type=float, default=30.0)
    parser.add_argument(
        "--settle", type=float, default=180.0,
        help="seconds to wait at most for a backlog to be processed before counting missing",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=True,
                        help="write SOAK.md and the plots under docs/benchmarks")  # fmt: skip
    args = parser.parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    data_dir = (VAR / stamp).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    result = uvloop.run(soak(args, data_dir))
    result["started_at"] = stamp
    result["machine"] = machine()
    (data_dir / "soak.json").write_text(json.dumps(result, indent=1) + "\n")
    if args.docs:
        _plots(result, DOCS)
        (DOCS / "SOAK.md").write_text(_markdown(result, args))
    v = result["verdict"]
    print(json.dumps(v, indent=1))
    return 0 if v["missing"] == 0 and v["duplicates"] == 0 and v["pending"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
