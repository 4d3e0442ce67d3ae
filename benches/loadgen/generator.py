"""The open-loop run: orders sent on a fixed schedule, latencies measured from that schedule.

Order ``i`` is due at ``t0 + i / rate``. The scheduler sends every due order the moment it
wakes, whether or not earlier ones were answered (many are in flight), and every latency is
taken from the *scheduled* time, never from when the request actually left. A slow server
therefore cannot hide its latency by slowing the generator down (no coordinated omission);
when the generator itself falls behind, its lag is recorded and reported, not absorbed.
"""

from __future__ import annotations

import asyncio
import gc
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson

from benches.loadgen.connection import ConnectionPool, signed_request
from benches.loadgen.histogram import LatencyHistogram
from benches.loadgen.stream import StreamTaps
from benches.loadgen.workload import OP_KINDS, MarketPlan, Mix, Trader

LIMIT, MARKET, CANCEL, AMEND, PROBE = range(5)
KIND_NAMES = (*OP_KINDS, "probe")

# A cancel or amend of an order that filled while the request travelled is the venue's answer,
# not a failure of the OMS: counted apart from errors, so the knee measures the system.
TOO_LATE_CODES = frozenset({"ORDER_NOT_OPEN"})


def is_too_late(kind: int, code: str) -> bool:
    """Whether an error answer is a cancel or amend that lost the race to a fill."""
    return kind in (CANCEL, AMEND) and code in TOO_LATE_CODES


_ORDER_ID_PREFIX = b'{"orderId":"'
_TICK_S = 0.001

Endpoint = Literal["orders", "healthz"]


@dataclass(frozen=True)
class RunConfig:
    """One open-loop step.

    Args:
        rate: offered operations per second.
        duration: measured seconds, after ``warmup`` seconds that are sent but not measured.
        mix: shares of limit / market / cancel / amend.
        connections: keep-alive connections opened before the run (more open on demand).
        max_connections: the most connections; beyond, requests queue (and their wait counts).
        drain: seconds to wait after the last send for answers and decisions.
        stream_accounts: accounts with a WebSocket tap (decisions and fills are measured for
            their orders only); ``None``: all.
        endpoint: ``orders`` (the mix) or ``healthz`` (a signed GET of a trivial endpoint, to
            show the generator's own limit).
        seed: makes the sequence of operations reproducible.
    """

    rate: float
    duration: float = 20.0
    warmup: float = 5.0
    mix: Mix = field(default_factory=Mix)
    connections: int = 64
    max_connections: int = 100
    drain: float = 10.0
    stream_accounts: int | None = None
    endpoint: Endpoint = "orders"
    seed: int = 1

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["mix"] = str(self.mix)
        return data


class OpenLoopRun:
    """Sends ``rate × (warmup + duration)`` operations on schedule and collects the figures."""

    def __init__(
        self,
        url: str,
        traders: list[Trader],
        markets: list[MarketPlan],
        config: RunConfig,
        *,
        run_id: str,
        progress: bool = True,
    ) -> None:
        if not traders:
            raise ValueError("the accounts file has no trader accounts")
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self._host = parts.netloc
        self._pool = ConnectionPool(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            max_connections=config.max_connections,
        )
        self.traders = traders
        self.markets = markets
        self.config = config
        self.prefix = f"lg{run_id}-"
        self._progress = progress
        self._rng = random.Random(config.seed)
        self._weights = config.mix.weights()
        self.total = int(config.rate * (config.warmup + config.duration))
        n = self.total
        self._kind = bytearray(n)
        self._trader_of = [0] * n
        self._answered_at = [0.0] * n
        self._status = [0] * n
        self._decided_at = [0.0] * n
        self._order_index: dict[str, int] = {}
        self._first_exec: dict[str, float] = {}
        self._resting_pending: dict[int, tuple[str, str]] = {}
        self._error_of: dict[int, str] = {}
        self.errors: Counter[str] = Counter()
        self.rejects: Counter[str] = Counter()
        self._lag = LatencyHistogram()
        self._sent = 0
        self._answers = 0
        self._t0 = 0.0
        sample = len(traders) if config.stream_accounts is None else config.stream_accounts
        self._streamed = set(range(min(sample, len(traders))))
        self._taps = StreamTaps(self.url, self._on_order, self._on_execution)

    # --- sending -----------------------------------------------------------------------------

    def _send(self, i: int) -> None:
        trader_no = i % len(self.traders)
        trader = self.traders[trader_no]
        self._trader_of[i] = trader_no
        timestamp = str(time.time_ns() // 1_000_000)
        if self.config.endpoint == "healthz":
            kind, method, path, body = PROBE, "GET", "/healthz", b""
        else:
            kind, method, path, body = self._next_operation(i, trader)
        self._kind[i] = kind
        request = signed_request(
            self._host, method, path, body, trader.key, trader.secret, timestamp
        )
        self._pool.submit(request, partial(self._on_answer, i))

    def _next_operation(self, i: int, trader: Trader) -> tuple[int, str, str, bytes]:
        rng = self._rng
        kind = rng.choices(range(4), self._weights)[0]
        if kind in (CANCEL, AMEND) and not trader.resting:
            kind = LIMIT
        market = self.markets[rng.randrange(len(self.markets))]
        if kind == CANCEL:
            at = rng.randrange(len(trader.resting))
            order_id = trader.resting[at][0]
            trader.resting[at] = trader.resting[-1]
            trader.resting.pop()
            return CANCEL, "DELETE", f"/v1/orders/{order_id}", b""
        if kind == AMEND:
            order_id, symbol, side = trader.resting[rng.randrange(len(trader.resting))]
            plan = next(m for m in self.markets if m.symbol == symbol)
            prices = plan.buy_prices if side == "BUY" else plan.sell_prices
            body = orjson.dumps({"price": prices[rng.randrange(len(prices))]})
            return AMEND, "PATCH", f"/v1/orders/{order_id}", body
        order: dict[str, str] = {
            "symbol": market.symbol,
            "clientOrderId": f"{self.prefix}{i}",
            "quantity": market.quantity,
        }
        if kind == MARKET:
            trader.market_side ^= 1
            order["side"] = "BUY" if trader.market_side else "SELL"
            order["type"] = "MARKET"
        else:
            side = "BUY" if rng.random() < 0.5 else "SELL"
            prices = market.buy_prices if side == "BUY" else market.sell_prices
            order["side"] = side
            order["type"] = "LIMIT"
            order["timeInForce"] = "GTC"
            order["price"] = prices[rng.randrange(len(prices))]
            self._resting_pending[i] = (market.symbol, side)
        return kind, "POST", "/v1/orders", orjson.dumps(order)

    # --- receiving ---------------------------------------------------------------------------

    def _on_answer(self, i: int, status: int, body: bytes) -> None:
        self._answered_at[i] = time.perf_counter()
        self._status[i] = status
        self._answers += 1
        kind = self._kind[i]
        if 200 <= status < 300:
            if kind in (LIMIT, MARKET) and body.startswith(_ORDER_ID_PREFIX):
                order_id = body[12 : body.index(b'"', 12)].decode()
                self._order_index[order_id] = i
                resting = self._resting_pending.pop(i, None)
                if resting is not None:
                    trader = self.traders[self._trader_of[i]]
                    trader.resting.append((order_id, *resting))
            return
        self._resting_pending.pop(i, None)
        if status == 0:
            code = "CONNECTION_LOST"
        else:
            try:
                code = str(orjson.loads(body)["code"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                code = f"HTTP_{status}"
        self._error_of[i] = code
        if not is_too_late(kind, code):
            self.errors[code] += 1

    def _on_order(self, data: dict[str, Any], now: float) -> None:
        client_order_id: str = data["clientOrderId"]
        if not client_order_id.startswith(self.prefix):
            return
        i = int(client_order_id[len(self.prefix) :])
        self._order_index[data["orderId"]] = i
        if self._decided_at[i] == 0.0 and data["status"] != "PENDING_NEW":
            self._decided_at[i] = now
            if data["status"] == "REJECTED":
                self.rejects[str(data.get("rejectReason"))] += 1

    def _on_execution(self, data: dict[str, Any], now: float) -> None:
        self._first_exec.setdefault(data["orderId"], now)

    def acknowledged_new_orders(self) -> list[tuple[str, str]]:
        """(trader, clientOrderId) of every new order answered 2xx: what must be stored."""
        return [
            (self.traders[self._trader_of[i]].name, f"{self.prefix}{i}")
            for i in range(self.total)
            if self._kind[i] in (LIMIT, MARKET) and 200 <= self._status[i] < 300
        ]

    # --- the run -----------------------------------------------------------------------------

    def _scheduled(self, i: int) -> float:
        return self._t0 + i / self.config.rate

    async def run(self) -> dict[str, Any]:
        """Open connections and streams, send on schedule, drain, and return the figures."""
        config = self.config
        await self._pool.warm(config.connections)
        if config.endpoint == "orders":
            await self._taps.open([self.traders[t] for t in sorted(self._streamed)])
        gc.collect()
        gc.freeze()
        gc.disable()
        cpu0 = time.process_time()
        progress = asyncio.create_task(self._report_progress()) if self._progress else None
        try:
            await self._schedule()
            sent_done = time.perf_counter()
            await self._drain()
        finally:
            gc.enable()
            gc.unfreeze()
            cpu = time.process_time() - cpu0
            if progress is not None:
                progress.cancel()
            await self._taps.close()
            self._pool.close()
        wall = time.perf_counter() - self._t0
        return self._figures(cpu_s=cpu, wall_s=wall, send_s=sent_done - self._t0)

    async def _schedule(self) -> None:
        rate = self.config.rate
        clock = time.perf_counter
        lag = self._lag
        self._t0 = t0 = clock() + 0.2
        i = 0
        n = self.total
        while i < n:
            now = clock()
            due = min(n, int((now - t0) * rate) + 1) if now >= t0 else 0
            while i < due:
                lag.record(int((clock() - (t0 + i / rate)) * 1e6))
                self._send(i)
                i += 1
            self._sent = i
            if i < n:
                # uvloop's timers tick in milliseconds: a shorter sleep would spin and take
                # CPU from the OMS on the same machine, so wake at most once per millisecond
                # and send what fell due meanwhile (the wait is in the measured lag).
                await asyncio.sleep(max(_TICK_S, t0 + i / rate - clock()))

    async def _drain(self) -> None:
        deadline = time.perf_counter() + self.config.drain
        while time.perf_counter() < deadline:
            if self._answers >= self.total and self._undecided() == 0:
                return
            await asyncio.sleep(0.25)

    def _undecided(self) -> int:
        """New orders answered 2xx on a streamed account without a decision yet."""
        count = 0
        for i in range(self.total):
            if (
                self._kind[i] in (LIMIT, MARKET)
                and self._decided_at[i] == 0.0
                and 200 <= self._status[i] < 300
                and self._trader_of[i] in self._streamed
            ):
                count += 1
        return count

    async def _report_progress(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            elapsed = time.perf_counter() - self._t0
            print(
                f"  {self.config.rate:>7g}/s  t={elapsed:5.1f}s  sent={self._sent:>7}"
                f"  answered={self._answers:>7}  in flight={self._sent - self._answers:>5}"
                f"  queued={self._pool.queued:>5}  conns={self._pool.open_connections:>4}"
                f"  ws msgs={self._taps.messages:>7}  errors={sum(self.errors.values())}",
                file=sys.stderr,
                flush=True,
            )

    # --- figures -----------------------------------------------------------------------------

    def _figures(self, *, cpu_s: float, wall_s: float, send_s: float) -> dict[str, Any]:
        config = self.config
        start = config.warmup
        end = config.warmup + config.duration
        first = int(start * config.rate)  # the first measured operation
        answer = LatencyHistogram()
        by_kind = {name: LatencyHistogram() for name in KIND_NAMES}
        decision = LatencyHistogram()
        fill = LatencyHistogram()
        ok_in_window = 0
        sent_measured = 0
        unanswered = 0
        undecided = 0
        fills_expected = 0
        status_counts: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        errors_by_kind: Counter[str] = Counter()
        warmup_errors: Counter[str] = Counter()
        too_late = 0
        decided_in_window = 0
        per_second_ok = [0] * (int(end) + int(config.drain) + 2)
        exec_of = {
            i: t
            for oid, t in self._first_exec.items()
            if (i := self._order_index.get(oid)) is not None
        }
        for i in range(self.total):
            scheduled = self._scheduled(i)
            answered = self._answered_at[i]
            status = self._status[i]
            if answered and 200 <= status < 300:
                second = int(answered - self._t0)
                if 0 <= second < len(per_second_ok):
                    per_second_ok[second] += 1
                if start <= answered - self._t0 < end:
                    ok_in_window += 1
            decided = self._decided_at[i]
            if decided and start <= decided - self._t0 < end:
                decided_in_window += 1
            kind = self._kind[i]
            code = self._error_of.get(i) if answered else "NO_ANSWER"
            if i < first:
                if code:
                    warmup_errors[code] += 1
                continue
            sent_measured += 1
            if code and is_too_late(kind, code):
                too_late += 1
            elif code:
                errors[code] += 1
                errors_by_kind[f"{KIND_NAMES[kind]}:{code}"] += 1
            if not answered:
                unanswered += 1
                continue
            status_counts[str(status)] += 1
            micros = int((answered - scheduled) * 1e6)
            answer.record(micros)
            by_kind[KIND_NAMES[kind]].record(micros)
            if kind not in (LIMIT, MARKET) or not 200 <= status < 300:
                continue
            if self._trader_of[i] not in self._streamed:
                continue
            if decided:
                decision.record(int((decided - scheduled) * 1e6))
            else:
                undecided += 1
            if kind == MARKET:
                fills_expected += 1
                filled = exec_of.get(i)
                if filled is not None:
                    fill.record(int((filled - scheduled) * 1e6))
        return {
            "config": config.to_json(),
            "figures": {
                "offered_per_s": config.rate,
                "sent": self._sent,
                "measured_ops": sent_measured,
                "achieved_per_s": round(ok_in_window / config.duration, 1),
                "decided_per_s": round(decided_in_window / config.duration, 1),
                "send_seconds": round(send_s, 3),
                "wall_seconds": round(wall_s, 3),
                "answer": answer.summary(),
                "answer_by_kind": {k: h.summary() for k, h in by_kind.items() if h.count},
                "decision": decision.summary(),
                "fill": fill.summary(),
                "lag": self._lag.summary(),
                "status_counts": dict(status_counts),
                "errors": dict(errors),
                "error_count": sum(errors.values()),
                "errors_by_kind": dict(errors_by_kind),
                "warmup_errors": dict(warmup_errors),
                "rejects": dict(self.rejects),
                "too_late": too_late,
                "undecided": undecided,
                "market_orders_without_fill": fills_expected - fill.count,
                "streamed_accounts": len(self._streamed),
                "ws_messages": self._taps.messages,
                "ws_disconnects": self._taps.disconnects,
                "connections_peak": self._pool.peak_open,
                "queued_peak": self._pool.peak_queued,
                "connect_errors": self._pool.connect_errors,
                "generator_cpu_s": round(cpu_s, 3),
                "generator_cpu_pct": round(100 * cpu_s / wall_s, 1) if wall_s else 0.0,
                "ok_per_second": per_second_ok,
            },
            "histograms": {
                "answer": answer.to_json(),
                "decision": decision.to_json(),
                "fill": fill.to_json(),
                "lag": self._lag.to_json(),
            },
        }


async def closed_loop_ceiling(
    url: str, trader: Trader, *, seconds: float = 5.0, connections: int = 32
) -> dict[str, Any]:
    """The generator's own ceiling: signed ``GET /healthz`` as fast as ``connections`` allow.

    Each answer immediately triggers the next request on that connection, so this measures
    the most requests per second the client side (and a trivial server endpoint) can turn
    over, and the generator's CPU cost per request.
    """
    parts = urlsplit(url)
    pool = ConnectionPool(parts.hostname or "127.0.0.1", parts.port or 80)
    host = parts.netloc
    await pool.warm(connections)
    answered = Counter[int]()
    running = True
    latency = LatencyHistogram()

    def fire() -> None:
        sent_at = time.perf_counter()
        timestamp = str(time.time_ns() // 1_000_000)
        request = signed_request(host, "GET", "/healthz", b"", trader.key, trader.secret, timestamp)
        pool.submit(request, partial(done, sent_at))

    def done(sent_at: float, status: int, _body: bytes) -> None:
        answered[status] += 1
        latency.record(int((time.perf_counter() - sent_at) * 1e6))
        if running:
            fire()

    gc.collect()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(connections):
        fire()
    await asyncio.sleep(seconds)
    running = False
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    await asyncio.sleep(0.2)
    pool.close()
    total = sum(answered.values())
    return {
        "endpoint": "GET /healthz (signed)",
        "connections": connections,
        "seconds": round(wall, 3),
        "requests": total,
        "requests_per_s": round(total / wall, 1),
        "status_counts": {str(k): v for k, v in answered.items()},
        "generator_cpu_pct": round(100 * cpu / wall, 1),
        "generator_cpu_us_per_request": round(1e6 * cpu / total, 1) if total else None,
        "latency": latency.summary(),
    }
