"""The consolidated book as a simulated venue may take from it: displayed size less what it took.

The venue trades against market data it does not own, so it cannot remove what its fills take.
Instead it remembers, per symbol, side and price, the lots it has taken; a level offers its
displayed size minus that. The memory of a level ends when a ``BookUpdate`` changes that level
(or any snapshot of the symbol arrives): the new size is the market's own answer, which already
reflects whatever was traded there.
"""

from __future__ import annotations

from collections.abc import Iterator

from oms.events import BookUpdate
from oms_core import ASK, BID, ConsolidatedBook

_FIRST_DEPTH = 8
"""Levels fetched first; a walk that goes deeper fetches four times as many, and so on."""


def _displayed(book: ConsolidatedBook, side: int) -> Iterator[tuple[int, int]]:
    """``(price, lots)`` of one side of the book, best first, fetched only as deep as needed."""
    n, seen = _FIRST_DEPTH, 0
    while True:
        rows = book.depth(n)[side]
        yield from zip(rows[seen:, 0].tolist(), rows[seen:, 1].tolist(), strict=True)
        if len(rows) < n:
            return
        n, seen = n * 4, len(rows)


def _reaches(side: int, price: int, limit: int | None) -> bool:
    """Whether a taker limited to ``limit`` (None: a market order) may trade at ``price``."""
    return limit is None or (price <= limit if side == ASK else price >= limit)


class BookLiquidity:
    """What each level of the consolidated books still offers to this venue's orders."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[str, tuple[dict[int, int], dict[int, int]]] = {}

    def forget(self, update: BookUpdate) -> None:
        """Drop what was taken at the levels ``update`` changes (all of them on a snapshot)."""
        taken = self._taken.get(update.symbol)
        if taken is None:
            return
        if update.snapshot:
            del self._taken[update.symbol]
            return
        for side, levels in ((taken[BID], update.bids), (taken[ASK], update.asks)):
            for price, _ in levels:
                side.pop(price, None)

    def levels(self, book: ConsolidatedBook, side: int) -> Iterator[tuple[int, int]]:
        """``(price, lots)`` still offered on ``side`` of ``book``, best first."""
        taken = self._taken.get(book.symbol)
        if taken is None:
            yield from _displayed(book, side)
            return
        side_taken = taken[side]
        for price, size in _displayed(book, side):
            left = size - side_taken.get(price, 0)
            if left > 0:
                yield price, left

    def best(self, book: ConsolidatedBook, side: int) -> int | None:
        """The best price still offered on ``side``, or None."""
        for price, _ in self.levels(book, side):
            return price
        return None

    def available(self, book: ConsolidatedBook, side: int, limit: int | None, want: int) -> int:
        """How many of ``want`` lots a taker limited to ``limit`` could take now."""
        got = 0
        for price, lots in self.levels(book, side):
            if got >= want or not _reaches(side, price, limit):
                break
            got += lots
        return min(got, want)

    def take(
        self, book: ConsolidatedBook, side: int, limit: int | None, want: int
    ) -> list[tuple[int, int]]:
        """Take up to ``want`` lots from ``side`` at prices ``limit`` reaches, best first.

        Returns the ``(price, lots)`` taken per level and remembers them as gone.
        """
        fills: list[tuple[int, int]] = []
        if want <= 0:
            return fills
        for price, lots in self.levels(book, side):
            if not _reaches(side, price, limit):
                break
            lots = min(lots, want)
            fills.append((price, lots))
            want -= lots
            if not want:
                break
        if fills:
            side_taken = self._taken.setdefault(book.symbol, ({}, {}))[side]
            for price, lots in fills:
                side_taken[price] = side_taken.get(price, 0) + lots
        return fills


__all__ = ["BookLiquidity"]
