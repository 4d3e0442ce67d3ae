"""A small HDR-style latency histogram: log-linear buckets, three significant digits.

Values are recorded in microseconds as integers. Below ``2 * SUB`` every value has its own
bucket; above, each power of two is split into ``SUB`` linear buckets, so the relative error
of any reported percentile is below 1 / SUB (0.1%). Recording is one dict update, cheap
enough to call once per request from the generator's event loop; histograms merge by adding
counts, so per-second or per-process histograms combine exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SUB_BITS = 10
SUB = 1 << SUB_BITS
"""Linear buckets per power of two (2**10: three significant decimal digits)."""

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)


def bucket_of(value: int) -> int:
    """The bucket index of a non-negative value."""
    if value < 2 * SUB:
        return value
    shift = value.bit_length() - SUB_BITS - 1
    return (shift << SUB_BITS) + (value >> shift)


def bucket_top(index: int) -> int:
    """The largest value that falls in bucket ``index`` (what a percentile reports)."""
    if index < 2 * SUB:
        return index
    shift = (index >> SUB_BITS) - 1
    sub = index - (shift << SUB_BITS)
    return ((sub + 1) << shift) - 1


class LatencyHistogram:
    """Counts of latencies in microseconds; exact count, min, max and mean."""

    __slots__ = ("_counts", "count", "max", "min", "total")

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self.count = 0
        self.total = 0
        self.min = 0
        self.max = 0

    def record(self, micros: int) -> None:
        """Add one latency (negative values, from clock skew, count as zero)."""
        value = micros if micros > 0 else 0
        index = value if value < 2 * SUB else bucket_of(value)
        counts = self._counts
        counts[index] = counts.get(index, 0) + 1
        if self.count == 0 or value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        self.count += 1
        self.total += value

    def record_seconds(self, seconds: float) -> None:
        self.record(int(seconds * 1e6))

    def merge(self, other: LatencyHistogram) -> None:
        """Add another histogram's counts to this one."""
        if other.count == 0:
            return
        for index, n in other._counts.items():
            self._counts[index] = self._counts.get(index, 0) + n
        self.min = other.min if self.count == 0 else min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.count += other.count
        self.total += other.total

    def percentile(self, pct: float) -> int:
        """The smallest recorded value (bucket top, capped at the max) at or above ``pct``%."""
        if self.count == 0:
            return 0
        rank = max(1, -(-int(pct * self.count * 1000) // 100_000))  # ceil(pct/100 * count)
        seen = 0
        for index in sorted(self._counts):
            seen += self._counts[index]
            if seen >= rank:
                return min(bucket_top(index), self.max)
        return self.max

    def summary(self, percentiles: Iterable[float] = PERCENTILES) -> dict[str, float | int]:
        """Count, mean and percentiles in milliseconds (what the report shows)."""
        result: dict[str, float | int] = {"count": self.count}
        if self.count == 0:
            return result
        result["mean_ms"] = round(self.total / self.count / 1000, 3)
        result["min_ms"] = round(self.min / 1000, 3)
        for pct in percentiles:
            result[f"p{pct:g}_ms"] = round(self.percentile(pct) / 1000, 3)
        result["max_ms"] = round(self.max / 1000, 3)
        return result

    def to_json(self) -> dict[str, object]:
        """Sparse counts (bucket top in µs → count): enough to re-derive any percentile."""
        return {
            "unit": "us",
            "sub_buckets": SUB,
            "counts": {str(bucket_top(i)): n for i, n in sorted(self._counts.items())},
        }

    @classmethod
    def from_counts(cls, counts: Mapping[int, int]) -> LatencyHistogram:
        """Rebuild from ``{value_us: count}`` (as ``to_json`` wrote it)."""
        histogram = cls()
        for value, n in counts.items():
            if n <= 0:
                continue
            single = cls()
            single.record(value)
            single._counts = {index: n for index in single._counts}
            single.count = n
            single.total = single.min * n
            histogram.merge(single)
        return histogram
