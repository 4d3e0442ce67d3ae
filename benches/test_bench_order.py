"""Order state machine benchmarks: ``oms_core.OrderTable`` beside a pure-Python baseline.

Both sides apply the same events (``benches/baselines/order_baseline.py`` has the same states,
transitions and result codes; each benchmark checks that both answer alike).

Groups:

* ``fsm-event``: one event per Python call on a table of 100k live orders, 1,000 calls per
  round: ``fill`` (a 1-lot execution with a new exec id, round robin over the orders) and
  ``venue_ack`` (each order acknowledged once).
* ``fsm-batch``: 100k events per round on a fresh table of 20k orders, in waves as a venue
  would send them: risk accept, ack, a partial fill, amends for 30%, then the last fill for
  60% and cancel request + ack for 40%. ``apply_batch`` on numpy columns; the baseline in a
  loop over tuples.
* ``fsm-memory``: bytes per live order with 1M orders, measured in a fresh interpreter as the
  RSS growth while adding them (and, for ``oms_core``, ``OrderTable.allocated_bytes() / n``).

``extra_info`` holds ``per_item_ns`` and ``items_per_s`` at the median round, or the memory
figures. Run: ``pytest benches/test_bench_order.py --benchmark-only`` (or
``--benchmark-disable`` to run each once as a plain test).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import oms_core
from benches.baselines import order_baseline as base
from benches.baselines.order_baseline import OrderTableBaseline
from oms_core import EventKind, OrderStatus, OrderTable, OrderType, Side, TimeInForce

LIVE = 100_000
CHUNK = 1_000
CALL_ROUNDS = 50
BATCH_ORDERS = 20_000
BATCH_ROUNDS = 10
BASELINE_BATCH_ROUNDS = 5
MEMORY_ORDERS = 1_000_000
MAX_BYTES_PER_ORDER = 256
PRICE = 5_000_000
BIG_QTY = 10**9
Table = OrderTable | OrderTableBaseline


def add_orders(table: Table, n: int, qty: int, acks: tuple[str, ...] = ()) -> None:
    """Adds orders 1..n (limit buys of ``qty`` lots) and applies ``acks`` to each in turn."""
    native = isinstance(table, OrderTable)
    side, order_type, tif = (Side.BUY, OrderType.LIMIT, TimeInForce.GTC) if native else (0, 0, 0)
    add = table.add
    for i in range(1, n + 1):
        add(i, f"c{i}", i % 64, i % 5, side, order_type, tif, qty, PRICE)
    if native:
        for name in acks:
            step = getattr(table, name)
            for i in range(1, n + 1):
                step(i)
    else:
        kinds = {"risk_accept": base.RISK_ACCEPTED, "venue_ack": base.VENUE_ACK}
        for name in acks:
            for i in range(1, n + 1):
                table.by_id[i].apply(kinds[name], 0, 0, 0, 0, "")


def record_rate(benchmark: Any, items: int) -> None:
    """Per-item time and rate at the median round, when timing ran."""
    if benchmark.stats is not None:
        median = benchmark.stats.stats.median
        benchmark.extra_info["per_item_ns"] = round(median / items * 1e9, 1)
        benchmark.extra_info["items_per_s"] = round(items / median)


def time_per_call(
    benchmark: Any, call: Callable[..., Any], rows: Iterator[list[tuple[Any, ...]]]
) -> list[Any]:
    """Times ``call(*row)`` over one fresh chunk of rows per round; returns the last results."""

    def setup() -> tuple[tuple[list[tuple[Any, ...]]], dict[str, Any]]:
        return (next(rows),), {}

    def run(chunk: list[tuple[Any, ...]]) -> list[Any]:
        return [call(*row) for row in chunk]

    results = benchmark.pedantic(run, setup=setup, rounds=CALL_ROUNDS, warmup_rounds=2)
    record_rate(benchmark, CHUNK)
    return results


def fill_rows() -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of ``(order_id, exec_id, 1 lot, price, fee)``, round robin over the orders."""
    k = 0
    while True:
        chunk = [(1 + (k + j) % LIVE, f"x{k + j}", 1, PRICE, 25) for j in range(CHUNK)]
        k += CHUNK
        yield chunk


def ack_rows() -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of ``(order_id,)``, each order once."""
    for first in range(1, LIVE + 1, CHUNK):
        yield [(i,) for i in range(first, first + CHUNK)]


@pytest.mark.benchmark(group="fsm-event")
def test_fill_oms_core(benchmark: Any) -> None:
    table = OrderTable()
    add_orders(table, LIVE, BIG_QTY, ("risk_accept", "venue_ack"))
    results = time_per_call(benchmark, table.fill, fill_rows())
    assert results == [oms_core.Applied.CHANGED] * CHUNK
    assert table.status(1) == OrderStatus.PARTIALLY_FILLED


@pytest.mark.benchmark(group="fsm-event")
def test_fill_baseline(benchmark: Any) -> None:
    table = OrderTableBaseline()
    add_orders(table, LIVE, BIG_QTY, ("risk_accept", "venue_ack"))
    results = time_per_call(benchmark, table.fill, fill_rows())
    assert results == [base.CHANGED] * CHUNK
    assert table.by_id[1].status == base.PARTIALLY_FILLED


@pytest.mark.benchmark(group="fsm-event")
def test_venue_ack_oms_core(benchmark: Any) -> None:
    table = OrderTable()
    add_orders(table, LIVE, 10, ("risk_accept",))
    results = time_per_call(benchmark, table.venue_ack, ack_rows())
    assert results == [OrderStatus.NEW] * CHUNK


@pytest.mark.benchmark(group="fsm-event")
def test_venue_ack_baseline(benchmark: Any) -> None:
    table = OrderTableBaseline()
    add_orders(table, LIVE, 10, ("risk_accept",))
    results = time_per_call(benchmark, table.venue_ack, ack_rows())
    assert results == [base.NEW] * CHUNK


Row = tuple[int, int, int, int, int, int, str]


def lifecycle_events(n_orders: int = BATCH_ORDERS, seed: int = 20240611) -> list[Row]:
    """``(order_id, kind, qty, price, fee, reason, exec_id)`` rows: 5 events per order on
    average, in waves; orders are 10 lots, shuffled within each wave."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_orders + 1)
    amended = set(rng.choice(ids, n_orders * 3 // 10, replace=False).tolist())
    canceled = set(rng.choice(ids, n_orders * 2 // 5, replace=False).tolist())

    def wave(members: list[int], make: Callable[[int], Row]) -> list[Row]:
        return [make(i) for i in rng.permutation(members).tolist()]

    every = ids.tolist()
    rows = wave(every, lambda i: (i, int(EventKind.RISK_ACCEPTED), 0, 0, 0, 0, ""))
    rows += wave(every, lambda i: (i, int(EventKind.VENUE_ACK), 0, 0, 0, 0, ""))
    rows += wave(every, lambda i: (i, int(EventKind.FILL), 4, PRICE, 10, 0, f"a{i}"))
    rows += wave(
        sorted(amended), lambda i: (i, int(EventKind.REPLACE_REQUESTED), 12, PRICE + 1, 0, 0, "")
    )
    rows += wave(sorted(amended), lambda i: (i, int(EventKind.REPLACE_ACKED), 0, 0, 0, 0, ""))

    def last(i: int) -> Row:
        if i in canceled:
            return (i, int(EventKind.CANCEL_REQUESTED), 0, 0, 0, 0, "")
        rest = 12 - 4 if i in amended else 10 - 4
        return (i, int(EventKind.FILL), rest, PRICE, 15, 0, f"b{i}")

    rows += wave(every, last)
    rows += wave(sorted(canceled), lambda i: (i, int(EventKind.CANCEL_ACKED), 0, 0, 0, 0, ""))
    return rows


def event_columns(rows: list[Row]) -> dict[str, Any]:
    """The rows as ``OrderTable.apply_batch`` arguments."""
    order_ids, kinds, qtys, prices, fees, reasons, exec_ids = zip(*rows, strict=True)
    return {
        "order_ids": np.array(order_ids, np.uint64),
        "kinds": np.array(kinds, np.uint8),
        "qtys": np.array(qtys, np.int64),
        "prices": np.array(prices, np.int64),
        "fees": np.array(fees, np.int64),
        "exec_ids": [e or None for e in exec_ids],
        "reasons": np.array(reasons, np.uint16),
        "liquidity": np.ones(len(rows), np.uint8),
    }


@pytest.fixture(scope="module")
def events() -> list[Row]:
    return lifecycle_events()


@pytest.mark.benchmark(group="fsm-batch")
def test_apply_batch_oms_core(benchmark: Any, events: list[Row]) -> None:
    columns = event_columns(events)

    def setup() -> tuple[tuple[OrderTable], dict[str, Any]]:
        table = OrderTable(BATCH_ORDERS)
        add_orders(table, BATCH_ORDERS, 10)
        return (table,), {}

    def run(table: OrderTable) -> npt.NDArray[np.int8]:
        return table.apply_batch(**columns)

    codes = benchmark.pedantic(run, setup=setup, rounds=BATCH_ROUNDS, warmup_rounds=1)
    record_rate(benchmark, len(events))
    assert codes.tolist() == [0] * len(events)


@pytest.mark.benchmark(group="fsm-batch")
def test_apply_batch_baseline(benchmark: Any, events: list[Row]) -> None:
    def setup() -> tuple[tuple[OrderTableBaseline], dict[str, Any]]:
        table = OrderTableBaseline()
        add_orders(table, BATCH_ORDERS, 10)
        return (table,), {}

    codes = benchmark.pedantic(
        lambda table: table.apply_batch(events), setup=setup, rounds=BASELINE_BATCH_ROUNDS
    )
    record_rate(benchmark, len(events))
    assert codes == [0] * len(events)


def test_baseline_gives_the_same_results_as_oms_core() -> None:
    """On a stream with wrong-state events, overfills, duplicates, unknown ids, bad codes and
    stop triggers both tables answer with the same code for every event."""
    rng = np.random.default_rng(3)
    rows = lifecycle_events(500, seed=3)
    noise = []
    for _ in range(3_000):
        order_id = int(rng.integers(1, 560))
        exec_id = str(rng.choice(["", f"a{order_id}", f"b{order_id}", "n1", "n2"]))
        kind, qty, ticks = (int(v) for v in rng.integers((0, -1, -1), (14, 14, 3)))
        noise.append((order_id, kind, qty, ticks * PRICE, 1, 0, exec_id))
    rows = [r for pair in zip(rows, noise, strict=False) for r in pair] + noise[len(rows) :]
    native, baseline = OrderTable(), OrderTableBaseline()
    add_orders(native, 500, 10)
    add_orders(baseline, 500, 10)
    for order_id in range(501, 531):  # stop-limit orders; the noise triggers some of them
        ids = (order_id, f"s{order_id}", 1, 0)
        native.add(*ids, Side.BUY, OrderType.STOP_LIMIT, TimeInForce.GTC, 10, PRICE, PRICE)
        baseline.add(*ids, 0, 3, 0, 10, PRICE, PRICE)
    got = native.apply_batch(**event_columns(rows)).tolist()
    assert got == baseline.apply_batch(rows)
    assert set(got) >= {0, 1, 2, -1, -2, -3, -4, -5, -6}


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(kind: str, n: int) -> dict[str, float]:
    """Adds ``n`` live orders to a new table; returns its RSS growth per order (and, for
    ``oms_core``, its own allocation per order). Run in a fresh interpreter: freed memory
    left by earlier work would hide growth."""
    client_ids = [f"client-{i:010d}" for i in range(n)]
    table: Table = OrderTable() if kind == "oms_core" else OrderTableBaseline()
    side, order_type, tif = (
        (Side.BUY, OrderType.LIMIT, TimeInForce.GTC) if kind == "oms_core" else (0, 0, 0)
    )
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    add = table.add
    for i, cid in enumerate(client_ids):
        add(i, cid, i % 64, i % 5, side, order_type, tif, 100, PRICE)
    seconds = time.perf_counter() - start
    gc.collect()
    result = {
        "orders": n,
        "rss_bytes_per_order": round((rss_bytes() - before) / n, 1),
        "adds_per_s": round(n / seconds),
    }
    if isinstance(table, OrderTable):
        result["allocated_bytes_per_order"] = round(table.allocated_bytes() / n, 1)
    assert len(table) == n
    return result


def memory_in_fresh_interpreter(kind: str) -> dict[str, float]:
    code = (
        "import json; from benches.test_bench_order import measure_memory; "
        f"print(json.dumps(measure_memory({kind!r}, {MEMORY_ORDERS})))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.benchmark(group="fsm-memory")
@pytest.mark.parametrize("kind", ["oms_core", "baseline"])
def test_memory_per_live_order(benchmark: Any, kind: str) -> None:
    result = benchmark.pedantic(memory_in_fresh_interpreter, args=(kind,), rounds=1)
    benchmark.extra_info.update(result)
    print(f"\n{kind}: {json.dumps(result)}")
    if kind == "oms_core":
        assert result["allocated_bytes_per_order"] <= MAX_BYTES_PER_ORDER
        assert result["rss_bytes_per_order"] <= MAX_BYTES_PER_ORDER
