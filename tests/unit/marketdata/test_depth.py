"""``oms.marketdata.depth``: diffs of the published top and snapshots taken from it."""

from __future__ import annotations

import numpy as np

import oms_core
from oms.marketdata.depth import PublishedTop

BTC = oms_core.InstrumentRegistry.builtin().get("BTC-USDT")


def rows(levels: list[tuple[int, int]]) -> np.ndarray:
    return np.array(levels, dtype=np.int64).reshape(-1, 2)


def test_the_first_diff_is_the_whole_top_best_first():
    top = PublishedTop()
    changed = top.advance(rows([(100, 1), (99, 2)]), rows([(101, 3), (102, 4)]), 5)
    assert changed == ([(100, 1), (99, 2)], [(101, 3), (102, 4)])
    assert (top.seq, top.ts_ns) == (1, 5)


def test_a_diff_holds_new_and_resized_levels_and_removes_what_left_with_size_0():
    top = PublishedTop()
    top.advance(rows([(100, 1), (99, 2)]), rows([(101, 3), (102, 4)]), 1)
    changed = top.advance(rows([(100, 1), (98, 5)]), rows([(101, 7), (102, 4)]), 2)
    assert changed == ([(99, 0), (98, 5)], [(101, 7)])
    assert top.seq == 2


def test_an_unchanged_top_publishes_nothing_and_keeps_its_seq():
    top = PublishedTop()
    top.advance(rows([(100, 1)]), rows([(101, 1)]), 1)
    assert top.advance(rows([(100, 1)]), rows([(101, 1)]), 2) is None
    assert (top.seq, top.ts_ns) == (1, 1)


def test_the_snapshot_is_the_published_top_as_decimal_strings():
    top = PublishedTop()
    top.advance(rows([(6_000_000, 150), (5_999_999, 1)]), rows([(6_000_001, 100_000)]), 9)
    snap = top.snapshot(BTC, levels=1)
    assert (snap.symbol, snap.seq, snap.ts_ns) == ("BTC-USDT", 1, 9)
    assert snap.bids == [("60000", "0.0015")]
    assert snap.asks == [("60000.01", "1")]
