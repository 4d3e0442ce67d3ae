"""``FeeSchedule``: notional × rate in quote atoms, exact, rounded up."""

from __future__ import annotations

from decimal import ROUND_CEILING

from hypothesis import given
from hypothesis import strategies as st

from oms.venue.fees import FeeSchedule
from oms_core import InstrumentRegistry

REGISTRY = InstrumentRegistry.builtin()


def reference_fee(symbol: str, lots: int, ticks: int, rate_name: str) -> int:
    """The same fee by Decimal arithmetic: lots × lot_size × ticks × tick_size × rate, up."""
    inst = REGISTRY.get(symbol)
    rate = inst.maker_fee if rate_name == "MAKER" else inst.taker_fee
    notional = lots * inst.lot_size * ticks * inst.tick_size
    return int((notional * rate * 10**8).to_integral_value(rounding=ROUND_CEILING))


def test_a_btc_spot_fill_pays_a_tenth_of_a_percent_of_its_notional():
    # 0.001 BTC at 60,000.00 USDT = 60 USDT; 0.1% = 0.06 USDT = 6,000,000 atoms.
    assert FeeSchedule(REGISTRY.get("BTC-USDT")).fee(100, 6_000_000, "TAKER") == 6_000_000


def test_a_fraction_of_an_atom_is_rounded_up():
    # 7 lots × 6,000,001 ticks → 420,000.07 atoms.
    assert FeeSchedule(REGISTRY.get("BTC-USDT")).fee(7, 6_000_001, "MAKER") == 420_001
    # 0.0003 ETH × 3,333.33 USDT = 0.999999 USDT; 0.1% = 99,999.9 atoms.
    assert FeeSchedule(REGISTRY.get("ETH-USDT")).fee(3, 333_333, "TAKER") == 100_000


def test_perpetuals_charge_makers_less_than_takers():
    fees = FeeSchedule(REGISTRY.get("BTC-USDT-PERP"))
    # 1 BTC (1000 lots) at 60,000.0 USDT (600,000 ticks): 12 USDT maker, 30 USDT taker.
    assert fees.fee(1000, 600_000, "MAKER") == 12 * 10**8
    assert fees.fee(1000, 600_000, "TAKER") == 30 * 10**8


@given(
    symbol=st.sampled_from(REGISTRY.symbols()),
    lots=st.integers(1, 10**9),
    ticks=st.integers(1, 10**9),
    liquidity=st.sampled_from(["MAKER", "TAKER"]),
)
def test_fees_match_exact_decimal_arithmetic(symbol, lots, ticks, liquidity):
    fee = FeeSchedule(REGISTRY.get(symbol)).fee(lots, ticks, liquidity)
    assert fee == reference_fee(symbol, lots, ticks, liquidity)
