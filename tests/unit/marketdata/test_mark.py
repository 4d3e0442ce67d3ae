"""``oms.marketdata.mark``: the mark is the median of the venues' mids, rounded half to even."""

from __future__ import annotations

import pytest

import oms_core
from oms.marketdata.mark import mark_price, median_mid, round_half_even, venue_bests, venue_mids
from oms_core import ASK, BID

BTC = oms_core.InstrumentRegistry.builtin().get("BTC-USDT")


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(8, 4, 2), (9, 4, 2), (10, 4, 2), (11, 4, 3), (14, 4, 4), (3, 2, 2), (5, 2, 2), (7, 2, 4)],
)
def test_round_half_even_rounds_ties_to_the_even_integer(numerator, denominator, expected):
    assert round_half_even(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("mids_half_ticks", "mark"),
    [
        ([], None),
        ([200], 100),  # one venue: its mid
        ([201], 100),  # mid 100.5 is a tie: to even
        ([203], 102),  # mid 101.5: to even
        ([200, 204], 101),  # two venues: their mean
        ([200, 203], 101),  # mean 100.75: nearest
        ([200, 201], 100),  # mean 100.25: nearest
        ([200, 202], 100),  # mean 100.5: to even
        ([210, 200, 204], 102),  # odd count: the middle one, whatever the order
        ([200, 202, 204, 900], 102),  # even count: mean of the middle two; the outlier is ignored
        ([200, 200, 200, 2], 100),
    ],
)
def test_median_mid_table(mids_half_ticks, mark):
    assert median_mid(mids_half_ticks) == mark


def quote(book: oms_core.ConsolidatedBook, venue: str, bid: int | None, ask: int | None) -> None:
    for side, price in ((BID, bid), (ASK, ask)):
        if price is not None:
            book.update(venue, side, price, 1)


def test_one_sided_venues_have_no_mid_and_do_not_count():
    book = oms_core.ConsolidatedBook(BTC)
    quote(book, "a", 100, 102)
    quote(book, "b", 99, None)
    quote(book, "c", None, 150)
    quote(book, "d", 104, 106)
    assert venue_bests(book, BID) == [100, 99, None, 104]
    assert venue_bests(book, ASK) == [102, None, 150, 106]
    assert venue_mids(book) == [202, 210]
    assert mark_price(book) == 103


def test_a_book_without_two_sided_venues_has_no_mark():
    book = oms_core.ConsolidatedBook(BTC)
    assert mark_price(book) is None
    quote(book, "a", 100, None)
    quote(book, "b", None, 90)
    assert mark_price(book) is None


def test_a_venue_deep_below_the_others_is_still_found():
    book = oms_core.ConsolidatedBook(BTC)
    for price in range(1000, 1100):  # 100 bid levels at venue "a" above anything of "b"
        book.update("a", BID, price, 1)
    book.update("a", ASK, 1200, 1)
    quote(book, "b", 500, 502)
    assert venue_bests(book, BID) == [1099, 500]
    assert mark_price(book) == round_half_even(1099 + 1200 + 500 + 502, 4)


def test_venues_crossing_each_other_still_have_their_own_mids():
    book = oms_core.ConsolidatedBook(BTC)
    quote(book, "a", 100, 101)
    quote(book, "b", 103, 104)
    quote(book, "c", 101, 103)
    assert book.is_crossed()
    assert venue_mids(book) == [201, 207, 204]
    assert mark_price(book) == 102
