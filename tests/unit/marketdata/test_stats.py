"""``oms.marketdata.stats.TradeWindow``: rolling open, high, low and volume in minute buckets."""

from __future__ import annotations

from oms.marketdata.stats import DAY_NS, MINUTE_NS, TradeWindow


def test_an_empty_window_has_no_figures():
    w = TradeWindow()
    assert (w.open, w.high, w.low, w.volume, w.last) == (None, None, None, 0, None)


def test_figures_span_every_minute_in_the_window():
    w = TradeWindow()
    w.add(100, 1, 0)
    w.add(90, 2, 10 * MINUTE_NS)
    w.add(120, 3, 10 * MINUTE_NS + 1)
    w.add(110, 4, 30 * MINUTE_NS)
    assert (w.open, w.high, w.low, w.volume, w.last) == (100, 120, 90, 10, 110)


def test_minutes_leave_the_window_a_day_after_they_end():
    w = TradeWindow()
    w.add(200, 1, 0)
    w.add(100, 2, 5 * MINUTE_NS)
    w.add(150, 4, 6 * MINUTE_NS)
    w.expire(DAY_NS + MINUTE_NS - 1)
    assert (w.open, w.high, w.volume) == (200, 200, 7)
    w.expire(DAY_NS + MINUTE_NS)
    assert (w.open, w.high, w.low, w.volume) == (100, 150, 100, 6)


def test_the_last_price_outlives_the_window():
    w = TradeWindow()
    w.add(100, 1, 0)
    w.expire(2 * DAY_NS)
    assert (w.open, w.high, w.low, w.volume, w.last) == (None, None, None, 0, 100)
    w.add(105, 1, 2 * DAY_NS)
    assert (w.open, w.high, w.low, w.volume) == (105, 105, 105, 1)
