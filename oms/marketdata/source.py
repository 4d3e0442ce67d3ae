"""What a market data source hands the service: raw per-venue book changes and prints.

A source is polled with the current time and returns everything that became due since the
last poll, in the order it happened. Pulling (rather than pushing) keeps the service's loop the
only clock: tests drive a source with made-up times, and a slow consumer simply polls later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from oms.events import SideName


@dataclass(frozen=True, slots=True)
class VenuePrint:
    """One trade at a venue: price in ticks, quantity in lots, the taker's side."""

    price: int
    qty: int
    aggressor: SideName
    ts_ns: int


@dataclass(frozen=True, slots=True)
class VenueUpdate:
    """Changes to one venue's book of one symbol, applied in list order.

    ``sides[i]`` (``BID``/``ASK``), ``prices[i]`` (ticks) and ``sizes[i]`` (lots, 0 deletes)
    describe one level each. ``snapshot`` True means the venue's previous book is dropped
    first, so the levels are its whole book. Prints come after the level changes.
    """

    venue: str
    symbol: str
    ts_ns: int
    sides: list[int] = field(default_factory=list)
    prices: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    prints: list[VenuePrint] = field(default_factory=list)
    snapshot: bool = False


class MarketSource(Protocol):
    """Venue feeds: simulated (``oms.marketdata.sim``) or recorded (``oms.marketdata.replay``)."""

    def poll(self, now_ns: int) -> list[VenueUpdate]:
        """Every update due at or before ``now_ns`` not returned yet, oldest first.

        The first poll anchors the source's clock; times must not go backwards.
        """
        ...


__all__ = ["MarketSource", "VenuePrint", "VenueUpdate"]
