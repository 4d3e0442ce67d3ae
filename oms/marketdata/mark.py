"""The mark price: the median of the venues' mid prices, on the instrument's tick grid.

A median ignores one venue quoting far off the others (a stale feed, a thin book, a fat
finger), which a mean or the consolidated mid would not. Everything is integer: a mid is kept in
half ticks (bid + ask) and the median of an even count in quarter ticks, so no rounding happens
until the one documented rounding to whole ticks at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oms_core import ASK, BID, ConsolidatedBook

_FIRST_ROWS = 8
"""Merged levels read first when looking for each venue's best price; grown if one is missing."""


def round_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties to the even one.

    Ties to even keep the mark unbiased: with one-tick spreads every mid is a tie, and
    rounding them all up (or down) would shift the mark half a tick to one side.
    """
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def median_mid(mids_half_ticks: Sequence[int]) -> int | None:
    """The median of mids given in half ticks, in whole ticks (None without any mid).

    One mid is its own median; an even count takes the mean of the middle two (two venues:
    their mean). The result is rounded half to even onto the tick grid.
    """
    count = len(mids_half_ticks)
    if count == 0:
        return None
    ordered = sorted(mids_half_ticks)
    middle = count // 2
    if count % 2:
        return round_half_even(ordered[middle], 2)
    return round_half_even(ordered[middle - 1] + ordered[middle], 4)


def venue_bests(book: ConsolidatedBook, side: int) -> list[int | None]:
    """Each venue's best price on ``side`` (None for an empty side), in ``book.venues()`` order.

    Reads merged depth with one size column per venue: a venue's best price is the first row
    where its column is positive. Venues rarely sit far apart, so a few rows usually suffice.
    """
    rows = _FIRST_ROWS
    while True:
        depth = book.depth_by_venue(side, rows)
        quoted = depth[:, 1:] > 0
        found: list[bool] = np.asarray(quoted.any(axis=0)).tolist()
        if all(found) or len(depth) < rows:
            if not len(depth):
                return [None] * len(found)
            prices: list[int] = depth[quoted.argmax(axis=0), 0].tolist()
            return [p if f else None for p, f in zip(prices, found, strict=True)]
        rows *= 4


def venue_mids(book: ConsolidatedBook) -> list[int]:
    """The mid of every venue quoting both sides, in half ticks; one-sided venues have none."""
    bids = venue_bests(book, BID)
    asks = venue_bests(book, ASK)
    return [b + a for b, a in zip(bids, asks, strict=True) if b is not None and a is not None]


def mark_price(book: ConsolidatedBook) -> int | None:
    """The mark of ``book`` in ticks, or None while no venue quotes both sides."""
    return median_mid(venue_mids(book))


__all__ = ["mark_price", "median_mid", "round_half_even", "venue_bests", "venue_mids"]
