"""The top of a consolidated book as last published: the diffs for the bus, the snapshots for
new readers.

Readers rebuild the top levels from a snapshot plus every later ``BookUpdate``. A snapshot must
therefore be taken from the *published* levels, not the live book: a level that appeared and
vanished between two publications is in neither diff, and a live snapshot holding it would
keep it forever.
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from oms_core import Instrument

Levels = list[tuple[int, int]]
"""``[(price_ticks, size_lots), ...]``."""


class BookSnapshot(msgspec.Struct, frozen=True, gc=False):
    """The top levels of a book as decimal strings, at book sequence ``seq``.

    A client applies the ``BookUpdate`` messages with ``seq`` greater than this one, in order.
    """

    symbol: str
    seq: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]
    ts_ns: int


class PublishedTop:
    """The top levels of one symbol last published, and its book sequence number."""

    __slots__ = ("asks", "bids", "seq", "ts_ns")

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.seq = 0
        self.ts_ns = 0

    def advance(
        self, bids: npt.NDArray[np.int64], asks: npt.NDArray[np.int64], ts_ns: int
    ) -> tuple[Levels, Levels] | None:
        """Make ``(bids, asks)`` (depth rows, best first) the published top.

        Returns the changed levels of each side, best first, a level that left the top with
        size 0; or None, changing nothing, when the top is as published.
        """
        new_bids = _level_map(bids)
        new_asks = _level_map(asks)
        bid_changes = _changes(self.bids, new_bids, best_first_descending=True)
        ask_changes = _changes(self.asks, new_asks, best_first_descending=False)
        if not bid_changes and not ask_changes:
            return None
        self.bids, self.asks = new_bids, new_asks
        self.seq += 1
        self.ts_ns = ts_ns
        return bid_changes, ask_changes

    def snapshot(self, instrument: Instrument, levels: int) -> BookSnapshot:
        """The best ``levels`` published levels of each side, as decimal strings."""
        price, qty = instrument.ticks_to_price, instrument.lots_to_qty
        bids = sorted(self.bids.items(), reverse=True)[:levels]
        asks = sorted(self.asks.items())[:levels]
        return BookSnapshot(
            symbol=instrument.symbol,
            seq=self.seq,
            bids=[(str(price(p)), str(qty(s))) for p, s in bids],
            asks=[(str(price(p)), str(qty(s))) for p, s in asks],
            ts_ns=self.ts_ns,
        )


def _level_map(rows: npt.NDArray[np.int64]) -> dict[int, int]:
    prices, sizes = rows.T.tolist()
    return dict(zip(prices, sizes, strict=True))


def _changes(old: dict[int, int], new: dict[int, int], *, best_first_descending: bool) -> Levels:
    changed = [(p, s) for p, s in new.items() if old.get(p) != s]
    changed += [(p, 0) for p in old if p not in new]
    changed.sort(reverse=best_first_descending)
    return changed


__all__ = ["BookSnapshot", "Levels", "PublishedTop"]
