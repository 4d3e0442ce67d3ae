"""A pure-Python reference of the L2 books in ``core_rs/src/book.rs`` and ``consolidated.rs``.

Plain dicts sorted on demand: slow, written for reading, and the executable spec that tests run
side by side with ``oms_core.OrderBook`` and ``oms_core.ConsolidatedBook``. Prices are in ticks,
sizes in lots, and errors carry the same stable codes as the ``oms_core`` exceptions, checked
in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

BID = 0
ASK = 1
NO_PRICE = 0
"""Stands for an empty side in ``apply_batch_top`` rows; real prices are positive."""

Level = tuple[int, int]
"""``(price_ticks, size_lots)``."""


class BookRuleError(Exception):
    """A refused call; ``code`` matches the ``oms_core`` exception's ``code``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def check_side(side: int) -> int:
    if side not in (BID, ASK):
        raise BookRuleError("INVALID_ARGUMENT", f"side {side}")
    return side


def check_seq(seq: int) -> int:
    if seq < 0:
        raise BookRuleError("INVALID_ARGUMENT", f"sequence number {seq}")
    return seq


def check_update(price: int, size: int) -> None:
    if price <= 0:
        raise BookRuleError("INVALID_PRICE", f"price {price}")
    if size < 0:
        raise BookRuleError("INVALID_QUANTITY", f"size {size}")


def check_columns(sides: Sequence[int], prices: Sequence[int], sizes: Sequence[int]) -> None:
    """Checks a whole batch before any of it is applied, entries in order."""
    if not len(sides) == len(prices) == len(sizes):
        raise BookRuleError("INVALID_ARGUMENT", "column lengths differ")
    for side, price, size in zip(sides, prices, sizes, strict=True):
        check_side(side)
        check_update(price, size)


def check_snapshot_side(levels: Sequence[Level]) -> None:
    if any(price <= 0 for price, _ in levels):
        raise BookRuleError("INVALID_PRICE", "snapshot price")
    if any(size <= 0 for _, size in levels):
        raise BookRuleError("INVALID_QUANTITY", "snapshot size")
    if len({price for price, _ in levels}) != len(levels):
        raise BookRuleError("INVALID_ARGUMENT", "duplicate snapshot price")


class BookModel:
    """One venue's book: the rules of ``oms_core.OrderBook``."""

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.seq = 0

    def _apply_checked(self, side: int, price: int, size: int) -> None:
        own, other = (self.bids, self.asks) if side == BID else (self.asks, self.bids)
        if size == 0:
            own.pop(price, None)
            return
        own[price] = size
        # A positive size removes the other side's levels at or through its price.
        crossed = [p for p in other if (p <= price if side == BID else p >= price)]
        for p in crossed:
            del other[p]

    def apply(self, side: int, price: int, size: int) -> None:
        check_side(side)
        check_update(price, size)
        self._apply_checked(side, price, size)

    def top_prices(self) -> tuple[int | None, int | None]:
        return (max(self.bids, default=None), min(self.asks, default=None))

    def apply_top(self, side: int, price: int, size: int) -> tuple[int | None, int | None]:
        self.apply(side, price, size)
        return self.top_prices()

    def _accepts_seq(self, seq: int) -> bool:
        """True for the next number, False for a stale one; a skipped number is a gap."""
        if seq > self.seq + 1:
            raise BookRuleError("SEQUENCE_GAP", f"expected {self.seq + 1}, got {seq}")
        return seq == self.seq + 1

    def apply_seq(self, seq: int, side: int, price: int, size: int) -> bool:
        check_seq(seq)
        check_side(side)
        check_update(price, size)
        if not self._accepts_seq(seq):
            return False
        self._apply_checked(side, price, size)
        self.seq = seq
        return True

    def apply_batch(
        self, sides: Sequence[int], prices: Sequence[int], sizes: Sequence[int]
    ) -> None:
        check_columns(sides, prices, sizes)
        for update in zip(sides, prices, sizes, strict=True):
            self._apply_checked(*update)

    def apply_batch_top(
        self, sides: Sequence[int], prices: Sequence[int], sizes: Sequence[int]
    ) -> list[list[int]]:
        check_columns(sides, prices, sizes)
        tops = []
        for update in zip(sides, prices, sizes, strict=True):
            self._apply_checked(*update)
            bid, ask = self.top_prices()
            tops.append([NO_PRICE if bid is None else bid, NO_PRICE if ask is None else ask])
        return tops

    def apply_batch_seq(
        self,
        seqs: Sequence[int],
        sides: Sequence[int],
        prices: Sequence[int],
        sizes: Sequence[int],
    ) -> int:
        for seq in seqs:
            check_seq(seq)
        check_columns(sides, prices, sizes)
        if len(seqs) != len(sides):
            raise BookRuleError("INVALID_ARGUMENT", "one sequence number per update")
        last = self.seq
        for seq in seqs:
            if seq > last + 1:
                raise BookRuleError("SEQUENCE_GAP", f"expected {last + 1}, got {seq}")
            last = max(last, seq)
        applied = 0
        for seq, *update in zip(seqs, sides, prices, sizes, strict=True):
            if seq > self.seq:
                self._apply_checked(*update)
                self.seq = seq
                applied += 1
        return applied

    def load_snapshot(self, bids: Sequence[Level], asks: Sequence[Level], seq: int) -> None:
        check_seq(seq)
        check_snapshot_side(bids)
        check_snapshot_side(asks)
        if bids and asks and max(p for p, _ in bids) >= min(p for p, _ in asks):
            raise BookRuleError("INVALID_ARGUMENT", "crossed snapshot")
        self.bids = dict(bids)
        self.asks = dict(asks)
        self.seq = seq

    def best_bid(self) -> Level | None:
        bid = max(self.bids, default=None)
        return None if bid is None else (bid, self.bids[bid])

    def best_ask(self) -> Level | None:
        ask = min(self.asks, default=None)
        return None if ask is None else (ask, self.asks[ask])

    def spread(self) -> int | None:
        bid, ask = self.top_prices()
        return None if bid is None or ask is None else ask - bid

    def mid_half_ticks(self) -> int | None:
        bid, ask = self.top_prices()
        return None if bid is None or ask is None else ask + bid

    def is_crossed(self) -> bool:
        bid, ask = self.top_prices()
        return bid is not None and ask is not None and bid >= ask

    def side_levels(self, side: int) -> list[Level]:
        """All levels of a side, best first."""
        levels = self.bids if check_side(side) == BID else self.asks
        return sorted(levels.items(), reverse=side == BID)

    def depth(self, n: int) -> tuple[list[Level], list[Level]]:
        return self.side_levels(BID)[:n], self.side_levels(ASK)[:n]

    def size_at(self, side: int, price: int) -> int:
        return (self.bids if check_side(side) == BID else self.asks).get(price, 0)

    def level_count(self, side: int) -> int:
        return len(self.bids if check_side(side) == BID else self.asks)

    def fill_price(self, side_taken: int, qty: int) -> tuple[Fraction, int] | None:
        """Average price (ticks, exact) and worst price of taking ``qty`` lots, or None."""
        levels = self.side_levels(side_taken)
        if qty <= 0:
            raise BookRuleError("INVALID_QUANTITY", f"quantity {qty}")
        left, notional = qty, 0
        for price, size in levels:
            take = min(left, size)
            notional += price * take
            left -= take
            if left == 0:
                return Fraction(notional, qty), price
        return None


class ConsolidatedModel:
    """Several venues' books for one symbol: the rules of ``oms_core.ConsolidatedBook``."""

    def __init__(self) -> None:
        self.books: dict[str, BookModel] = {}

    def venues(self) -> list[str]:
        return list(self.books)

    def _change(self, venue: str, method: str, *args: object) -> object:
        """Calls ``method`` on the venue's book; a new venue is kept only if the call succeeds."""
        book = self.books.get(venue, BookModel())
        result = getattr(book, method)(*args)
        self.books.setdefault(venue, book)
        return result

    def update(self, venue: str, side: int, price: int, size: int) -> None:
        self._change(venue, "apply", side, price, size)

    def update_seq(self, venue: str, seq: int, side: int, price: int, size: int) -> bool:
        return bool(self._change(venue, "apply_seq", seq, side, price, size))

    def update_batch(
        self, venue: str, sides: Sequence[int], prices: Sequence[int], sizes: Sequence[int]
    ) -> None:
        self._change(venue, "apply_batch", sides, prices, sizes)

    def load_snapshot(
        self, venue: str, bids: Sequence[Level], asks: Sequence[Level], seq: int
    ) -> None:
        self._change(venue, "load_snapshot", bids, asks, seq)

    def remove_venue(self, venue: str) -> bool:
        return self.books.pop(venue, None) is not None

    def venue_seq(self, venue: str) -> int:
        if venue not in self.books:
            raise BookRuleError("INVALID_ARGUMENT", f"unknown venue {venue!r}")
        return self.books[venue].seq

    def _merged(self, side: int) -> list[tuple[int, dict[str, int]]]:
        """Every price of a side across venues, best first, with each venue's size."""
        prices: dict[int, dict[str, int]] = {}
        for venue, book in self.books.items():
            for price, size in book.side_levels(side):
                prices.setdefault(price, {})[venue] = size
        return sorted(prices.items(), reverse=side == BID)

    def _top(self, side: int) -> tuple[int, int, list[str]] | None:
        merged = self._merged(side)
        if not merged:
            return None
        price, sizes = merged[0]
        return price, sum(sizes.values()), list(sizes)

    def best_bid(self) -> tuple[int, int, list[str]] | None:
        return self._top(BID)

    def best_ask(self) -> tuple[int, int, list[str]] | None:
        return self._top(ASK)

    def spread(self) -> int | None:
        bid, ask = self.best_bid(), self.best_ask()
        return None if bid is None or ask is None else ask[0] - bid[0]

    def is_crossed(self) -> bool:
        spread = self.spread()
        return spread is not None and spread <= 0

    def depth(self, n: int) -> tuple[list[Level], list[Level]]:
        def side_depth(side: int) -> list[Level]:
            return [(price, sum(sizes.values())) for price, sizes in self._merged(side)[:n]]

        return side_depth(BID), side_depth(ASK)

    def depth_by_venue(self, side: int, n: int) -> list[list[int]]:
        check_side(side)
        venues = self.venues()
        return [
            [price, *(sizes.get(v, 0) for v in venues)] for price, sizes in self._merged(side)[:n]
        ]

    def level(self, side: int, price: int) -> dict[str, int]:
        check_side(side)
        return {v: b.size_at(side, price) for v, b in self.books.items() if b.size_at(side, price)}
