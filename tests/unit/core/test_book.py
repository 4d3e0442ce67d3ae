"""``oms_core.OrderBook``: examples of each rule, every error path, and long random runs that
must match the pure-Python reference in ``tests/reference/book_model.py`` call for call."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import oms_core
from oms_core import ASK, BID, NO_PRICE
from tests.reference.book_model import BookModel, BookRuleError

REGISTRY = oms_core.InstrumentRegistry.builtin()
BTC = REGISTRY.get("BTC-USDT")  # tick 0.01, lot 0.00001


def new_book() -> oms_core.OrderBook:
    return oms_core.OrderBook(BTC)


def cols(
    sides: list[int], prices: list[int], sizes: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array(sides, dtype=np.uint8),
        np.array(prices, dtype=np.int64),
        np.array(sizes, dtype=np.int64),
    )


def levels(rows: list[tuple[int, int]]) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def depth_lists(book: Any, n: int = 1_000) -> list[list[list[int]]]:
    bids, asks = book.depth(n)
    return [bids.tolist(), asks.tolist()]


@pytest.fixture
def book() -> oms_core.OrderBook:
    """Bids (price, size) (100, 1), (99, 2); asks (101, 3), (103, 4)."""
    b = new_book()
    b.apply_batch(*cols([BID, BID, ASK, ASK], [100, 99, 101, 103], [1, 2, 3, 4]))
    return b


# --- rules ---------------------------------------------------------------------------------


def test_side_codes_are_module_constants():
    assert (BID, ASK, NO_PRICE) == (0, 1, 0)


def test_the_book_exposes_its_instrument_and_symbol():
    b = new_book()
    assert b.symbol == "BTC-USDT"
    assert b.instrument.symbol == "BTC-USDT"
    assert b.seq == 0
    assert "BTC-USDT" in repr(b)


def test_size_zero_deletes_the_level(book):
    book.apply(BID, 100, 0)
    assert book.best_bid() == (99, 2)
    assert book.level_count(BID) == 1


def test_deleting_a_missing_level_changes_nothing(book):
    before = depth_lists(book)
    book.apply(ASK, 250, 0)
    assert depth_lists(book) == before


def test_a_new_size_replaces_the_old_one(book):
    book.apply(ASK, 101, 9)
    assert book.size_at(ASK, 101) == 9
    assert book.size_at(ASK, 102) == 0


def test_depth_lists_bids_descending_and_asks_ascending(book):
    bids, asks = book.depth(10)
    assert bids.dtype == asks.dtype == np.int64
    assert bids.tolist() == [[100, 1], [99, 2]]
    assert asks.tolist() == [[101, 3], [103, 4]]
    assert [a.tolist() for a in book.depth(1)] == [[[100, 1]], [[101, 3]]]
    assert [a.shape for a in new_book().depth(5)] == [(0, 2), (0, 2)]


def test_best_levels_spread_and_mid(book):
    assert book.best_bid() == (100, 1)
    assert book.best_ask() == (101, 3)
    assert book.spread() == 1
    assert book.mid_half_ticks() == 201
    assert book.mid_price() == Decimal("1.005")


def test_an_empty_side_has_no_best_spread_or_mid():
    b = new_book()
    b.apply(BID, 100, 1)
    assert b.best_ask() is None
    assert (b.spread(), b.mid_half_ticks(), b.mid_price()) == (None, None, None)


def test_a_crossing_bid_removes_the_asks_at_or_below_it(book):
    book.apply(BID, 103, 5)
    assert book.best_bid() == (103, 5)
    assert book.best_ask() is None
    assert not book.is_crossed()


def test_a_locking_ask_removes_the_bid_at_its_price(book):
    book.apply(ASK, 100, 7)
    assert book.best_bid() == (99, 2)
    assert book.best_ask() == (100, 7)
    assert not book.is_crossed()


def test_apply_top_returns_the_best_prices_after_the_update(book):
    assert book.apply_top(BID, 100, 0) == (99, 101)
    assert book.apply_top(ASK, 101, 0) == (99, 103)
    assert new_book().apply_top(ASK, 5, 1) == (None, 5)


def test_apply_batch_equals_single_applies(book):
    single = new_book()
    updates = [(BID, 10, 1), (ASK, 12, 2), (BID, 12, 3), (ASK, 12, 0), (BID, 10, 0)]
    for u in updates:
        single.apply(*u)
    batched = new_book()
    batched.apply_batch(*cols(*map(list, zip(*updates, strict=True))))
    assert depth_lists(batched) == depth_lists(single)


def test_apply_batch_top_marks_an_empty_side_with_no_price():
    tops = new_book().apply_batch_top(*cols([BID, ASK, BID, ASK], [10, 12, 10, 12], [1, 1, 0, 0]))
    assert tops.dtype == np.int64
    assert tops.tolist() == [[10, NO_PRICE], [10, 12], [NO_PRICE, 12], [NO_PRICE, NO_PRICE]]


def test_empty_batches_are_fine(book):
    book.apply_batch(*cols([], [], []))
    assert book.apply_batch_top(*cols([], [], [])).shape == (0, 2)
    assert book.apply_batch_seq(np.array([], dtype=np.int64), *cols([], [], [])) == 0


def test_batch_columns_may_be_strided_views():
    table = np.array([[BID, 10, 1], [ASK, 12, 2], [BID, 11, 3]], dtype=np.int64)
    b = new_book()
    b.apply_batch(table[:, 0].astype(np.uint8), table[:, 1], table[:, 2])
    assert depth_lists(b) == [[[11, 3], [10, 1]], [[12, 2]]]


def test_fill_price_walks_the_book_from_the_best_level(book):
    assert book.fill_price(ASK, 5) == (Fraction(3 * 101 + 2 * 103, 5), 103)
    assert book.fill_price(BID, 1) == (Fraction(100), 100)


def test_fill_price_is_none_when_the_side_is_too_thin(book):
    assert book.fill_price(ASK, 8) is None
    assert new_book().fill_price(BID, 1) is None


def test_stale_sequence_numbers_are_ignored():
    b = new_book()
    assert b.apply_seq(1, BID, 10, 1) is True
    assert b.apply_seq(1, BID, 11, 1) is False
    assert b.apply_seq(0, BID, 11, 1) is False
    assert (b.seq, b.best_bid()) == (1, (10, 1))


def test_a_sequence_gap_raises_and_changes_nothing():
    b = new_book()
    b.apply_seq(1, BID, 10, 1)
    with pytest.raises(oms_core.SequenceGap, match="expected 2, got 3"):
        b.apply_seq(3, BID, 11, 1)
    assert (b.seq, depth_lists(b)) == (1, [[[10, 1]], []])


def test_a_sequenced_batch_skips_stale_updates_and_counts_the_applied_ones():
    b = new_book()
    seqs = np.array([1, 1, 2, 2, 3], dtype=np.int64)
    applied = b.apply_batch_seq(seqs, *cols([BID] * 5, [10, 11, 12, 13, 14], [1] * 5))
    assert (applied, b.seq) == (3, 3)
    assert depth_lists(b) == [[[14, 1], [12, 1], [10, 1]], []]


def test_a_sequenced_batch_with_a_gap_changes_nothing(book):
    before = depth_lists(book)
    seqs = np.array([1, 2, 4], dtype=np.int64)
    with pytest.raises(oms_core.SequenceGap):
        book.apply_batch_seq(seqs, *cols([BID] * 3, [50, 51, 52], [1] * 3))
    assert (book.seq, depth_lists(book)) == (0, before)


def test_a_snapshot_replaces_the_book_and_sets_the_sequence(book):
    book.load_snapshot(levels([(90, 1), (95, 2)]), levels([(97, 3)]), 41)
    assert depth_lists(book) == [[[95, 2], [90, 1]], [[97, 3]]]
    assert book.seq == 41
    assert book.apply_seq(42, ASK, 96, 1) is True


def test_a_snapshot_of_the_depth_rebuilds_the_same_book(book):
    copy = new_book()
    copy.load_snapshot(*book.depth(1_000), 7)
    assert depth_lists(copy) == depth_lists(book)


def test_an_empty_snapshot_clears_the_book(book):
    book.load_snapshot(levels([]), levels([]), 0)
    assert depth_lists(book) == [[], []]


# --- errors ----------------------------------------------------------------------------------


def test_book_errors_are_oms_errors_with_stable_codes():
    for cls, code in [
        (oms_core.InvalidPrice, "INVALID_PRICE"),
        (oms_core.InvalidQuantity, "INVALID_QUANTITY"),
        (oms_core.InvalidArgument, "INVALID_ARGUMENT"),
        (oms_core.SequenceGap, "SEQUENCE_GAP"),
    ]:
        assert issubclass(cls, oms_core.OmsError)
        assert cls.code == code


def test_the_constructor_needs_an_instrument():
    with pytest.raises(TypeError):
        oms_core.OrderBook("BTC-USDT")  # type: ignore[arg-type]


@pytest.mark.parametrize("side", [2, -1, 255])
@pytest.mark.parametrize(
    "call",
    [
        lambda b, s: b.apply(s, 10, 1),
        lambda b, s: b.apply_top(s, 10, 1),
        lambda b, s: b.apply_seq(1, s, 10, 1),
        lambda b, s: b.set_level(s, "1", "1"),
        lambda b, s: b.size_at(s, 10),
        lambda b, s: b.level_count(s),
        lambda b, s: b.fill_price(s, 1),
    ],
)
def test_an_unknown_side_raises_invalid_argument(book, side, call):
    before = depth_lists(book)
    with pytest.raises(oms_core.InvalidArgument, match="side"):
        call(book, side)
    assert depth_lists(book) == before


@pytest.mark.parametrize("price", [0, -1, -(2**63)])
def test_a_non_positive_price_raises_invalid_price(book, price):
    before = depth_lists(book)
    for call in (book.apply, book.apply_top):
        with pytest.raises(oms_core.InvalidPrice):
            call(BID, price, 1)
    with pytest.raises(oms_core.InvalidPrice):
        book.apply_seq(1, BID, price, 1)
    assert (depth_lists(book), book.seq) == (before, 0)


@pytest.mark.parametrize("size", [-1, -(2**63)])
def test_a_negative_size_raises_invalid_quantity(book, size):
    before = depth_lists(book)
    for call in (book.apply, book.apply_top):
        with pytest.raises(oms_core.InvalidQuantity):
            call(ASK, 105, size)
    with pytest.raises(oms_core.InvalidQuantity):
        book.apply_seq(1, ASK, 105, size)
    assert (depth_lists(book), book.seq) == (before, 0)


@pytest.mark.parametrize("bad", [1.0, "1", Decimal(1), None])
def test_hot_calls_take_only_ints_and_raise_type_error_otherwise(book, bad):
    """Ticks and lots are ints; PyO3's own TypeError is the answer to anything else."""
    with pytest.raises(TypeError):
        book.apply(BID, bad, 1)
    with pytest.raises(TypeError):
        book.apply_top(bad, 10, 1)
    with pytest.raises(TypeError):
        book.apply_seq(1, BID, 10, bad)


def test_numpy_integer_scalars_are_accepted_as_ints():
    b = new_book()
    b.apply(np.uint8(BID), np.int64(10), np.int64(2))
    assert b.best_bid() == (10, 2)


def test_ints_beyond_64_bits_raise_overflow_error(book):
    """PyO3 refuses ints that do not fit i64 with OverflowError before our code runs."""
    for args in [(BID, 2**70, 1), (BID, 10, 2**70), (2**70, 10, 1)]:
        with pytest.raises(OverflowError):
            book.apply(*args)
    with pytest.raises(OverflowError):
        book.apply_seq(2**70, BID, 10, 1)
    with pytest.raises(OverflowError):
        book.depth(-1)


def test_the_largest_64_bit_values_are_valid(book):
    big = 2**63 - 1
    b = new_book()
    b.apply(BID, big - 1, big)
    b.apply(ASK, big, big)
    assert b.mid_half_ticks() == 2 * big - 1
    assert b.fill_price(ASK, big) == (Fraction(big), big)


def test_negative_sequence_numbers_raise_invalid_argument(book):
    with pytest.raises(oms_core.InvalidArgument, match="negative"):
        book.apply_seq(-1, BID, 10, 1)
    with pytest.raises(oms_core.InvalidArgument, match="negative"):
        book.apply_batch_seq(np.array([-1], dtype=np.int64), *cols([BID], [10], [1]))
    with pytest.raises(oms_core.InvalidArgument, match="negative"):
        book.load_snapshot(levels([]), levels([]), -1)


@pytest.mark.parametrize(
    ("columns", "error"),
    [
        (([BID, ASK], [10], [1, 1]), oms_core.InvalidArgument),
        (([BID], [10, 11], [1]), oms_core.InvalidArgument),
        (([BID, 2], [10, 11], [1, 1]), oms_core.InvalidArgument),
        (([BID, ASK], [10, 0], [1, 1]), oms_core.InvalidPrice),
        (([BID, ASK], [10, 11], [1, -1]), oms_core.InvalidQuantity),
    ],
)
def test_a_bad_batch_raises_and_changes_nothing(book, columns, error):
    before = depth_lists(book)
    for call in (book.apply_batch, book.apply_batch_top):
        with pytest.raises(error):
            call(*cols(*columns))
    seqs = np.arange(1, len(columns[0]) + 1, dtype=np.int64)
    with pytest.raises(error):
        book.apply_batch_seq(seqs, *cols(*columns))
    assert (depth_lists(book), book.seq) == (before, 0)


def test_the_bad_entry_of_a_batch_is_named_by_index(book):
    with pytest.raises(oms_core.InvalidPrice, match="update 2"):
        book.apply_batch(*cols([BID] * 3, [10, 11, -5], [1] * 3))


def test_a_sequence_column_of_another_length_raises_invalid_argument(book):
    with pytest.raises(oms_core.InvalidArgument, match="sequence numbers"):
        book.apply_batch_seq(np.array([1], dtype=np.int64), *cols([BID] * 2, [10, 11], [1, 1]))


@pytest.mark.parametrize(
    "columns",
    [
        (np.array([0], dtype=np.int64), np.array([10]), np.array([1])),
        (np.array([0], dtype=np.uint8), np.array([10], dtype=np.int32), np.array([1])),
        (np.array([0], dtype=np.uint8), np.array([10.0]), np.array([1])),
        (np.array([0], dtype=np.uint8), np.array([[10]]), np.array([1])),
        ([0], [10], [1]),
    ],
)
def test_batch_columns_of_the_wrong_dtype_or_shape_raise_type_error(book, columns):
    """Columns are never cast: a float or int32 array is refused rather than truncated."""
    with pytest.raises(TypeError):
        book.apply_batch(*columns)


@pytest.mark.parametrize(
    ("bids", "asks", "error"),
    [
        ([(100, 1)], [(100, 1)], oms_core.InvalidArgument),  # locked
        ([(101, 1)], [(100, 1)], oms_core.InvalidArgument),  # crossed
        ([(90, 1), (90, 2)], [], oms_core.InvalidArgument),  # duplicate price
        ([(90, 0)], [], oms_core.InvalidQuantity),
        ([], [(90, -1)], oms_core.InvalidQuantity),
        ([(0, 1)], [], oms_core.InvalidPrice),
        ([], [(95, -1), (-3, 1)], oms_core.InvalidPrice),  # prices are checked before sizes
    ],
)
def test_a_bad_snapshot_raises_and_changes_nothing(book, bids, asks, error):
    before = depth_lists(book)
    with pytest.raises(error):
        book.load_snapshot(levels(bids), levels(asks), 5)
    assert (depth_lists(book), book.seq) == (before, 0)


def test_a_snapshot_must_have_two_columns(book):
    with pytest.raises(oms_core.InvalidArgument, match=r"shape \(n, 2\)"):
        book.load_snapshot(np.zeros((1, 3), dtype=np.int64), levels([]), 1)
    with pytest.raises(TypeError):
        book.load_snapshot(np.zeros(2, dtype=np.int64), levels([]), 1)


def test_fill_price_of_a_non_positive_quantity_raises_invalid_quantity(book):
    for qty in (0, -1):
        with pytest.raises(oms_core.InvalidQuantity):
            book.fill_price(ASK, qty)


# --- exact-number convenience ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "size"),
    [("50000.01", "0.00003"), (Decimal("50000.01"), Decimal("0.00003")), ("5.000001E+4", "3e-5")],
)
def test_set_level_takes_exact_numbers_on_the_grid(price, size):
    b = new_book()
    b.set_level(BID, price, size)
    assert b.best_bid() == (5_000_001, 3)


def test_set_level_takes_ints_as_whole_units():
    b = new_book()
    b.set_level(ASK, 50_000, 2)
    assert b.best_ask() == (5_000_000, 200_000)


@pytest.mark.parametrize("zero", ["0", 0, Decimal("0.000"), "-0"])
def test_set_level_with_size_zero_deletes_the_level(zero):
    b = new_book()
    b.set_level(BID, "1.00", "1")
    b.set_level(BID, "1.00", zero)
    assert b.best_bid() is None


@pytest.mark.parametrize(
    ("price", "size", "error"),
    [
        (1.5, "1", oms_core.InvalidNumber),
        ("1", 0.5, oms_core.InvalidNumber),
        (Decimal("NaN"), "1", oms_core.InvalidNumber),
        ("1", Decimal("NaN"), oms_core.InvalidNumber),
        (Decimal("Infinity"), "1", oms_core.InvalidNumber),
        ("abc", "1", oms_core.InvalidNumber),
        (True, "1", oms_core.InvalidNumber),
        (None, "1", oms_core.InvalidNumber),
        ("1.001", "1", oms_core.InvalidPrice),
        ("0", "1", oms_core.InvalidPrice),
        ("-1", "1", oms_core.InvalidPrice),
        ("1", "0.000001", oms_core.InvalidQuantity),
        ("1", "-1", oms_core.InvalidQuantity),
        (2**70, "1", oms_core.NumberOverflow),
        ("1", 2**70, oms_core.NumberOverflow),
    ],
)
def test_set_level_refuses_inexact_off_grid_and_out_of_range_numbers(book, price, size, error):
    before = depth_lists(book)
    with pytest.raises(error):
        book.set_level(BID, price, size)
    assert depth_lists(book) == before


def test_mid_price_is_exact_at_half_a_tick():
    b = new_book()
    b.set_level(BID, "50000.00", "1")
    b.set_level(ASK, "50000.01", "1")
    assert b.mid_half_ticks() == 10_000_001
    assert b.mid_price() == Decimal("50000.005")


# --- against the reference model ---------------------------------------------------------------


def normalized(value: Any) -> Any:
    """Arrays and tuples as nested lists, so results of both implementations compare equal."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [normalized(v) for v in value]
    return value


def outcome(call: Any, *args: Any) -> tuple[str, Any]:
    """``("ok", result)`` or ``("error", code)`` of a call on the core or the model."""
    try:
        return "ok", normalized(call(*args))
    except (oms_core.OmsError, BookRuleError) as e:
        return "error", e.code


class BookPair:
    """The core and the model side by side; every call must give the same outcome."""

    def __init__(self) -> None:
        self.book = new_book()
        self.model = BookModel()

    def same(self, method: str, *args: Any) -> None:
        got = outcome(getattr(self.book, method), *args)
        assert got == outcome(getattr(self.model, method), *args), (method, args)

    def same_batch(self, method: str, seqs: list[int] | None, updates: list[tuple]) -> None:
        sides, prices, sizes = (
            (list(c) for c in zip(*updates, strict=True)) if updates else ([],) * 3
        )
        head = [] if seqs is None else [seqs]
        arrays = [] if seqs is None else [np.array(seqs, dtype=np.int64)]
        got = outcome(getattr(self.book, method), *arrays, *cols(sides, prices, sizes))
        expected = outcome(getattr(self.model, method), *head, sides, prices, sizes)
        assert got == expected, (method, seqs, updates)

    def same_snapshot(self, bids: list[tuple[int, int]], asks: list[tuple[int, int]], seq: int):
        got = outcome(self.book.load_snapshot, levels(bids), levels(asks), seq)
        assert got == outcome(self.model.load_snapshot, bids, asks, seq), (bids, asks, seq)

    def check_state(self) -> None:
        for query in ("best_bid", "best_ask", "spread", "mid_half_ticks", "is_crossed"):
            self.same(query)
        self.same("depth", 1_000)
        assert self.book.seq == self.model.seq
        assert not self.book.is_crossed()


def random_update(rng: random.Random) -> tuple[int, int, int]:
    """Mostly valid updates near a few prices, sometimes a bad side, price or size."""
    side = rng.choice([BID, ASK] * 20 + [2])
    price = rng.choice([rng.randint(1, 60)] * 30 + [0, -1])
    size = rng.choice([0] * 3 + [rng.randint(1, 9)] * 12 + [-1])
    return side, price, size


def random_levels(rng: random.Random, lo: int, hi: int) -> list[tuple[int, int]]:
    prices = rng.sample(range(lo, hi), k=rng.randint(0, min(8, hi - lo)))
    return [(p, rng.randint(1, 9)) for p in prices]


def run_random_session(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    pair = BookPair()
    for _ in range(steps):
        op = rng.random()
        seq = pair.model.seq + rng.choice([-1, 0, 1, 1, 1, 1, 2])
        if op < 0.45:
            pair.same("apply", *random_update(rng))
        elif op < 0.60:
            pair.same("apply_top", *random_update(rng))
        elif op < 0.72:
            pair.same("apply_seq", seq, *random_update(rng))
        elif op < 0.78:
            updates = [random_update(rng) for _ in range(rng.randint(0, 12))]
            pair.same_batch(rng.choice(["apply_batch", "apply_batch_top"]), None, updates)
        elif op < 0.82:
            updates = [random_update(rng) for _ in range(rng.randint(0, 12))]
            seqs, s = [], pair.model.seq
            for _ in updates:
                s += rng.choice([0, 1, 1, 1, 1, 1, 1, 1, 1, 2])
                seqs.append(s)
            pair.same_batch("apply_batch_seq", seqs, updates)
        elif op < 0.84:
            mid = rng.randint(10, 50)
            bids = random_levels(rng, mid - 10, mid + rng.choice([0, 0, 0, 2]))
            asks = random_levels(rng, mid, mid + 10)
            if rng.random() < 0.1:
                bids.append((rng.choice([0, 5]), rng.choice([0, 1])))
            pair.same_snapshot(bids, asks, max(0, seq))
        elif op < 0.92:
            pair.same("fill_price", rng.choice([BID, ASK, 3]), rng.randint(-1, 40))
        elif op < 0.96:
            pair.same("size_at", *random_update(rng)[:2])
        else:
            pair.same("level_count", rng.choice([BID, ASK, 2]))
        pair.check_state()


@pytest.mark.parametrize("seed", range(4))
def test_long_random_sessions_match_the_reference_model(seed):
    run_random_session(seed, steps=5_000)


sides = st.sampled_from([BID, ASK])
prices = st.integers(1, 30)
sizes = st.integers(0, 5)
update = st.tuples(sides, prices, sizes)
any_update = st.tuples(st.sampled_from([BID, ASK, 2]), st.integers(-1, 30), st.integers(-1, 5))


class BookMachine(RuleBasedStateMachine):
    """Hypothesis drives random call sequences; the core must agree with the model throughout."""

    def __init__(self) -> None:
        super().__init__()
        self.pair = BookPair()

    @rule(u=any_update)
    def apply(self, u):
        self.pair.same("apply", *u)

    @rule(u=update)
    def apply_top(self, u):
        self.pair.same("apply_top", *u)

    @rule(step=st.integers(-1, 2), u=any_update)
    def apply_seq(self, step, u):
        self.pair.same("apply_seq", max(0, self.pair.model.seq + step), *u)

    @rule(updates=st.lists(any_update, max_size=20), top=st.booleans())
    def apply_batch(self, updates, top):
        self.pair.same_batch("apply_batch_top" if top else "apply_batch", None, updates)

    @rule(updates=st.lists(st.tuples(st.integers(0, 2), update), max_size=20))
    def apply_batch_seq(self, updates):
        seqs, s = [], self.pair.model.seq
        for step, _ in updates:
            s += step
            seqs.append(s)
        self.pair.same_batch("apply_batch_seq", seqs, [u for _, u in updates])

    @rule(
        bids=st.dictionaries(st.integers(1, 15), st.integers(1, 5), max_size=6),
        asks=st.dictionaries(st.integers(14, 30), st.integers(0, 5), max_size=6),
        seq=st.integers(0, 5),
    )
    def load_snapshot(self, bids, asks, seq):
        self.pair.same_snapshot(list(bids.items()), list(asks.items()), seq)

    @rule(side=sides, qty=st.integers(0, 30))
    def fill_price(self, side, qty):
        self.pair.same("fill_price", side, qty)

    @rule(side=sides, price=prices)
    def size_at(self, side, price):
        self.pair.same("size_at", side, price)

    @invariant()
    def agrees_with_the_model(self):
        self.pair.check_state()


BookMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_random_call_sequences_match_the_reference_model = BookMachine.TestCase
