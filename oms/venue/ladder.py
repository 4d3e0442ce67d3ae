"""Orders indexed by price, so a market event touches only the orders it can reach."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class PriceLadder(Generic[T]):
    """Items queued by an integer key: lowest key first, first in first out within a key.

    Callers file items so that lower means sooner: a resting buy at price p under ``-p`` and a
    sell under ``p`` (best price first); a buy stop under its stop price and a sell stop under
    ``-stop`` (first to trigger first). "Everything a price reaches" is then one prefix of the
    sorted keys, found by bisection.
    """

    __slots__ = ("_keys", "_levels")

    def __init__(self) -> None:
        self._keys: list[int] = []
        self._levels: dict[int, dict[int, T]] = {}

    def __bool__(self) -> bool:
        return bool(self._keys)

    def add(self, key: int, item_id: int, item: T) -> None:
        """Queue ``item`` last at ``key``."""
        level = self._levels.get(key)
        if level is None:
            level = self._levels[key] = {}
            insort(self._keys, key)
        level[item_id] = item

    def remove(self, key: int, item_id: int) -> None:
        """Drop the item filed under ``key``; it must be there."""
        level = self._levels[key]
        del level[item_id]
        if not level:
            del self._levels[key]
            del self._keys[bisect_left(self._keys, key)]

    def through(self, limit_key: int) -> Iterator[T]:
        """The items filed at keys ≤ ``limit_key``, in queue order.

        The caller may remove the items it is given while iterating.
        """
        for key in self._keys[: bisect_right(self._keys, limit_key)]:
            level = self._levels.get(key)
            if level is not None:
                yield from list(level.values())


__all__ = ["PriceLadder"]
