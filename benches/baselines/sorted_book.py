"""The usual fast pure-Python L2 book: two ``sortedcontainers.SortedDict``, one per side.

It follows the same rules as ``oms_core.OrderBook`` (size 0 deletes, a positive size removes
the other side's levels at or through its price) so that benchmarks compare equal work.
"""

from __future__ import annotations

from collections.abc import Iterable

from sortedcontainers import SortedDict

BID = 0


class SortedBook:
    """Bids and asks keyed by price in ticks, sizes in lots."""

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()

    def apply(self, side: int, price: int, size: int) -> None:
        if price <= 0 or size < 0:
            raise ValueError(f"bad update {side} {price} {size}")
        if side == BID:
            if size == 0:
                self.bids.pop(price, None)
                return
            self.bids[price] = size
            asks = self.asks
            while asks and asks.peekitem(0)[0] <= price:
                asks.popitem(0)
        else:
            if size == 0:
                self.asks.pop(price, None)
                return
            self.asks[price] = size
            bids = self.bids
            while bids and bids.peekitem(-1)[0] >= price:
                bids.popitem(-1)

    def apply_top(self, side: int, price: int, size: int) -> tuple[int | None, int | None]:
        """``apply``, then the best bid and ask prices."""
        self.apply(side, price, size)
        bids, asks = self.bids, self.asks
        return (bids.peekitem(-1)[0] if bids else None, asks.peekitem(0)[0] if asks else None)

    def apply_batch(self, updates: Iterable[tuple[int, int, int]]) -> None:
        apply = self.apply
        for side, price, size in updates:
            apply(side, price, size)

    def depth(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Up to ``n`` ``(price, size)`` levels per side, best first."""
        bids, asks = self.bids, self.asks
        bid_prices = bids.islice(max(0, len(bids) - n), reverse=True)
        ask_prices = asks.islice(0, n)
        return [(p, bids[p]) for p in bid_prices], [(p, asks[p]) for p in ask_prices]
