"""Pre-trade risk benchmarks: ``oms_core.RiskEngine`` beside a pure-Python baseline.

Both sides check the same orders (``benches/baselines/risk_baseline.py`` runs the same checks
with the same rounding, and a plain test below holds it to ``oms_core``'s reason codes). The
stream is a realistic mix from a fixed seed: eight accounts, spot and perpetual, 90% limit
orders within 0.5% of the mark and 10% market orders, 200 to 20,000 USDT each, all accepted
(limits are set high so open-order and rate limits never bind).

Groups: ``risk-check`` (one ``check`` call per order from Python, 1,000 per round, on one engine
that keeps its reservations) and ``risk-batch`` (100k orders per round on a fresh engine:
``check_batch`` on numpy columns, the baseline in a loop). ``extra_info`` holds ``per_item_ns``
and ``items_per_s`` at the median round.

Run: ``pytest benches/test_bench_risk.py --benchmark-only`` (or ``--benchmark-disable`` to run
each once as a plain test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import oms_core
from benches.baselines.risk_baseline import RiskBaseline
from oms_core import OrderType, RiskEngine, Side

REGISTRY = oms_core.InstrumentRegistry.builtin()
BTC, ETH, SOL, BTC_PERP, ETH_PERP = (REGISTRY.index_of(s) for s in REGISTRY.symbols())
MARKS = {BTC: 5_000_000, ETH: 300_000, SOL: 15_000, BTC_PERP: 500_000, ETH_PERP: 300_000}
UNIT_NOTIONAL = {BTC: 10, ETH: 100, SOL: 1_000, BTC_PERP: 10_000, ETH_PERP: 1_000}
USDT = 10**8
ACCOUNTS = 8
BATCH = 100_000
CHUNK = 1_000
CALL_ROUNDS = 50
BATCH_ROUNDS = 10
BASELINE_BATCH_ROUNDS = 3
LEVERAGE = 5
# Deposits per account, in whole units: far more than the stream can reserve.
FUNDS = {"USDT": 10**9, "BTC": 10**5, "ETH": 10**6, "SOL": 10**8}
LIMITS = {
    "max_open_orders": 4_000_000_000,
    "max_orders_per_second": 4_000_000_000,
    "max_position_notional": "90000000000",
}
SIDES = (Side.BUY, Side.SELL)
TYPES = (OrderType.LIMIT, OrderType.MARKET, OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
Columns = dict[str, npt.NDArray[Any]]


def realistic_orders(n: int, first_id: int = 1, seed: int = 20240611) -> Columns:
    """``n`` orders as ``check_batch`` columns; ids from ``first_id``, 1 µs apart."""
    rng = np.random.default_rng(seed + first_id)
    instruments = rng.choice(
        [BTC, ETH, SOL, BTC_PERP, ETH_PERP], size=n, p=[0.2, 0.1, 0.1, 0.4, 0.2]
    ).astype(np.uint32)
    marks = np.array([MARKS[i] for i in range(5)], np.int64)[instruments]
    units = np.array([UNIT_NOTIONAL[i] for i in range(5)], np.int64)[instruments]
    market = rng.random(n) < 0.1
    target = np.exp(rng.uniform(np.log(200), np.log(20_000), n)) * USDT
    qtys = np.maximum(1, (target / (marks * units)).astype(np.int64))
    offsets = rng.integers(-50, 51, n)  # basis points from the mark
    prices = np.where(market, 0, marks + marks * offsets // 10_000)
    return {
        "order_ids": np.arange(first_id, first_id + n, dtype=np.uint64),
        "accounts": rng.integers(0, ACCOUNTS, n, dtype=np.uint32),
        "instruments": instruments,
        "sides": rng.integers(0, 2, n, dtype=np.uint8),
        "order_types": market.astype(np.uint8),
        "qtys": qtys,
        "prices": prices.astype(np.int64),
        "stop_prices": np.zeros(n, np.int64),
        "reduce_only": np.zeros(n, np.bool_),
        "now_ns": np.arange(first_id, first_id + n, dtype=np.int64) * 1_000,
    }


def as_int_rows(columns: Columns) -> list[tuple[Any, ...]]:
    """The orders as tuples of Python ints: the baseline's natural input."""
    return list(zip(*(c.tolist() for c in columns.values()), strict=True))


def as_call_rows(columns: Columns) -> list[tuple[Any, ...]]:
    """The orders as ``RiskEngine.check`` arguments (side and type as enums)."""
    return [(*row[:3], SIDES[row[3]], TYPES[row[4]], *row[5:]) for row in as_int_rows(columns)]


def new_engine() -> RiskEngine:
    engine = RiskEngine(REGISTRY)
    for a in range(ACCOUNTS):
        engine.add_account(f"acct-{a}", **LIMITS)
        for asset, amount in FUNDS.items():
            engine.deposit(a, asset, amount)
        for perp in (BTC_PERP, ETH_PERP):
            engine.set_leverage(a, perp, LEVERAGE)
    for instrument, ticks in MARKS.items():
        engine.set_mark(instrument, ticks)
    return engine


def new_baseline() -> RiskBaseline:
    baseline = RiskBaseline()
    for a in range(ACCOUNTS):
        baseline.add_account(
            max_open_orders=4_000_000_000,
            max_orders_per_second=4_000_000_000,
            max_position_notional=90_000_000_000 * USDT,
        )
        for asset, amount in FUNDS.items():
            baseline.deposit(a, asset, amount * USDT)
        for perp in (BTC_PERP, ETH_PERP):
            baseline.set_leverage(a, perp, LEVERAGE)
    for instrument, ticks in MARKS.items():
        baseline.set_mark(instrument, ticks)
    return baseline


def record_rate(benchmark: Any, items: int) -> None:
    """Per-item time and rate at the median round, when timing ran."""
    if benchmark.stats is not None:
        median = benchmark.stats.stats.median
        benchmark.extra_info["per_item_ns"] = round(median / items * 1e9, 1)
        benchmark.extra_info["items_per_s"] = round(items / median)


def chunks(rows: list[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


def time_per_call(benchmark: Any, check: Callable[..., int], rows: list[tuple[Any, ...]]) -> None:
    """Times ``check(*row)`` over one fresh chunk of orders per round; all must be accepted."""
    pending = chunks(rows)

    def setup() -> tuple[tuple[list[tuple[Any, ...]]], dict[str, Any]]:
        return (next(pending),), {}

    def run(chunk: list[tuple[Any, ...]]) -> list[int]:
        return [check(*row) for row in chunk]

    codes = benchmark.pedantic(run, setup=setup, rounds=CALL_ROUNDS, warmup_rounds=2)
    record_rate(benchmark, CHUNK)
    assert codes == [0] * CHUNK


@pytest.fixture(scope="module")
def call_columns() -> Columns:
    """Enough orders for every per-call round, warm-up and the disabled run."""
    return realistic_orders((CALL_ROUNDS + 3) * CHUNK)


@pytest.fixture(scope="module")
def batch_columns() -> Columns:
    return realistic_orders(BATCH)


@pytest.mark.benchmark(group="risk-check")
def test_check_oms_core(benchmark: Any, call_columns: Columns) -> None:
    time_per_call(benchmark, new_engine().check, as_call_rows(call_columns))


@pytest.mark.benchmark(group="risk-check")
def test_check_baseline(benchmark: Any, call_columns: Columns) -> None:
    time_per_call(benchmark, new_baseline().check, as_int_rows(call_columns))


@pytest.mark.benchmark(group="risk-batch")
def test_check_batch_oms_core(benchmark: Any, batch_columns: Columns) -> None:
    def setup() -> tuple[tuple[RiskEngine], dict[str, Any]]:
        return (new_engine(),), {}

    def run(engine: RiskEngine) -> npt.NDArray[np.uint8]:
        return engine.check_batch(*batch_columns.values())

    codes = benchmark.pedantic(run, setup=setup, rounds=BATCH_ROUNDS, warmup_rounds=1)
    record_rate(benchmark, BATCH)
    assert not codes.any()


@pytest.mark.benchmark(group="risk-batch")
def test_check_batch_baseline(benchmark: Any, batch_columns: Columns) -> None:
    rows = as_int_rows(batch_columns)

    def setup() -> tuple[tuple[RiskBaseline], dict[str, Any]]:
        return (new_baseline(),), {}

    codes = benchmark.pedantic(
        lambda baseline: baseline.check_batch(rows), setup=setup, rounds=BASELINE_BATCH_ROUNDS
    )
    record_rate(benchmark, BATCH)
    assert codes == [0] * BATCH


def tight_stream() -> Columns:
    """The realistic stream pushed into every limit: small balances, few open orders, a low
    rate limit, prices and sizes out of range, market orders without marks."""
    columns = realistic_orders(5_000, seed=7)
    rng = np.random.default_rng(7)
    n = len(columns["qtys"])
    columns["prices"] = np.where(
        columns["order_types"] == 0,
        columns["prices"] + columns["prices"] * rng.integers(-1_500, 1_500, n) // 10_000,
        0,
    )
    columns["qtys"] = columns["qtys"] * rng.choice([0, 1, 1, 1, 30, 5_000], n)
    columns["order_ids"] = rng.integers(1, 3_000, n).astype(np.uint64)
    columns["accounts"] = rng.integers(0, ACCOUNTS + 1, n).astype(np.uint32)
    columns["instruments"] = np.where(rng.random(n) < 0.02, 9, columns["instruments"]).astype(
        np.uint32
    )
    columns["now_ns"] = np.arange(n, dtype=np.int64) * 20_000_000
    return columns


def test_baseline_gives_the_same_reasons_as_oms_core() -> None:
    """The baseline does the same work: on a stream that hits most limits it answers with the
    same reason codes, order by order, and releases the same orders."""
    engine, baseline = RiskEngine(REGISTRY), RiskBaseline()
    for a in range(ACCOUNTS):
        engine.add_account(f"acct-{a}", max_open_orders=50, max_orders_per_second=4)
        baseline.add_account(max_open_orders=50, max_orders_per_second=4)
        for asset, amount in {"USDT": 30_000, "BTC": 1}.items():
            engine.deposit(a, asset, amount)
            baseline.deposit(a, asset, amount * USDT)
    for instrument in (BTC, BTC_PERP, ETH_PERP):
        engine.set_mark(instrument, MARKS[instrument])
        baseline.set_mark(instrument, MARKS[instrument])
    columns = tight_stream()
    rows = as_int_rows(columns)
    got, want = [], []
    for i in range(0, len(rows), 500):
        got += engine.check_batch(*(c[i : i + 500] for c in columns.values())).tolist()
        want += baseline.check_batch(rows[i : i + 500])
        for order_id in range(i, i + 300, 3):
            assert engine.on_order_done(order_id) == baseline.on_order_done(order_id)
    assert got == want
    assert len(set(got)) >= 13, sorted(set(got))
