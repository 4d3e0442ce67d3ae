"""``BookLiquidity``: the displayed book less what the venue took, until the level changes."""

from __future__ import annotations

from oms.events import BookUpdate
from oms.venue.liquidity import BookLiquidity
from oms_core import ASK, BID, ConsolidatedBook, InstrumentRegistry

BTC = InstrumentRegistry.builtin().get("BTC-USDT")


def book_with(asks: list[tuple[int, int]], bids: list[tuple[int, int]] = ()) -> ConsolidatedBook:
    book = ConsolidatedBook(BTC)
    for price, lots in asks:
        book.update("binance", ASK, price, lots)
    for price, lots in bids:
        book.update("binance", BID, price, lots)
    return book


def update(asks: list[tuple[int, int]] = (), *, snapshot: bool = False) -> BookUpdate:
    return BookUpdate("BTC-USDT", 1, bids=[], asks=list(asks), ts_ns=0, snapshot=snapshot)


def test_take_walks_levels_best_first_and_stops_at_the_limit():
    book = book_with([(101, 5), (102, 5), (104, 5)])
    liquidity = BookLiquidity()
    assert liquidity.take(book, ASK, 102, 100) == [(101, 5), (102, 5)]
    assert liquidity.take(book, ASK, None, 3) == [(104, 3)]


def test_bids_are_taken_from_the_highest_down_to_a_floor():
    book = book_with([], bids=[(99, 2), (98, 2), (97, 2)])
    assert BookLiquidity().take(book, BID, 98, 10) == [(99, 2), (98, 2)]


def test_taken_lots_are_not_offered_again_until_the_level_changes():
    book = book_with([(101, 5), (102, 5)])
    liquidity = BookLiquidity()
    liquidity.take(book, ASK, None, 7)
    assert list(liquidity.levels(book, ASK)) == [(102, 3)]
    assert liquidity.best(book, ASK) == 102

    liquidity.forget(update([(101, 5)]))
    assert list(liquidity.levels(book, ASK)) == [(101, 5), (102, 3)]

    liquidity.forget(update(snapshot=True))
    assert list(liquidity.levels(book, ASK)) == [(101, 5), (102, 5)]


def test_available_counts_without_taking():
    book = book_with([(101, 5), (102, 5)])
    liquidity = BookLiquidity()
    assert liquidity.available(book, ASK, 101, 100) == 5
    assert liquidity.available(book, ASK, None, 7) == 7
    assert liquidity.take(book, ASK, None, 10) == [(101, 5), (102, 5)]
    assert liquidity.available(book, ASK, None, 1) == 0
    assert liquidity.best(book, ASK) is None


def test_a_walk_deeper_than_the_first_fetch_reaches_every_level():
    book = book_with([(100 + i, 1) for i in range(50)])
    taken = BookLiquidity().take(book, ASK, None, 45)
    assert taken == [(100 + i, 1) for i in range(45)]
