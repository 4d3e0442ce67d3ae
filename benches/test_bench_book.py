"""L2 book benchmarks: ``oms_core.OrderBook`` beside a SortedDict book on the same updates.

Each group pairs our core with the pure-Python baseline (``benches/baselines/sorted_book.py``).
The stream is 100k updates from a fixed seed: a mid price that random-walks, levels mostly a
few ticks from it, ~10% deletes. Every round starts from an empty book, and
``extra_info["updates_per_s"]`` holds the per-update rate at the median round
(``calls_per_s`` for depth).

Run: ``pytest benches/test_bench_book.py --benchmark-only`` (or ``--benchmark-disable`` to run
each once as a plain test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import oms_core
from benches.baselines.sorted_book import SortedBook

UPDATES = 100_000
ROUNDS = 10
Columns = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64]]
Update = tuple[int, int, int]


def realistic_updates(n: int = UPDATES, seed: int = 20240611) -> Columns:
    """Feed-like level updates around a drifting mid of 50000.00 (BTC-USDT ticks of 0.01)."""
    rng = np.random.default_rng(seed)
    mid = 5_000_000 + np.cumsum(rng.choice([-1, 0, 0, 0, 0, 0, 0, 0, 1], size=n))
    sides = rng.integers(0, 2, size=n, dtype=np.uint8)
    distance = rng.geometric(0.15, size=n) - 1  # mean ~6 ticks from the touch
    prices = np.where(sides == oms_core.BID, mid - 1 - distance, mid + 1 + distance)
    sizes = rng.integers(1, 1_000, size=n, dtype=np.int64)
    sizes[rng.random(n) < 0.10] = 0
    return sides, prices.astype(np.int64), sizes


@pytest.fixture(scope="module")
def columns() -> Columns:
    return realistic_updates()


@pytest.fixture(scope="module")
def updates(columns: Columns) -> list[Update]:
    """The stream as Python ints, as a feed handler would hold it."""
    return list(zip(*(c.tolist() for c in columns), strict=True))


@pytest.fixture(scope="module")
def instrument() -> oms_core.Instrument:
    return oms_core.InstrumentRegistry.builtin().get("BTC-USDT")


@pytest.fixture(scope="module")
def expected_depth(updates: list[Update]) -> tuple[list[list[int]], list[list[int]]]:
    """Top 50 levels after the whole stream, from the baseline."""
    book = SortedBook()
    book.apply_batch(updates)
    bids, asks = book.depth(50)
    return [list(level) for level in bids], [list(level) for level in asks]


def record_rate(benchmark: Any, count: int, unit: str = "updates") -> None:
    """Stores ``count`` per median round as ``extra_info[f"{unit}_per_s"]``, when timing ran."""
    if benchmark.stats is not None:
        benchmark.extra_info[f"{unit}_per_s"] = round(count / benchmark.stats.stats.median)


def run_rounds(benchmark: Any, make_book: Callable[[], Any], feed: Callable[[Any], None]) -> Any:
    """Times ``feed`` on a fresh book per round and returns the last book."""
    books: list[Any] = []

    def setup() -> tuple[tuple[Any], dict[str, Any]]:
        books.append(make_book())
        return (books[-1],), {}

    benchmark.pedantic(feed, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    return books[-1]


def apply_each(book: Any, updates: list[Update]) -> None:
    apply = book.apply
    for side, price, size in updates:
        apply(side, price, size)


def apply_top_each(book: Any, updates: list[Update]) -> None:
    apply_top = book.apply_top
    for side, price, size in updates:
        apply_top(side, price, size)


def check_depth(book: Any, expected: tuple[list[list[int]], list[list[int]]]) -> None:
    bids, asks = book.depth(50)
    as_lists = [[list(level) for level in bids], [list(level) for level in asks]]
    if isinstance(bids, np.ndarray):
        as_lists = [bids.tolist(), asks.tolist()]
    assert as_lists == list(expected)


@pytest.mark.benchmark(group="book-apply")
def test_apply_oms_core(benchmark, instrument, updates, expected_depth):
    book = run_rounds(
        benchmark, lambda: oms_core.OrderBook(instrument), lambda b: apply_each(b, updates)
    )
    record_rate(benchmark, len(updates))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-apply")
def test_apply_sorted_book(benchmark, updates, expected_depth):
    book = run_rounds(benchmark, SortedBook, lambda b: apply_each(b, updates))
    record_rate(benchmark, len(updates))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-apply-top")
def test_apply_top_oms_core(benchmark, instrument, updates, expected_depth):
    book = run_rounds(
        benchmark, lambda: oms_core.OrderBook(instrument), lambda b: apply_top_each(b, updates)
    )
    record_rate(benchmark, len(updates))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-apply-top")
def test_apply_top_sorted_book(benchmark, updates, expected_depth):
    book = run_rounds(benchmark, SortedBook, lambda b: apply_top_each(b, updates))
    record_rate(benchmark, len(updates))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-batch")
def test_apply_batch_oms_core(benchmark, instrument, columns, expected_depth):
    book = run_rounds(
        benchmark, lambda: oms_core.OrderBook(instrument), lambda b: b.apply_batch(*columns)
    )
    record_rate(benchmark, len(columns[0]))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-batch")
def test_apply_batch_top_oms_core(benchmark, instrument, columns, expected_depth):
    book = run_rounds(
        benchmark, lambda: oms_core.OrderBook(instrument), lambda b: b.apply_batch_top(*columns)
    )
    record_rate(benchmark, len(columns[0]))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-batch")
def test_apply_batch_sorted_book(benchmark, updates, expected_depth):
    book = run_rounds(benchmark, SortedBook, lambda b: b.apply_batch(updates))
    record_rate(benchmark, len(updates))
    check_depth(book, expected_depth)


@pytest.mark.benchmark(group="book-depth")
def test_depth_10_oms_core(benchmark, instrument, columns):
    book = oms_core.OrderBook(instrument)
    book.apply_batch(*columns)
    bids, asks = benchmark(book.depth, 10)
    record_rate(benchmark, 1, unit="calls")
    assert bids.shape == asks.shape == (10, 2)


@pytest.mark.benchmark(group="book-depth")
def test_depth_10_sorted_book(benchmark, updates):
    book = SortedBook()
    book.apply_batch(updates)
    bids, asks = benchmark(book.depth, 10)
    record_rate(benchmark, 1, unit="calls")
    assert len(bids) == len(asks) == 10
