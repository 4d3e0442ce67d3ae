"""Trading fees in quote money atoms (1e-8), exact and rounded up, as the core rounds them.

``fee = lots × lot_size × ticks × tick_size × rate``: the instrument's sizes and rate are exact
decimals, so their product with 1e8 is one fraction ``num / den`` fixed per instrument and
liquidity, and a fill's fee is ``ceil(lots × ticks × num / den)`` in integers.
"""

from __future__ import annotations

from decimal import Decimal
from math import gcd

from oms.events import LiquidityName
from oms_core import Instrument

_ATOMS_PER_UNIT = 10**8


def _atoms_per_lot_tick(instrument: Instrument, rate: Decimal) -> tuple[int, int]:
    """``(num, den)`` in lowest terms: the fee in atoms of one lot traded at one tick."""
    num, den = 1, 1
    for factor in (instrument.lot_size, instrument.tick_size, rate):
        n, d = factor.as_integer_ratio()
        num, den = num * n, den * d
    num *= _ATOMS_PER_UNIT
    common = gcd(num, den)
    return num // common, den // common


class FeeSchedule:
    """One instrument's maker and taker fees as exact integer ratios."""

    __slots__ = ("_maker", "_taker")

    def __init__(self, instrument: Instrument) -> None:
        self._maker = _atoms_per_lot_tick(instrument, instrument.maker_fee)
        self._taker = _atoms_per_lot_tick(instrument, instrument.taker_fee)

    def fee(self, lots: int, ticks: int, liquidity: LiquidityName) -> int:
        """The fee in quote atoms of ``lots`` traded at ``ticks``, rounded up to the atom.

        Rounding up (toward +∞) is against the account also for a negative (rebate) rate.
        """
        num, den = self._maker if liquidity == "MAKER" else self._taker
        return -(-lots * ticks * num // den)


__all__ = ["FeeSchedule"]
