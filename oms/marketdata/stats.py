"""Rolling 24-hour trade figures (open, high, low, volume) for tickers.

Prints are folded into one-minute buckets, so a busy day costs 1,440 small tuples per symbol
instead of one object per print, and the window slides a minute at a time: ``open_24h`` is the
first price of the oldest minute still inside the window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import NamedTuple

DAY_NS = 86_400 * 1_000_000_000
MINUTE_NS = 60 * 1_000_000_000


class _Bucket(NamedTuple):
    start_ns: int
    open: int
    high: int
    low: int
    volume: int


class TradeWindow:
    """Open, high, low and volume (ticks, lots) of the prints of the last ``window_ns``."""

    __slots__ = (
        "_bucket_ns",
        "_closed",
        "_closed_high",
        "_closed_low",
        "_closed_volume",
        "_current",
        "_window_ns",
        "last",
    )

    def __init__(self, window_ns: int = DAY_NS, bucket_ns: int = MINUTE_NS) -> None:
        self._window_ns = window_ns
        self._bucket_ns = bucket_ns
        self._closed: deque[_Bucket] = deque()
        self._closed_high: int | None = None
        self._closed_low: int | None = None
        self._closed_volume = 0
        self._current: _Bucket | None = None
        self.last: int | None = None
        """The latest print's price, kept even after it leaves the window."""

    def add(self, price: int, qty: int, ts_ns: int) -> None:
        """Count a print; one older than the current minute counts in the current minute."""
        self.last = price
        current = self._current
        if current is not None and ts_ns < current.start_ns + self._bucket_ns:
            self._current = _Bucket(
                current.start_ns,
                current.open,
                max(current.high, price),
                min(current.low, price),
                current.volume + qty,
            )
            return
        if current is not None:
            self._closed.append(current)
            self._closed_volume += current.volume
            self._refresh_extremes()
        self._current = _Bucket(ts_ns - ts_ns % self._bucket_ns, price, price, price, qty)

    def expire(self, now_ns: int) -> None:
        """Forget the minutes that ended before the window that ends at ``now_ns``."""
        horizon = now_ns - self._window_ns
        closed = self._closed
        dropped = False
        while closed and closed[0].start_ns + self._bucket_ns <= horizon:
            self._closed_volume -= closed.popleft().volume
            dropped = True
        if dropped:
            self._refresh_extremes()
        current = self._current
        if current is not None and current.start_ns + self._bucket_ns <= horizon:
            self._current = None

    def _refresh_extremes(self) -> None:
        closed = self._closed
        self._closed_high = max(b.high for b in closed) if closed else None
        self._closed_low = min(b.low for b in closed) if closed else None

    @property
    def open(self) -> int | None:
        if self._closed:
            return self._closed[0].open
        return self._current.open if self._current is not None else None

    @property
    def high(self) -> int | None:
        return _extreme(max, self._closed_high, self._current.high if self._current else None)

    @property
    def low(self) -> int | None:
        return _extreme(min, self._closed_low, self._current.low if self._current else None)

    @property
    def volume(self) -> int:
        return self._closed_volume + (self._current.volume if self._current else 0)


def _extreme(choose: Callable[[int, int], int], a: int | None, b: int | None) -> int | None:
    """``choose(a, b)``, or whichever of them exists."""
    if a is None or b is None:
        return b if a is None else a
    return choose(a, b)


__all__ = ["DAY_NS", "MINUTE_NS", "TradeWindow"]
