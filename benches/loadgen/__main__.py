"""The open-loop load generator's command line.

    # against a running OMS, with its accounts file
    python -m benches.loadgen --url http://127.0.0.1:8000 --accounts var/oms/accounts.toml \\
        --rates 1000 --duration 20

    # start the system itself (embedded `oms up`, or the four services on the local servers)
    python -m benches.loadgen --mode embedded --rates 500,1000,2000 --ceiling 5
    python -m benches.loadgen --mode distributed --rates 500,1000,2000

Each invocation writes one JSON file under ``var/bench/loadgen/`` (machine, config, figures
and histograms per step) and prints the Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import uvloop

from benches.loadgen import cpu, profile
from benches.loadgen.generator import OpenLoopRun, RunConfig, closed_loop_ceiling
from benches.loadgen.report import knee, machine, render
from benches.loadgen.workload import Mix, Trader, load_markets, load_traders
from oms.client import OmsClient

DEFAULT_OUT = Path("var/bench/loadgen")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benches.loadgen",
        description="Open-loop load generator for the OMS (constant arrival rate).",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running OMS API, e.g. http://127.0.0.1:8000")
    target.add_argument(
        "--mode",
        choices=("embedded", "distributed", "reference"),
        help="start a fresh system: `oms up`, the four services on Kafka/Redis/FerretDB, or the"
        " bare signed endpoint the OMS is compared with (benches/reference.py)",
    )
    parser.add_argument("--accounts", type=Path, help="accounts file (required with --url)")
    parser.add_argument(
        "--store",
        help="distributed: another store URL than FerretDB, e.g. 'sqlite:///{data}/oms.db' (one"
        " SQLite file the services share; {data} is the run's data directory)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        choices=range(1, 5),
        metavar="1-4",
        help="distributed: risk and processor replicas each (the topics have 4 partitions)",
    )
    parser.add_argument(
        "--traders", type=int, default=20, help="accounts to create with --mode (default 20)"
    )
    parser.add_argument(
        "--rates", default="1000", help="offered orders/s, comma-separated steps (default 1000)"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per step")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds sent before measuring (default 5)"
    )
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--mix", type=Mix.parse, default=Mix(), help="limit/market/cancel/amend (70/20/5/5)"
    )
    parser.add_argument("--symbols", help="comma-separated markets (default: all)")
    parser.add_argument(
        "--stream-accounts",
        type=int,
        default=None,
        help="accounts with a WebSocket tap for decisions and fills (default: all)",
    )
    parser.add_argument("--connections", type=int, default=64, help="connections opened up front")
    parser.add_argument(
        "--max-connections",
        type=int,
        default=100,
        help="HTTP connections at most (default 100: granian serves 128 at once, the WebSocket"
        " taps included; connections past that hang)",
    )
    parser.add_argument(
        "--endpoint",
        choices=("orders", "healthz"),
        default="orders",
        help="healthz: signed GET /healthz on the same schedule (the generator's own limit)",
    )
    parser.add_argument(
        "--ceiling",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first measure the generator's closed-loop ceiling on GET /healthz",
    )
    parser.add_argument("--ceiling-connections", type=int, default=32)
    parser.add_argument(
        "--stop-p99-ms",
        type=float,
        default=1000.0,
        help="skip the remaining steps once P99 answer or decision exceeds this (default 1000)",
    )
    parser.add_argument(
        "--knee-ms",
        type=float,
        default=200.0,
        help="the knee is the highest step with P99 within this (default 200, the original target)",
    )
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds after cancelling all between steps"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    parser.add_argument("--label", default="", help="added to the result file's name")
    parser.add_argument(
        "--py-spy", help="path of a py-spy binary: profile the OMS processes during the last step"
    )
    parser.add_argument(
        "--profile-pid",
        action="append",
        default=[],
        metavar="NAME=PID",
        help="with --url: a process to profile (repeatable)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.url and not args.accounts:
        parser.error("--url needs --accounts")
    if args.mode == "reference":
        # The reference answers new orders only and has no stream: no cancels, no amends,
        # no decisions to wait for.
        args.mix = Mix(args.mix.limit, args.mix.market, 0.0, 0.0)
        args.stream_accounts = 0
    return args


async def cancel_everything(url: str, traders: list[Trader]) -> None:
    """Cancel the resting orders of every trader, so each step starts from a clean book."""
    for trader in traders:
        async with OmsClient(url, trader.key, trader.secret.decode()) as client:
            await client.cancel_all()
        trader.resting.clear()


async def measure_cpu(
    pids: dict[str, int], warmup: float, duration: float, rate: float
) -> dict[str, Any]:
    """CPU per process group over the step's measured window (the warm-up left out)."""
    named = {pid: role for role, pid in pids.items()}
    named[os.getpid()] = "generator"
    await asyncio.sleep(0.2 + warmup)
    before, t0 = cpu.sample(named), time.perf_counter()
    await asyncio.sleep(duration)
    after, seconds = cpu.sample(named), time.perf_counter() - t0
    return cpu.summary(before, after, orders=round(rate * duration), seconds=seconds)


async def watch_memory(pids: dict[str, int]) -> dict[str, list[float | None]]:
    """Resident memory of each OMS process once a second until cancelled (then returned)."""
    series: dict[str, list[float | None]] = {role: [] for role in pids}
    try:
        while True:
            for role, pid in pids.items():
                series[role].append(cpu.rss_mb(pid))
            await asyncio.sleep(1.0)
    except asyncio.CancelledError:
        return series


async def run_steps(
    url: str, accounts: Path, args: argparse.Namespace, run_id: str, pids: dict[str, int]
) -> dict[str, Any]:
    traders = load_traders(accounts)
    symbols = args.symbols.split(",") if args.symbols else None
    markets = load_markets(url, symbols, random.Random(args.seed))
    result: dict[str, Any] = {"steps": []}
    if args.ceiling > 0:
        print(f"generator ceiling: closed loop for {args.ceiling:g}s …", file=sys.stderr)
        result["ceiling"] = await closed_loop_ceiling(
            url, traders[0], seconds=args.ceiling, connections=args.ceiling_connections
        )
        print(f"  {result['ceiling']}", file=sys.stderr)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    for n, rate in enumerate(rates):
        last = n == len(rates) - 1
        config = RunConfig(
            rate=rate,
            duration=args.duration,
            warmup=args.warmup,
            mix=args.mix,
            connections=args.connections,
            max_connections=args.max_connections,
            drain=args.drain,
            stream_accounts=args.stream_accounts,
            endpoint=args.endpoint,
            seed=args.seed + n,
        )
        print(
            f"step {n + 1}/{len(rates)}: {rate:g}/s for {args.warmup:g}+{args.duration:g}s",
            file=sys.stderr,
        )
        runner = OpenLoopRun(
            url, traders, markets, config, run_id=f"{run_id}s{n}", progress=not args.quiet
        )
        recorders = None
        if args.py_spy and last and pids:

            async def record_later(tag: str) -> dict[str, Any]:
                await asyncio.sleep(0.2 + args.warmup)
                started = profile.start_recording(args.py_spy, pids, args.duration, args.out, tag)
                return await asyncio.to_thread(
                    profile.finish_recording, started, args.duration + 30
                )

            recorders = asyncio.create_task(record_later(f"{run_id}-{rate:g}"))
        accounting = asyncio.create_task(measure_cpu(pids, args.warmup, args.duration, rate))
        memory = asyncio.create_task(watch_memory(pids))
        step = await runner.run()
        step["cpu"] = await accounting
        memory.cancel()
        step["rss_mb"] = await memory
        if recorders is not None:
            step["profile"] = await recorders
        result["steps"].append(step)
        figures = step["figures"]
        print(render([{"target": {"mode": args.mode or "url"}, "steps": [step]}]), file=sys.stderr)
        p99s = [figures["answer"].get("p99_ms", 0), figures["decision"].get("p99_ms", 0)]
        if max(p99s) > args.stop_p99_ms and not last:
            print(
                f"P99 {max(p99s):.0f} ms > {args.stop_p99_ms:g} ms: stopping the sweep",
                file=sys.stderr,
            )
            break
        if args.endpoint == "orders" and args.mode != "reference" and not last:
            await cancel_everything(url, traders)
            await asyncio.sleep(args.settle)
    return result


def run(argv: list[str]) -> tuple[Path, dict[str, Any]]:
    """One invocation: start or reach the system, run the steps, write the JSON; returns both."""
    args = parse_args(argv)
    run_id = time.strftime("%H%M%S")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    mode = args.mode or "url"
    with ExitStack() as stack:
        pids = {name: int(pid) for name, pid in (p.split("=", 1) for p in args.profile_pid)}
        if args.mode:
            from benches.loadgen.targets import started_system

            data_dir = (args.out / f"{stamp}-{mode}").resolve()
            print(f"starting {mode} system in {data_dir} …", file=sys.stderr)
            url, accounts, started_pids = stack.enter_context(
                started_system(
                    args.mode,
                    data_dir,
                    args.traders,
                    args.replicas,
                    args.store.replace("{data}", str(data_dir)) if args.store else None,
                )
            )
            pids.update(started_pids)
        else:
            url, accounts = args.url, args.accounts
        result: dict[str, Any] = {
            "machine": machine(),
            "target": {
                "mode": mode,
                "url": url,
                "pids": pids,
                "replicas": args.replicas,
                "store": args.store,
            },
            "started_at": stamp,
        }
        result.update(uvloop.run(run_steps(url, accounts, args, run_id, pids)))
    result["knee"] = knee(result, args.knee_ms)
    result["machine"]["load_average_after"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    label = f"-{args.label}" if args.label else ""
    path = args.out / f"{stamp}-{mode}{label}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(render([result]))
    print(f"\nresult: {path}", file=sys.stderr)
    return path, result


def main(argv: list[str]) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
