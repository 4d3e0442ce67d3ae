"""Instruments and their registry (``core_rs/src/instrument.rs``, ``python/instrument.rs``)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal, localcontext
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import oms_core
from oms_core import Instrument, InstrumentRegistry

SHIPPED_JSON = (Path(__file__).parents[3] / "core_rs" / "data" / "instruments.json").read_text()
REGISTRY = InstrumentRegistry.builtin()
SYMBOLS = ["BTC-USDT", "ETH-USDT", "SOL-USDT", "BTC-USDT-PERP", "ETH-USDT-PERP"]


def shipped() -> dict[str, Any]:
    """A fresh, editable copy of the shipped registry file."""
    return copy.deepcopy(json.loads(SHIPPED_JSON))


def spot_spec(**changes: Any) -> dict[str, Any]:
    """The shipped BTC-USDT spec with `changes`; a change to None removes the field."""
    spec = {**shipped()["instruments"][0], **changes}
    return {key: value for key, value in spec.items() if value is not None}


def registry_of(*specs: dict[str, Any]) -> InstrumentRegistry:
    return InstrumentRegistry.from_json(json.dumps({"instruments": list(specs)}))


# --- the shipped registry -------------------------------------------------------------------


def test_builtin_registry_holds_the_five_markets_in_file_order() -> None:
    assert REGISTRY.symbols() == SYMBOLS
    assert len(REGISTRY) == 5
    assert [REGISTRY.index_of(symbol) for symbol in SYMBOLS] == [0, 1, 2, 3, 4]
    assert all(symbol in REGISTRY for symbol in SYMBOLS)


def test_builtin_registry_equals_the_shipped_json() -> None:
    from_file = InstrumentRegistry.from_json(SHIPPED_JSON)
    assert from_file.symbols() == REGISTRY.symbols()


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        (
            "BTC-USDT",
            ("spot", "BTC", "USDT", 2, 5, "0.01", "0.00001", "0.00001", "9000", "5", 1, 0),
        ),
        ("ETH-USDT", ("spot", "ETH", "USDT", 2, 4, "0.01", "0.0001", "0.0001", "9000", "5", 1, 0)),
        ("SOL-USDT", ("spot", "SOL", "USDT", 2, 3, "0.01", "0.001", "0.001", "90000", "5", 1, 0)),
        (
            "BTC-USDT-PERP",
            ("perpetual", "BTC", "USDT", 1, 3, "0.1", "0.001", "0.001", "1000", "100", 125, 10),
        ),
        (
            "ETH-USDT-PERP",
            ("perpetual", "ETH", "USDT", 2, 3, "0.01", "0.001", "0.001", "10000", "20", 100, 9),
        ),
    ],
)
def test_builtin_instruments_have_the_shipped_parameters(
    symbol: str, expected: tuple[Any, ...]
) -> None:
    inst = REGISTRY.get(symbol)
    kind, base, quote, price_decimals, qty_decimals, *decimals, leverage, brackets = expected
    assert (inst.symbol, inst.kind, inst.base, inst.quote) == (symbol, kind, base, quote)
    assert (inst.price_decimals, inst.qty_decimals) == (price_decimals, qty_decimals)
    sizes = (inst.tick_size, inst.lot_size, inst.min_qty, inst.max_qty, inst.min_notional)
    assert sizes == tuple(Decimal(value) for value in decimals)
    assert (inst.max_leverage, len(inst.brackets)) == (leverage, brackets)
    assert repr(inst) == f'Instrument("{symbol}", {kind})'


@pytest.mark.parametrize(
    ("symbol", "maker", "taker"),
    [("BTC-USDT", "0.001", "0.001"), ("BTC-USDT-PERP", "0.0002", "0.0005")],
)
def test_fee_rates_are_exact_decimals(symbol: str, maker: str, taker: str) -> None:
    inst = REGISTRY.get(symbol)
    assert (inst.maker_fee, inst.taker_fee) == (Decimal(maker), Decimal(taker))
    assert str(inst.maker_fee) == maker


def test_decimals_come_back_without_trailing_zeros() -> None:
    inst = REGISTRY.get("BTC-USDT-PERP")
    assert [str(inst.tick_size), str(inst.min_notional), str(inst.max_qty)] == [
        "0.1",
        "100",
        "1000",
    ]


def test_perpetual_brackets_are_exact_and_fall_in_leverage() -> None:
    brackets = REGISTRY.get("BTC-USDT-PERP").brackets
    assert brackets[0] == (Decimal(0), Decimal("0.004"), Decimal(0), 125)
    assert brackets[1] == (Decimal(50_000), Decimal("0.005"), Decimal(50), 100)
    assert brackets[-1] == (Decimal(300_000_000), Decimal("0.5"), Decimal(101_421_300), 1)
    floors = [floor for floor, _, _, _ in brackets]
    leverages = [leverage for _, _, _, leverage in brackets]
    assert floors == sorted(floors)
    assert leverages == sorted(leverages, reverse=True)


@pytest.mark.parametrize("symbol", ["BTC-USDT-PERP", "ETH-USDT-PERP"])
def test_maintenance_schedule_is_continuous_at_every_bracket_floor(symbol: str) -> None:
    brackets = REGISTRY.get(symbol).brackets
    for (_, mmr_lo, amount_lo, _), (floor, mmr_hi, amount_hi, _) in pairwise(brackets):
        assert floor * mmr_lo - amount_lo == floor * mmr_hi - amount_hi


def test_spot_instruments_have_no_brackets_and_leverage_one() -> None:
    for symbol in ("BTC-USDT", "ETH-USDT", "SOL-USDT"):
        inst = REGISTRY.get(symbol)
        assert (inst.brackets, inst.max_leverage) == ([], 1)


@pytest.mark.parametrize("symbol", ["DOGE-USDT", "", "btc-usdt", "BTC-USDT "])
def test_unknown_symbols_raise_unknown_instrument(symbol: str) -> None:
    with pytest.raises(oms_core.UnknownInstrument) as raised:
        REGISTRY.get(symbol)
    assert raised.value.code == "UNKNOWN_INSTRUMENT"
    with pytest.raises(oms_core.UnknownInstrument):
        REGISTRY.index_of(symbol)
    assert symbol not in REGISTRY


# --- loading a registry from JSON -----------------------------------------------------------


def test_a_registry_loads_from_json_of_the_shipped_format() -> None:
    registry = registry_of(spot_spec(symbol="X-USDT"), spot_spec(symbol="Y-USDT"))
    assert registry.symbols() == ["X-USDT", "Y-USDT"]
    assert registry.get("Y-USDT").lot_size == Decimal("0.00001")


def test_an_empty_instrument_list_gives_an_empty_registry() -> None:
    assert len(registry_of()) == 0


def test_a_maker_rebate_may_be_negative() -> None:
    assert registry_of(spot_spec(maker_fee="-0.0001")).get("BTC-USDT").maker_fee == Decimal(
        "-0.0001"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        "null",
        "{}",
        '{"instruments": {}}',
        '{"instruments": [], "extra": 1}',
        "{'instruments': []}",
    ],
)
def test_malformed_json_is_an_invalid_config(text: str) -> None:
    with pytest.raises(oms_core.InvalidConfig) as raised:
        InstrumentRegistry.from_json(text)
    assert raised.value.code == "INVALID_CONFIG"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"extra": 1}, id="unknown-field"),
        pytest.param({"tick_size": None}, id="missing-field"),
        pytest.param({"tick_size": 0.01}, id="number-not-string"),
        pytest.param({"kind": "future"}, id="unknown-kind"),
        pytest.param({"tick_size": "0"}, id="zero-tick"),
        pytest.param({"tick_size": "-0.01"}, id="negative-tick"),
        pytest.param({"lot_size": "0.0000000"}, id="zero-lot"),
        pytest.param({"tick_size": "0.0001", "lot_size": "0.00001"}, id="decimals-over-8"),
        pytest.param({"min_qty": "0"}, id="zero-min-qty"),
        pytest.param({"min_qty": "abc"}, id="junk-min-qty"),
        pytest.param({"min_qty": "0.00003", "lot_size": "0.00002"}, id="min-qty-off-lot"),
        pytest.param({"max_qty": "9000.000001"}, id="max-qty-too-precise"),
        pytest.param({"max_qty": "0.000001"}, id="max-below-min"),
        pytest.param({"maker_fee": "0.000000001"}, id="fee-over-8-decimals"),
        pytest.param({"min_notional": "0.000000001"}, id="notional-over-8-decimals"),
        pytest.param({"taker_fee": "1e40"}, id="fee-overflow"),
        pytest.param(
            {"brackets": shipped()["instruments"][3]["brackets"]}, id="spot-with-brackets"
        ),
    ],
)
def test_inconsistent_instruments_are_invalid_configs(changes: dict[str, Any]) -> None:
    with pytest.raises(oms_core.InvalidConfig):
        registry_of(spot_spec(**changes))


def perp_spec(edit_brackets: Any) -> dict[str, Any]:
    """The shipped BTC-USDT-PERP spec after `edit_brackets(brackets)`."""
    spec = shipped()["instruments"][3]
    edit_brackets(spec["brackets"])
    return spec


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda b: b.clear(), id="perpetual-without-brackets"),
        pytest.param(lambda b: b[1].update(maintenance_amount="51"), id="discontinuous"),
        pytest.param(lambda b: b[0].update(notional_floor="1"), id="first-floor-not-zero"),
        pytest.param(lambda b: b[0].update(maintenance_amount="1"), id="first-amount-not-zero"),
        pytest.param(lambda b: b[2].update(notional_floor="50000"), id="floors-not-rising"),
        pytest.param(lambda b: b[1].update(max_leverage=200), id="leverage-rising"),
        pytest.param(lambda b: b[-1].update(max_leverage=0), id="zero-leverage"),
        pytest.param(lambda b: b[-1].update(max_leverage=-1), id="negative-leverage"),
        pytest.param(lambda b: b[-1].update(max_leverage="1"), id="leverage-as-string"),
        pytest.param(lambda b: b[0].update(mmr="0"), id="zero-rate"),
        pytest.param(lambda b: b[-1].update(mmr="1.5"), id="rate-above-one"),
        pytest.param(lambda b: b[0].update(extra="x"), id="unknown-bracket-field"),
        pytest.param(lambda b: b[0].pop("mmr"), id="missing-bracket-field"),
    ],
)
def test_inconsistent_brackets_are_invalid_configs(edit: Any) -> None:
    with pytest.raises(oms_core.InvalidConfig):
        registry_of(perp_spec(edit))


def test_a_repeated_symbol_is_an_invalid_config() -> None:
    with pytest.raises(oms_core.InvalidConfig):
        registry_of(spot_spec(), spot_spec())


@pytest.mark.parametrize(
    "changes",
    [
        {"tick_size": "abc"},
        {"lot_size": "nan"},
        {"tick_size": "1e-40"},
        {"lot_size": "1e-999999999999"},
        {"tick_size": "1e999999999999"},
        {"lot_size": "1e40"},
    ],
    ids=["junk-tick", "nan-lot", "tiny-tick", "tiny-lot", "huge-tick", "huge-lot"],
)
def test_junk_tick_or_lot_sizes_are_invalid_configs(changes: dict[str, str]) -> None:
    with pytest.raises(oms_core.InvalidConfig):
        registry_of(spot_spec(**changes))


# --- grid conversions -----------------------------------------------------------------------


@pytest.mark.parametrize("symbol", SYMBOLS)
@given(ticks=st.integers(-(2**63), 2**63 - 1), lots=st.integers(-(2**63), 2**63 - 1))
def test_ticks_and_lots_round_trip_through_decimals(symbol: str, ticks: int, lots: int) -> None:
    inst = REGISTRY.get(symbol)
    price, qty = inst.ticks_to_price(ticks), inst.lots_to_qty(lots)
    assert price == ticks * inst.tick_size
    assert qty == lots * inst.lot_size
    if ticks > 0:
        assert inst.price_to_ticks(price) == ticks
    if lots > 0:
        assert inst.qty_to_lots(qty) == lots


def test_zero_ticks_and_lots_are_zero() -> None:
    inst = REGISTRY.get("BTC-USDT")
    assert (inst.ticks_to_price(0), inst.lots_to_qty(0)) == (Decimal(0), Decimal(0))


def test_a_tick_that_is_not_a_power_of_ten_refuses_prices_between_ticks() -> None:
    inst = registry_of(spot_spec(tick_size="0.5", lot_size="0.002", min_qty="0.002")).get(
        "BTC-USDT"
    )
    assert (inst.price_decimals, inst.price_to_ticks("1.5"), inst.qty_to_lots("0.01")) == (
        1,
        3,
        5,
    )
    with pytest.raises(oms_core.InvalidPrice):
        inst.price_to_ticks("1.3")
    with pytest.raises(oms_core.InvalidQuantity):
        inst.qty_to_lots("0.003")


# --- notional -------------------------------------------------------------------------------


def test_notional_is_exact_in_the_quote_asset() -> None:
    inst = REGISTRY.get("BTC-USDT")
    # 50000.01 × 0.00003 = 1.5000003 USDT, with no rounding anywhere.
    assert inst.notional("50000.01", "0.00003") == Decimal("1.5000003")
    assert inst.notional(Decimal("50000.01"), 2) == Decimal("100000.02")


@pytest.mark.parametrize("symbol", SYMBOLS)
@given(ticks=st.integers(1, 10**9), lots=st.integers(1, 10**9))
def test_notional_equals_the_exact_decimal_product(symbol: str, ticks: int, lots: int) -> None:
    inst = REGISTRY.get(symbol)
    price, qty = inst.ticks_to_price(ticks), inst.lots_to_qty(lots)
    with localcontext() as exact:
        exact.prec = 60
        assert inst.notional(price, qty) == price * qty
        assert inst.notional(str(price), str(qty)) == price * qty


@pytest.mark.parametrize("symbol", SYMBOLS)
@given(
    ticks=st.one_of(st.integers(1, 2**63 - 1), st.integers(2**62, 2**63 - 1)),
    lots=st.one_of(st.integers(1, 2**63 - 1), st.integers(2**62, 2**63 - 1)),
)
def test_notional_is_exact_up_to_128_bits_and_an_overflow_error_beyond(
    symbol: str, ticks: int, lots: int
) -> None:
    inst = REGISTRY.get(symbol)
    price, qty = inst.ticks_to_price(ticks), inst.lots_to_qty(lots)
    with localcontext() as exact:
        exact.prec = 80
        product = price * qty
    if product.scaleb(8) < 2**127:  # the notional in money atoms (1e-8) fits in an i128
        assert inst.notional(price, qty) == product
    else:
        with pytest.raises(oms_core.NumberOverflow):
            inst.notional(price, qty)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_notional_of_the_largest_price_and_quantity_is_an_overflow_error(symbol: str) -> None:
    inst = REGISTRY.get(symbol)
    price, qty = inst.ticks_to_price(2**63 - 1), inst.lots_to_qty(2**63 - 1)
    with pytest.raises(oms_core.NumberOverflow):
        inst.notional(price, qty)


def test_instruments_are_immutable() -> None:
    inst: Instrument = REGISTRY.get("BTC-USDT")
    with pytest.raises(AttributeError):
        inst.tick_size = Decimal(1)  # type: ignore[misc]
