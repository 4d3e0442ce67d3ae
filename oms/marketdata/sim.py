"""Simulated venues: a few L2 books per instrument around one shared random-walk price.

Each underlying (``BTC/USDT``, ...) has one fair price: a geometric random walk whose volatility
switches between a calm and a volatile regime (a two-state Markov chain); a perpetual adds a
slowly mean-reverting premium to its spot's price. Every venue quotes that price shifted by its
own small mean-reverting offset (with rare jumps), so venues drift apart and now and then cross
each other, with a spread from its own regime (tight, normal, wide). A venue event requotes the
touch toward that target, sometimes prints a trade at the touch (now and then sweeping a few
levels, which pushes the venue's offset the aggressor's way), resizes a few levels and tops the
ladder up to about ``LEVELS`` levels per side.

The floats of the model are turned into ticks and lots once, when a level is written. Every
random draw comes from a ``random.Random`` seeded by the settings' seed and the book's or
underlying's name, and events of all books are processed in time order, so one seed gives the
same stream whatever the polling cadence.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
from collections.abc import Iterable

from oms.events import SideName
from oms.marketdata.source import VenuePrint, VenueUpdate
from oms_core import ASK, BID, Instrument, InstrumentRegistry

START_PRICES = {"BTC": 60_000.0, "ETH": 3_000.0, "SOL": 150.0}
"""Opening fair price by base asset, in quote units; other bases start at ``OTHER_START``."""
OTHER_START = 100.0

LEVELS = 20
"""Levels a venue keeps per side; up to ``LEVELS + SLACK`` after a fast move, before trimming."""
SLACK = 4

STEP_NS = 100_000_000
"""The fair price moves in steps of 100 ms."""
YEAR_S = 365 * 86_400.0
VOLATILITY = (0.6, 2.0)
"""Annualised volatility of the calm and the volatile regime."""
REGIME_MEAN_S = (180.0, 30.0)
"""Mean time spent in the calm and in the volatile regime."""
PREMIUM_SD = 3e-4
"""Spread of a perpetual's premium over spot (3 bp), mean-reverting over ``PREMIUM_TAU_S``."""
PREMIUM_TAU_S = 600.0

SPREAD_BPS = (0.5, 1.5, 4.0)
"""A venue's quoted spread (basis points of the price) in its tight, normal and wide regime."""
SPREAD_SWITCH_PER_S = (1 / 15, 1 / 60, 1 / 15)
"""Rate of leaving each spread regime: normal for minutes, tight or wide for seconds."""
OFFSET_SD = 0.25e-4
"""A venue's price offset from fair: mean-reverting, 0.25 bp spread, over ``OFFSET_TAU_S``."""
OFFSET_TAU_S = 20.0
JUMP_PER_S = 1 / 600
"""Rate of jumps in a venue's offset, of ``JUMP_SD`` (what makes venues cross now and then)."""
JUMP_SD = 1.5e-4

LEVEL_GAP_BPS = 0.3
"""Mean distance between a venue's levels, in basis points of the price."""
LEVEL_NOTIONAL = 30_000.0
"""Median size of a level at the touch, in quote units; deeper levels are larger."""
RESIZE_MAX = 3
"""Levels whose size changes per event (1 to ``RESIZE_MAX``), one in ten of them pulled."""

TRADE_CHANCE = 0.15
"""Chance that a venue event prints a trade at the touch after requoting."""
SWEEP_CHANCE = 0.15
"""Chance that a print sweeps 1-3 whole levels."""
IMPACT_BPS = 0.1
"""How far each swept level moves the venue's offset in the aggressor's direction."""


def venue_names(count: int) -> list[str]:
    """``SIM-A``, ``SIM-B``, ... for ``count`` venues."""
    return [f"SIM-{chr(ord('A') + i)}" for i in range(count)]


class FairPrice:
    """One underlying's price: a random walk with calm and volatile regimes, and the premium
    its perpetuals trade at. Advanced lazily, in fixed steps, by ``advance``."""

    __slots__ = ("_rng", "_t_ns", "premium", "price", "volatile")

    def __init__(self, rng: random.Random, price: float, t0_ns: int) -> None:
        self._rng = rng
        self._t_ns = t0_ns
        self.price = price
        self.premium = 0.0
        self.volatile = False

    def advance(self, t_ns: int) -> None:
        """Take every step that ends at or before ``t_ns``."""
        rng = self._rng
        step_s = STEP_NS / 1e9
        decay = math.exp(-step_s / PREMIUM_TAU_S)
        premium_kick = PREMIUM_SD * math.sqrt(1.0 - decay * decay)
        while self._t_ns + STEP_NS <= t_ns:
            self._t_ns += STEP_NS
            if rng.random() < step_s / REGIME_MEAN_S[self.volatile]:
                self.volatile = not self.volatile
            sigma = VOLATILITY[self.volatile] * math.sqrt(step_s / YEAR_S)
            self.price *= math.exp(sigma * rng.gauss(0.0, 1.0) - 0.5 * sigma * sigma)
            self.premium = self.premium * decay + premium_kick * rng.gauss(0.0, 1.0)


class Ladder:
    """One side of a simulated venue book, best level first.

    Keys are prices signed so that smaller is better on both sides (``-price`` for bids), which
    lets one piece of code serve bids and asks.
    """

    __slots__ = ("keys", "side", "sign", "sizes")

    def __init__(self, side: int) -> None:
        self.side = side
        self.sign = -1 if side == BID else 1
        self.keys: list[int] = []
        self.sizes: dict[int, int] = {}

    def price(self, key: int) -> int:
        return self.sign * key

    def key(self, price: int) -> int:
        return self.sign * price


class _Changes:
    """The level changes of one event, as the columns of a ``VenueUpdate``."""

    __slots__ = ("prices", "sides", "sizes")

    def __init__(self) -> None:
        self.sides: list[int] = []
        self.prices: list[int] = []
        self.sizes: list[int] = []

    def set(self, ladder: Ladder, key: int, size: int) -> None:
        """Set a level in ``ladder`` (size 0 deletes it) and record the change."""
        if size:
            if key not in ladder.sizes:
                bisect.insort(ladder.keys, key)
            ladder.sizes[key] = size
        else:
            ladder.keys.remove(key)
            del ladder.sizes[key]
        self.sides.append(ladder.side)
        self.prices.append(ladder.price(key))
        self.sizes.append(size)


class VenueBook:
    """One simulated venue's book of one instrument, and the model that moves it."""

    __slots__ = (
        "_gap",
        "_lots_per_quote",
        "_min_lots",
        "_perpetual",
        "_rng",
        "_tick",
        "asks",
        "bids",
        "fair",
        "interval_ns",
        "last_ns",
        "next_ns",
        "offset",
        "spread_regime",
        "symbol",
        "venue",
    )

    def __init__(
        self,
        instrument: Instrument,
        venue: str,
        fair: FairPrice,
        rng: random.Random,
        interval_ns: float,
        t0_ns: int,
    ) -> None:
        self.symbol = instrument.symbol
        self.venue = venue
        self.fair = fair
        self._rng = rng
        self._perpetual = instrument.kind == "perpetual"
        self._tick = float(instrument.tick_size)
        self._min_lots = instrument.qty_to_lots(instrument.min_qty)
        self._lots_per_quote = 1.0 / (fair.price * float(instrument.lot_size))
        self._gap = max(1.0, fair.price * LEVEL_GAP_BPS * 1e-4 / self._tick)
        self.interval_ns = interval_ns
        self.bids = Ladder(BID)
        self.asks = Ladder(ASK)
        self.offset = rng.gauss(0.0, OFFSET_SD)
        self.spread_regime = 1
        self.last_ns = t0_ns
        self.next_ns = t0_ns + self._wait_ns()

    def _wait_ns(self) -> int:
        return 1 + int(self._rng.expovariate(1.0 / self.interval_ns))

    def snapshot(self) -> VenueUpdate:
        """The opening book: ``LEVELS`` levels per side around the target quotes."""
        changes = _Changes()
        bid, ask = self._targets()
        for ladder, touch in ((self.bids, bid), (self.asks, ask)):
            changes.set(ladder, ladder.key(touch), self._level_size(0))
            self._extend(ladder, changes)
        return self._update(self.last_ns, changes, [], snapshot=True)

    def step(self, t_ns: int) -> VenueUpdate:
        """The venue's event at ``t_ns``; schedules the next one."""
        rng = self._rng
        dt_s = (t_ns - self.last_ns) / 1e9
        self.last_ns = t_ns
        self.next_ns = t_ns + self._wait_ns()
        decay = math.exp(-dt_s / OFFSET_TAU_S)
        kick = OFFSET_SD * math.sqrt(1.0 - decay * decay) * rng.gauss(0.0, 1.0)
        self.offset = self.offset * decay + kick
        if rng.random() < JUMP_PER_S * dt_s:
            self.offset += rng.gauss(0.0, JUMP_SD)
        if rng.random() < SPREAD_SWITCH_PER_S[self.spread_regime] * dt_s:
            self.spread_regime = rng.choice((0, 2)) if self.spread_regime == 1 else 1
        changes = _Changes()
        prints: list[VenuePrint] = []
        self._requote(changes)
        if rng.random() < TRADE_CHANCE:
            self._trade(t_ns, changes, prints)
        self._resize(changes)
        for ladder in (self.bids, self.asks):
            self._extend(ladder, changes)
            while len(ladder.keys) > LEVELS + SLACK:
                changes.set(ladder, ladder.keys[-1], 0)
        return self._update(t_ns, changes, prints)

    def _update(
        self, t_ns: int, changes: _Changes, prints: list[VenuePrint], *, snapshot: bool = False
    ) -> VenueUpdate:
        return VenueUpdate(
            self.venue,
            self.symbol,
            t_ns,
            changes.sides,
            changes.prices,
            changes.sizes,
            prints,
            snapshot,
        )

    def _fair_ticks(self, *, offset: bool = True) -> float:
        """The fair price in ticks, with the venue's own offset or without it."""
        fair = self.fair
        shift = (fair.premium if self._perpetual else 0.0) + (self.offset if offset else 0.0)
        return fair.price * (1.0 + shift) / self._tick

    def _targets(self) -> tuple[int, int]:
        """The bid and ask (ticks) the venue wants to quote now."""
        fair = self._fair_ticks()
        half = max(0.5, fair * SPREAD_BPS[self.spread_regime] * 0.5e-4)
        bid = max(1, math.floor(fair - half))
        return bid, max(bid + 1, math.ceil(fair + half))

    def _requote(self, changes: _Changes) -> None:
        """Move both touches to the targets: pull levels through them, then add the new
        touch and levels in the gap it leaves to the old one."""
        bid, ask = self._targets()
        sides = ((self.bids, self.bids.key(bid)), (self.asks, self.asks.key(ask)))
        for ladder, target in sides:
            while ladder.keys and ladder.keys[0] < target:
                changes.set(ladder, ladder.keys[0], 0)
        for ladder, target in sides:
            old_best = ladder.keys[0] if ladder.keys else None
            if old_best == target:
                continue
            changes.set(ladder, target, self._level_size(0))
            if old_best is None:
                continue
            key = target + self._next_gap()
            while key < old_best - self._gap / 2 and len(ladder.keys) < LEVELS + SLACK:
                changes.set(ladder, key, self._level_size(1))
                key += self._next_gap()

    def _trade(self, t_ns: int, changes: _Changes, prints: list[VenuePrint]) -> None:
        """A taker hits the bid or lifts the offer, mostly on the side where this venue is
        cheap against the common fair price (arbitrage pulls venues back together)."""
        rng = self._rng
        mid_ticks = (self.asks.price(self.asks.keys[0]) + self.bids.price(self.bids.keys[0])) / 2
        cheap = self._fair_ticks(offset=False) > mid_ticks
        buy = cheap if rng.random() < 0.7 else not cheap
        ladder = self.asks if buy else self.bids
        aggressor: SideName = "BUY" if buy else "SELL"
        sweep = rng.randint(1, 3) if rng.random() < SWEEP_CHANCE else 0
        sweep = min(sweep, len(ladder.keys) - 1)
        for _ in range(sweep):
            key = ladder.keys[0]
            prints.append(VenuePrint(ladder.price(key), ladder.sizes[key], aggressor, t_ns))
            changes.set(ladder, key, 0)
        key = ladder.keys[0]
        size = ladder.sizes[key]
        qty = max(1, min(size, int(size * rng.uniform(0.05, 0.7))))
        prints.append(VenuePrint(ladder.price(key), qty, aggressor, t_ns))
        changes.set(ladder, key, size - qty)
        self.offset += (1 if buy else -1) * sweep * IMPACT_BPS * 1e-4

    def _resize(self, changes: _Changes) -> None:
        """A few resting orders join or leave: sizes change, now and then a level is pulled."""
        rng = self._rng
        for _ in range(rng.randint(1, RESIZE_MAX)):
            ladder = self.bids if rng.random() < 0.5 else self.asks
            if len(ladder.keys) < 2:
                continue
            index = rng.randrange(len(ladder.keys))
            key = ladder.keys[index]
            if index and rng.random() < 0.1:
                changes.set(ladder, key, 0)
            else:
                size = int(ladder.sizes[key] * rng.lognormvariate(0.0, 0.3))
                changes.set(ladder, key, max(self._min_lots, size))

    def _extend(self, ladder: Ladder, changes: _Changes) -> None:
        """Add levels beyond the deepest one until the side has ``LEVELS`` (an emptied side
        waits for the next requote)."""
        while ladder.keys and len(ladder.keys) < LEVELS:
            depth = len(ladder.keys)
            key = ladder.keys[-1] + self._next_gap()
            if ladder.price(key) <= 0:
                return
            changes.set(ladder, key, self._level_size(depth))

    def _next_gap(self) -> int:
        return max(1, round(self._gap * self._rng.uniform(0.5, 1.5)))

    def _level_size(self, depth: int) -> int:
        """A new level's size in lots; deeper levels hold more."""
        notional = LEVEL_NOTIONAL * (1.0 + 0.1 * depth) * self._rng.lognormvariate(0.0, 0.8)
        return max(self._min_lots, int(notional * self._lots_per_quote))


class SimulatedMarkets:
    """The ``MarketSource`` of simulated venues: ``venues`` books per instrument.

    Args:
        registry: the instruments; every one is simulated unless ``symbols`` narrows them.
        seed: the seed of every random draw.
        venues: venues per instrument, named by ``venue_names``.
        interval_ms: mean time between two events of one venue's book.
    """

    def __init__(
        self,
        registry: InstrumentRegistry,
        *,
        seed: int = 7,
        venues: int = 3,
        interval_ms: float = 50.0,
        symbols: Iterable[str] | None = None,
    ) -> None:
        self._registry = registry
        self._seed = seed
        self._venues = venue_names(venues)
        self._interval_ns = interval_ms * 1e6
        self._symbols = list(registry.symbols() if symbols is None else symbols)
        self._books: list[VenueBook] = []
        self._due: list[tuple[int, int]] = []

    @property
    def venues(self) -> list[str]:
        return list(self._venues)

    def poll(self, now_ns: int) -> list[VenueUpdate]:
        if not self._books:
            return self._open(now_ns)
        out: list[VenueUpdate] = []
        due, books = self._due, self._books
        while due[0][0] <= now_ns:
            t_ns, index = due[0]
            book = books[index]
            book.fair.advance(t_ns)
            out.append(book.step(t_ns))
            heapq.heapreplace(due, (book.next_ns, index))
        return out

    def _open(self, t0_ns: int) -> list[VenueUpdate]:
        """Create the books at ``t0_ns`` and return their opening snapshots."""
        underlyings: dict[tuple[str, str], FairPrice] = {}
        for symbol in self._symbols:
            instrument = self._registry.get(symbol)
            pair = (instrument.base, instrument.quote)
            fair = underlyings.get(pair)
            if fair is None:
                rng = random.Random(f"{self._seed}/{pair[0]}/{pair[1]}")  # noqa: S311 (a model)
                fair = FairPrice(rng, START_PRICES.get(pair[0], OTHER_START), t0_ns)
                underlyings[pair] = fair
            for venue in self._venues:
                rng = random.Random(f"{self._seed}/{symbol}/{venue}")  # noqa: S311 (a model)
                book = VenueBook(instrument, venue, fair, rng, self._interval_ns, t0_ns)
                self._due.append((book.next_ns, len(self._books)))
                self._books.append(book)
        heapq.heapify(self._due)
        return [book.snapshot() for book in self._books]


__all__ = [
    "LEVELS",
    "START_PRICES",
    "FairPrice",
    "Ladder",
    "SimulatedMarkets",
    "VenueBook",
    "venue_names",
]
