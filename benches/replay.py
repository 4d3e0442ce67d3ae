"""Core-only replay: orders pushed straight onto the command topic, through risk and the processor.

No HTTP, no signing, no JSON request parsing: the embedded services (in-process bus with its
SQLite journal, SQLite store, simulated venue) take ``NewOrder`` commands as the API would
publish them. The result is the ceiling of the Python services themselves; the end-to-end
figures can only be lower.

    python -m benches.replay --orders 20000             # as fast as they go
    python -m benches.replay --orders 20000 --rate 2000 # on a schedule (open loop)

Latencies are from the moment a command is published to the moment the risk decision
(``oms.orders``) and the processor's first order update (``oms.events``) come back on the bus.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import uvloop

from benches.loadgen import cpu
from benches.loadgen.histogram import LatencyHistogram
from benches.loadgen.report import machine
from benches.loadgen.workload import write_accounts
from oms.config import Settings, load_accounts
from oms.events import (
    COMMANDS,
    EVENTS,
    ORDERS,
    NewOrder,
    OrderAccepted,
    OrderRejected,
    OrderUpdate,
    encode,
    event_decoder,
    instruction_decoder,
)
from oms.ids import OrderIdGenerator
from oms.runtime import Runtime, create_runtime
from oms_core import InstrumentRegistry

DEFAULT_OUT = Path("var/bench/replay")
BATCH = 256


@dataclass(frozen=True, slots=True)
class Plan:
    """One market's order size (lots) and resting prices (ticks) 2–6% from the mark."""

    symbol: str
    lots: int
    buys: tuple[int, ...]
    sells: tuple[int, ...]


def plan(registry: InstrumentRegistry, symbol: str, mark: int, rng: random.Random) -> Plan:
    inst = registry.get(symbol)
    mid = inst.ticks_to_price(mark)
    lots = max(
        inst.qty_to_lots(inst.min_qty),
        math.ceil(inst.min_notional * 2 / mid / inst.lot_size),
    )

    def prices(sign: int) -> tuple[int, ...]:
        return tuple(
            round(mark * (1 + sign * Decimal(str(round(rng.uniform(0.02, 0.06), 4)))))
            for _ in range(64)
        )

    return Plan(symbol, lots, prices(-1), prices(+1))


def commands(
    plans: list[Plan], accounts: list[str], n: int, market_share: float, seed: int, tag: str
) -> list[NewOrder]:
    """``n`` new orders: resting limits, and ``market_share`` of them market orders (IOC)."""
    rng = random.Random(seed)
    ids = OrderIdGenerator(node_id=7)
    out = []
    for i in range(n):
        p = rng.choice(plans)
        buy = rng.random() < 0.5
        market = rng.random() < market_share
        out.append(
            NewOrder(
                order_id=ids.next_id(),
                account=accounts[i % len(accounts)],
                client_order_id=f"{tag}{i}",
                symbol=p.symbol,
                side="BUY" if buy else "SELL",
                order_type="MARKET" if market else "LIMIT",
                time_in_force="IOC" if market else "GTC",
                qty=p.lots,
                price=0 if market else rng.choice(p.buys if buy else p.sells),
                ts_ns=time.time_ns(),
            )
        )
    return out


class Replay:
    """Publishes the commands and times their decisions and first updates."""

    def __init__(self, runtime: Runtime, orders: list[NewOrder], rate: float) -> None:
        self.runtime = runtime
        self.orders = orders
        self.rate = rate
        self.sent_at: dict[int, float] = {}
        self.decided_at: dict[int, float] = {}
        self.updated_at: dict[int, float] = {}
        self.rejects: dict[str, int] = {}

    async def run(self, timeout: float) -> tuple[float, float]:
        """Send everything; returns (seconds to publish, seconds until the last update)."""
        bus = self.runtime.bus
        decisions = bus.consumer("bench-replay-orders", [ORDERS], from_latest=True)
        updates = bus.consumer("bench-replay-events", [EVENTS], from_latest=True)
        watchers = [
            asyncio.create_task(self._watch(decisions, self._on_decision)),
            asyncio.create_task(self._watch(updates, self._on_update)),
        ]
        t0 = time.perf_counter()
        try:
            await self._publish(t0)
            sent = time.perf_counter() - t0
            deadline = t0 + sent + timeout
            while len(self.updated_at) < len(self.orders) and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            return sent, time.perf_counter() - t0
        finally:
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            await decisions.close()
            await updates.close()

    async def _publish(self, t0: float) -> None:
        bus, orders, sent_at = self.runtime.bus, self.orders, self.sent_at
        if self.rate > 0:
            # Open loop, one order at a time as the API would publish it: each publish is a
            # task of its own, so a slow one cannot hold back the schedule.
            pending = set()
            for i, order in enumerate(orders):
                due = t0 + i / self.rate
                if (now := time.perf_counter()) < due:
                    await asyncio.sleep(due - now)
                sent_at[order.order_id] = time.perf_counter()
                task = asyncio.create_task(bus.publish(COMMANDS, order.account, encode(order)))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)
            return
        for start in range(0, len(orders), BATCH):
            chunk = orders[start : start + BATCH]
            now = time.perf_counter()
            for order in chunk:
                sent_at[order.order_id] = now
            await bus.publish_many(COMMANDS, [(o.account, encode(o)) for o in chunk])
            await asyncio.sleep(0)

    async def _watch(self, consumer: Any, handle: Any) -> None:
        while True:
            records = await consumer.fetch(max_records=2000, timeout=0.05)
            now = time.perf_counter()
            for record in records:
                handle(record.topic, record.value, now)

    def _on_decision(self, _topic: str, value: bytes, now: float) -> None:
        message = instruction_decoder.decode(value)
        if not isinstance(message, OrderAccepted | OrderRejected):
            return
        order_id = message.order.order_id
        if order_id not in self.sent_at:
            return
        self.decided_at.setdefault(order_id, now)
        if isinstance(message, OrderRejected):
            self.rejects[message.reason] = self.rejects.get(message.reason, 0) + 1

    def _on_update(self, _topic: str, value: bytes, now: float) -> None:
        message = event_decoder.decode(value)
        if (
            isinstance(message, OrderUpdate)
            and message.status != "PENDING_NEW"
            and message.order_id in self.sent_at
        ):
            self.updated_at.setdefault(message.order_id, now)

    def figures(self, sent_s: float, done_s: float) -> dict[str, Any]:
        decision, update = LatencyHistogram(), LatencyHistogram()
        for order_id, sent in self.sent_at.items():
            if (at := self.decided_at.get(order_id)) is not None:
                decision.record(int((at - sent) * 1e6))
            if (at := self.updated_at.get(order_id)) is not None:
                update.record(int((at - sent) * 1e6))
        done = len(self.updated_at)
        return {
            "orders": len(self.orders),
            "offered_per_s": self.rate or None,
            "publish_seconds": round(sent_s, 3),
            "seconds": round(done_s, 3),
            "decided": len(self.decided_at),
            "updated": done,
            "orders_per_s": round(done / done_s, 1) if done_s else 0.0,
            "rejects": self.rejects,
            "decision": decision.summary(),
            "update": update.summary(),
        }


async def replay(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    accounts_file = data_dir / "accounts.toml"
    write_accounts(accounts_file, args.traders)
    settings = Settings(data_dir=data_dir, accounts_file=accounts_file, sim_interval_ms=25.0)
    traders = [a.name for a in load_accounts(accounts_file) if a.role == "trader"]
    async with create_runtime(settings) as runtime:
        registry = runtime.registry
        rng = random.Random(args.seed)
        plans = []
        for symbol in registry.symbols():
            for _ in range(200):
                if (mark := runtime.markets.mark(symbol)) is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"no mark price for {symbol}")
            plans.append(plan(registry, symbol, mark, rng))
        warm = commands(plans, traders, min(2000, args.orders), args.market, args.seed + 1, "w")
        await Replay(runtime, warm, 0).run(timeout=30)  # caches, JIT-free but allocator-warm
        orders = commands(plans, traders, args.orders, args.market, args.seed, "r")
        run = Replay(runtime, orders, args.rate)
        named = {os.getpid(): "oms"}
        before = cpu.sample(named)
        sent, done = await run.run(timeout=args.timeout)
        after = cpu.sample(named)
        figures = run.figures(sent, done)
        figures["cpu"] = cpu.summary(before, after, orders=len(orders), seconds=done)
        return figures


def render(result: dict[str, Any]) -> str:
    f = result["figures"]
    d, u = f["decision"], f["update"]
    rate = f"{f['offered_per_s']:g}" if f["offered_per_s"] else "max"
    return "\n".join(
        [
            "| offered/s | orders | done/s | decision P50 / P99 / max (ms) | "
            "first update P50 / P99 / max (ms) | CPU ms per order |",
            "|---|---|---|---|---|---|",
            f"| {rate} | {f['orders']} | {f['orders_per_s']:g} | "
            f"{d.get('p50_ms', 0):g} / {d.get('p99_ms', 0):g} / {d.get('max_ms', 0):g} | "
            f"{u.get('p50_ms', 0):g} / {u.get('p99_ms', 0):g} / {u.get('max_ms', 0):g} | "
            f"{f['cpu']['cpu_ms_per_order_total']:g} |",
        ]
    )


def run(argv: list[str]) -> tuple[Path, dict[str, Any]]:
    """One replay: the JSON written and its content."""
    parser = argparse.ArgumentParser(prog="python -m benches.replay", description=__doc__)
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=0.0, help="orders/s (0: as fast as possible)")
    parser.add_argument("--market", type=float, default=0.2, help="share of market orders")
    parser.add_argument("--traders", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait at the end")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oms-replay-") as tmp:
        figures = uvloop.run(replay(args, Path(tmp)))
    result = {"machine": machine(), "config": vars(args) | {"out": str(args.out)}}
    result["figures"] = figures
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{time.strftime('%Y%m%dT%H%M%S')}-replay.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(render(result))
    print(f"\nresult: {path}", file=sys.stderr)
    return path, result


def main(argv: list[str]) -> int:
    _, result = run(argv)
    figures = result["figures"]
    return 0 if figures["updated"] == figures["orders"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
