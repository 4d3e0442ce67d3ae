"""``oms_core.ConsolidatedBook``: merged top of book and depth across venues, per-venue shares,
every error path, and random runs that must match ``ConsolidatedModel`` call for call."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import oms_core
from oms_core import ASK, BID
from tests.reference.book_model import ConsolidatedModel
from tests.unit.core.test_book import BTC, cols, levels, outcome

VENUES = ["binance", "okx", "kraken"]


def new_book() -> oms_core.ConsolidatedBook:
    return oms_core.ConsolidatedBook(BTC)


@pytest.fixture
def book() -> oms_core.ConsolidatedBook:
    """Three venues quoting the (price, size) bid and ask levels listed below."""
    b = new_book()
    for venue, bid, ask in [
        ("binance", (100, 1), (102, 2)),
        ("okx", (100, 3), (103, 4)),
        ("kraken", (99, 5), (102, 6)),
    ]:
        b.update(venue, BID, *bid)
        b.update(venue, ASK, *ask)
    return b


def test_the_book_exposes_its_instrument_symbol_and_venues(book):
    assert book.symbol == "BTC-USDT"
    assert book.instrument.symbol == "BTC-USDT"
    assert book.venues() == VENUES
    assert "kraken" in repr(book)


def test_top_of_book_sums_and_names_every_venue_at_the_best_price(book):
    assert book.best_bid() == (100, 4, ["binance", "okx"])
    assert book.best_ask() == (102, 8, ["binance", "kraken"])
    assert book.spread() == 2
    assert not book.is_crossed()


def test_an_empty_book_has_no_top_and_no_depth():
    b = new_book()
    assert (b.best_bid(), b.best_ask(), b.spread(), b.is_crossed()) == (None, None, None, False)
    assert [a.shape for a in b.depth(5)] == [(0, 2), (0, 2)]
    assert b.depth_by_venue(BID, 5).shape == (0, 1)


def test_depth_sums_sizes_across_venues_best_first(book):
    bids, asks = book.depth(10)
    assert bids.tolist() == [[100, 4], [99, 5]]
    assert asks.tolist() == [[102, 8], [103, 4]]
    assert [a.tolist() for a in book.depth(1)] == [[[100, 4]], [[102, 8]]]


def test_depth_by_venue_has_a_size_column_per_venue_in_venue_order(book):
    assert book.depth_by_venue(ASK, 10).tolist() == [[102, 2, 0, 6], [103, 0, 4, 0]]
    assert book.depth_by_venue(BID, 1).tolist() == [[100, 1, 3, 0]]


def test_level_maps_the_quoting_venues_to_their_sizes(book):
    assert book.level(BID, 100) == {"binance": 1, "okx": 3}
    assert book.level(ASK, 101) == {}


def test_venues_may_cross_each_other_and_is_crossed_reports_it(book):
    book.update("okx", BID, 102, 1)
    assert book.is_crossed()
    assert book.spread() == 0
    book.update("okx", BID, 104, 1)
    assert book.spread() == -2
    assert book.best_ask() == (102, 8, ["binance", "kraken"])


def test_each_venue_book_uncrosses_itself(book):
    book.update("okx", BID, 103, 1)
    assert book.level(ASK, 103) == {}
    assert book.best_ask() == (102, 8, ["binance", "kraken"])


def test_remove_venue_drops_its_levels_and_says_whether_it_existed(book):
    assert book.remove_venue("binance") is True
    assert book.remove_venue("binance") is False
    assert book.venues() == ["okx", "kraken"]
    assert book.best_ask() == (102, 6, ["kraken"])
    book.update("binance", ASK, 101, 1)
    assert book.venues() == ["okx", "kraken", "binance"]


def test_update_batch_applies_to_one_venue(book):
    book.update_batch("okx", *cols([BID, ASK], [101, 104], [2, 0]))
    assert book.best_bid() == (101, 2, ["okx"])
    assert book.level(ASK, 104) == {}


def test_each_venue_keeps_its_own_sequence(book):
    book.load_snapshot("bitstamp", levels([(98, 1)]), levels([(105, 1)]), 40)
    assert book.update_seq("bitstamp", 41, BID, 99, 2) is True
    assert book.update_seq("bitstamp", 41, BID, 99, 3) is False
    assert book.update_seq("okx", 1, BID, 99, 1) is True
    assert (book.venue_seq("bitstamp"), book.venue_seq("okx"), book.venue_seq("kraken")) == (
        41,
        1,
        0,
    )
    with pytest.raises(oms_core.SequenceGap):
        book.update_seq("bitstamp", 43, BID, 99, 2)
    assert book.level(BID, 99) == {"kraken": 5, "bitstamp": 2, "okx": 1}


@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.update("new", BID, 0, 1),
        lambda b: b.update("new", 2, 10, 1),
        lambda b: b.update_seq("new", 2, BID, 10, 1),
        lambda b: b.update_seq("new", -1, BID, 10, 1),
        lambda b: b.update_batch("new", *cols([BID], [10], [-1])),
        lambda b: b.load_snapshot("new", levels([(10, 1)]), levels([(9, 1)]), 1),
    ],
)
def test_a_failed_first_call_does_not_add_the_venue(book, call):
    with pytest.raises(oms_core.OmsError):
        call(book)
    assert book.venues() == VENUES


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda b: b.update("okx", BID, -1, 1), oms_core.InvalidPrice),
        (lambda b: b.update("okx", BID, 10, -1), oms_core.InvalidQuantity),
        (lambda b: b.update("okx", 5, 10, 1), oms_core.InvalidArgument),
        (lambda b: b.update_seq("okx", 5, BID, 10, 1), oms_core.SequenceGap),
        (lambda b: b.update_batch("okx", *cols([BID], [10, 11], [1])), oms_core.InvalidArgument),
        (
            lambda b: b.update_batch("okx", *cols([BID, 7], [10, 11], [1, 1])),
            oms_core.InvalidArgument,
        ),
        (
            lambda b: b.load_snapshot("okx", levels([(9, 1), (9, 1)]), levels([]), 1),
            oms_core.InvalidArgument,
        ),
        (
            lambda b: b.load_snapshot("okx", np.zeros((1, 3), np.int64), levels([]), 1),
            oms_core.InvalidArgument,
        ),
        (lambda b: b.venue_seq("bitmex"), oms_core.InvalidArgument),
        (lambda b: b.depth_by_venue(2, 5), oms_core.InvalidArgument),
        (lambda b: b.level(-1, 100), oms_core.InvalidArgument),
    ],
)
def test_bad_calls_raise_typed_errors_and_change_nothing(book, call, error):
    before = [a.tolist() for a in book.depth(100)]
    with pytest.raises(error):
        call(book)
    assert [a.tolist() for a in book.depth(100)] == before


@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.update(1, BID, 10, 1),
        lambda b: b.update("okx", BID, 10.0, 1),
        lambda b: b.update("okx", BID, "10", 1),
        lambda b: b.update_batch("okx", *cols([BID], [10], [1])[:2], np.array([1.0])),
        lambda b: b.depth_by_venue(BID, -1),
    ],
)
def test_wrong_python_types_raise_type_or_overflow_errors(book, call):
    with pytest.raises((TypeError, OverflowError)):
        call(book)


def test_ints_beyond_64_bits_raise_overflow_error(book):
    with pytest.raises(OverflowError):
        book.update("okx", BID, 2**70, 1)


def test_aggregated_sizes_saturate_at_the_int64_maximum():
    b = new_book()
    b.update("a", BID, 10, 2**63 - 1)
    b.update("b", BID, 10, 2**63 - 1)
    assert b.best_bid() == (10, 2**63 - 1, ["a", "b"])
    assert b.depth(1)[0].tolist() == [[10, 2**63 - 1]]


# --- against the reference model ---------------------------------------------------------------


class ConsolidatedPair:
    """The core and the model side by side; every call must give the same outcome."""

    def __init__(self) -> None:
        self.book = new_book()
        self.model = ConsolidatedModel()

    def same(self, method: str, *args: Any) -> None:
        got = outcome(getattr(self.book, method), *args)
        assert got == outcome(getattr(self.model, method), *args), (method, args)

    def same_batch(self, venue: str, updates: list[tuple[int, int, int]]) -> None:
        columns = [list(c) for c in zip(*updates, strict=True)] if updates else [[], [], []]
        got = outcome(self.book.update_batch, venue, *cols(*columns))
        assert got == outcome(self.model.update_batch, venue, *columns), (venue, updates)

    def same_snapshot(self, venue: str, bids: list, asks: list, seq: int) -> None:
        got = outcome(self.book.load_snapshot, venue, levels(bids), levels(asks), seq)
        assert got == outcome(self.model.load_snapshot, venue, bids, asks, seq)

    def check_state(self) -> None:
        for query in ("venues", "best_bid", "best_ask", "spread", "is_crossed"):
            self.same(query)
        self.same("depth", 1_000)
        for side in (BID, ASK):
            self.same("depth_by_venue", side, 1_000)
        for venue in [*self.model.venues(), "never-seen"]:
            self.same("venue_seq", venue)


venue_names = st.sampled_from(["a", "b", "c", "d"])
any_update = st.tuples(st.sampled_from([BID, ASK, 2]), st.integers(-1, 25), st.integers(-1, 5))


class ConsolidatedMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.pair = ConsolidatedPair()

    @rule(v=venue_names, u=any_update)
    def update(self, v, u):
        self.pair.same("update", v, *u)

    @rule(v=venue_names, step=st.integers(-1, 2), u=any_update)
    def update_seq(self, v, step, u):
        seq = self.pair.model.books[v].seq if v in self.pair.model.books else 0
        self.pair.same("update_seq", v, max(0, seq + step), *u)

    @rule(v=venue_names, updates=st.lists(any_update, max_size=10))
    def update_batch(self, v, updates):
        self.pair.same_batch(v, updates)

    @rule(
        v=venue_names,
        bids=st.dictionaries(st.integers(1, 12), st.integers(1, 5), max_size=5),
        asks=st.dictionaries(st.integers(11, 25), st.integers(1, 5), max_size=5),
        seq=st.integers(0, 4),
    )
    def load_snapshot(self, v, bids, asks, seq):
        self.pair.same_snapshot(v, list(bids.items()), list(asks.items()), seq)

    @rule(v=venue_names)
    def remove_venue(self, v):
        self.pair.same("remove_venue", v)

    @rule(side=st.sampled_from([BID, ASK]), price=st.integers(1, 25))
    def level(self, side, price):
        self.pair.same("level", side, price)

    @invariant()
    def agrees_with_the_model(self):
        self.pair.check_state()


ConsolidatedMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None
)
test_random_call_sequences_match_the_reference_model = ConsolidatedMachine.TestCase


@pytest.mark.parametrize("seed", range(3))
def test_long_random_sessions_match_the_reference_model(seed):
    rng = random.Random(seed)
    pair = ConsolidatedPair()
    names = ["a", "b", "c", "d", "e"]
    for _ in range(3_000):
        v, op = rng.choice(names), rng.random()
        u = (rng.choice([BID, ASK] * 10 + [2]), rng.randint(-1, 40), rng.randint(-1, 9))
        if op < 0.75:
            pair.same("update", v, *u)
        elif op < 0.85:
            seq = pair.model.books[v].seq if v in pair.model.books else 0
            pair.same("update_seq", v, seq + rng.choice([0, 1, 1, 1, 2]), *u)
        elif op < 0.92:
            pair.same_batch(v, [u] * rng.randint(0, 3))
        elif op < 0.95:
            pair.same("remove_venue", v)
        else:
            pair.same("level", rng.choice([BID, ASK]), rng.randint(1, 40))
        if rng.random() < 0.1:
            pair.check_state()
    pair.check_state()
