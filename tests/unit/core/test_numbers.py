"""Numbers at the Python edge (``core_rs/src/python/convert.rs``, ``core_rs/src/fixed.rs``).

``str``, ``int`` and ``Decimal`` are taken exactly; everything else, every non-finite value and
every junk text is ``InvalidNumber``; values beyond the fixed-point range are
``NumberOverflow``; values off the instrument's grid are ``InvalidPrice``/``InvalidQuantity``.
Plain integer parameters (ids, ticks, lots) are converted by pyo3 itself.
"""

from __future__ import annotations

import enum
import pickle
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oms_core
from oms_core import OrderTable, OrderType, Side, TimeInForce

REGISTRY = oms_core.InstrumentRegistry.builtin()
BTC_PERP = REGISTRY.get("BTC-USDT-PERP")  # tick 0.1, lot 0.001
BTC_SPOT = REGISTRY.get("BTC-USDT")  # tick 0.01, lot 0.00001

MAX_I64 = 2**63 - 1


def error_classes() -> dict[str, type[oms_core.OmsError]]:
    """Every exception class that ``oms_core`` exports, by name."""
    return {
        name: value
        for name, value in vars(oms_core).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }


# --- accepted types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "price",
    [
        "50000.1",
        "50000.10",
        "+50000.1",
        " 50000.1 ",
        "5.00001E4",
        "500001e-1",
        "50000.1000000000000000000000000000000000000000",
        Decimal("50000.1"),
        Decimal("50000.100"),
        Decimal("5.00001E+4"),
    ],
)
def test_equal_prices_as_str_or_decimal_give_the_same_ticks(price: str | Decimal) -> None:
    assert BTC_PERP.price_to_ticks(price) == 500_001


def test_int_prices_and_quantities_are_taken_exactly() -> None:
    assert BTC_PERP.price_to_ticks(50_000) == 500_000
    assert BTC_PERP.qty_to_lots(3) == 3_000


def test_subclasses_of_int_str_and_decimal_are_accepted() -> None:
    class Ticks(enum.IntEnum):
        FIVE = 5

    class Text(str):
        pass

    class Exact(Decimal):
        pass

    assert BTC_PERP.price_to_ticks(Ticks.FIVE) == 50
    assert BTC_PERP.price_to_ticks(Text("5")) == 50
    assert BTC_PERP.price_to_ticks(Exact("5")) == 50


@given(ticks=st.integers(1, MAX_I64))
def test_str_int_and_decimal_forms_of_one_price_agree(ticks: int) -> None:
    price = BTC_PERP.ticks_to_price(ticks)
    assert BTC_PERP.price_to_ticks(price) == ticks
    assert BTC_PERP.price_to_ticks(str(price)) == ticks
    assert BTC_PERP.price_to_ticks(format(price, "E")) == ticks
    if ticks % 10 == 0:
        assert BTC_PERP.price_to_ticks(ticks // 10) == ticks


# --- refused types and texts --------------------------------------------------------------

CONVERSIONS: dict[str, Callable[[object], object]] = {
    "price_to_ticks": BTC_PERP.price_to_ticks,
    "qty_to_lots": BTC_PERP.qty_to_lots,
    "notional(price)": lambda value: BTC_PERP.notional(value, "1"),
    "notional(qty)": lambda value: BTC_PERP.notional("50000", value),
}


@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1.5, id="float"),
        pytest.param(1.0, id="integral-float"),
        pytest.param(float("nan"), id="float-nan"),
        pytest.param(np.float64(1), id="numpy-float64"),
        pytest.param(np.int64(1), id="numpy-int64"),
        pytest.param(True, id="True"),
        pytest.param(False, id="False"),
        pytest.param(None, id="None"),
        pytest.param([1], id="list"),
        pytest.param(b"1", id="bytes"),
        pytest.param(Fraction(1, 2), id="Fraction"),
        pytest.param(1j, id="complex"),
    ],
)
def test_values_of_other_types_are_invalid_numbers(
    convert: Callable[[object], object], value: object
) -> None:
    with pytest.raises(oms_core.InvalidNumber) as raised:
        convert(value)
    assert raised.value.code == "INVALID_NUMBER"


@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
@pytest.mark.parametrize(
    "value",
    [
        Decimal("NaN"),
        Decimal("-NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
    ],
    ids=str,
)
def test_non_finite_values_are_invalid_numbers(
    convert: Callable[[object], object], value: object
) -> None:
    with pytest.raises(oms_core.InvalidNumber):
        convert(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-",
        "+",
        ".",
        "abc",
        "1.2.3",
        "1e",
        "1e+",
        "e5",
        "1e5.5",
        "--1",
        "+-1",
        "0x10",
        "1_000",
        "1,000",
        "1 000",
        "١٢",  # Arabic-Indic digits: Python's Decimal takes them, the core does not
        "5 USDT",
    ],
)
def test_junk_text_is_an_invalid_number(text: str) -> None:
    with pytest.raises(oms_core.InvalidNumber):
        BTC_PERP.price_to_ticks(text)
    with pytest.raises(oms_core.InvalidNumber):
        BTC_PERP.qty_to_lots(text)


# --- signs, range and grid ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0", "-0", "0.0", "0e10", "-1", "-50000.1", 0, -1, Decimal("-0"), Decimal("0E-50")]
)
def test_zero_and_negative_prices_are_invalid_prices(value: str | int | Decimal) -> None:
    with pytest.raises(oms_core.InvalidPrice) as raised:
        BTC_PERP.price_to_ticks(value)
    assert raised.value.code == "INVALID_PRICE"


@pytest.mark.parametrize("value", ["0", "-0.001", "-1", 0, -1, Decimal("-0.000")])
def test_zero_and_negative_quantities_are_invalid_quantities(value: str | int | Decimal) -> None:
    with pytest.raises(oms_core.InvalidQuantity) as raised:
        BTC_PERP.qty_to_lots(value)
    assert raised.value.code == "INVALID_QUANTITY"


@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
@pytest.mark.parametrize(
    "value",
    ["1e40", "1E+1000000", "9" * 39, "1e18", 10**30, 2**63, 2**70, Decimal("1e40")],
    ids=str,
)
def test_values_beyond_the_fixed_point_range_overflow(
    convert: Callable[[object], object], value: object
) -> None:
    with pytest.raises(oms_core.NumberOverflow) as raised:
        convert(value)
    assert raised.value.code == "NUMBER_OVERFLOW"


def test_the_largest_price_in_range_is_taken_and_the_next_tick_overflows() -> None:
    assert BTC_PERP.price_to_ticks("922337203685477580.7") == MAX_I64
    with pytest.raises(oms_core.NumberOverflow):
        BTC_PERP.price_to_ticks("922337203685477580.8")


@pytest.mark.parametrize(
    "price", ["50000.15", "50000.01", "0.05", Decimal("50000.15"), "5.000015e4"]
)
def test_prices_finer_than_the_tick_are_invalid_prices_not_rounded(price: str | Decimal) -> None:
    with pytest.raises(oms_core.InvalidPrice):
        BTC_PERP.price_to_ticks(price)


@pytest.mark.parametrize("qty", ["0.0015", "1.0001", "0.0005", Decimal("0.0015")])
def test_quantities_finer_than_the_lot_are_invalid_quantities_not_rounded(
    qty: str | Decimal,
) -> None:
    with pytest.raises(oms_core.InvalidQuantity):
        BTC_PERP.qty_to_lots(qty)


def test_notional_reports_the_error_of_the_bad_side() -> None:
    with pytest.raises(oms_core.InvalidPrice):
        BTC_PERP.notional("50000.15", "1")
    with pytest.raises(oms_core.InvalidQuantity):
        BTC_PERP.notional("50000", "0.0015")


FINER_THAN_ANY_GRID = [
    "1e-31",
    "0." + "0" * 30 + "1",
    "0.123456789012345678901234567890123456789",  # 39 significant digits
    "0." + "0" * 50 + "1",
    "1e-999999999999",
    "-1e-999999999999",
    "50000." + "0" * 60 + "1",
]


@pytest.mark.parametrize("price", FINER_THAN_ANY_GRID)
def test_prices_with_excess_precision_are_invalid_prices_however_many_digits(price: str) -> None:
    with pytest.raises(oms_core.InvalidPrice):
        BTC_PERP.price_to_ticks(price)


@pytest.mark.parametrize("qty", FINER_THAN_ANY_GRID)
def test_quantities_with_excess_precision_are_invalid_quantities_however_many_digits(
    qty: str,
) -> None:
    with pytest.raises(oms_core.InvalidQuantity):
        BTC_PERP.qty_to_lots(qty)


@pytest.mark.parametrize("amount", FINER_THAN_ANY_GRID)
def test_amounts_with_excess_precision_are_invalid_numbers_however_many_digits(
    amount: str,
) -> None:
    with pytest.raises(oms_core.InvalidNumber, match="more than 8 decimals"):
        oms_core.maintenance_margin(BTC_PERP, amount)


@pytest.mark.parametrize("text", ["0e-999999999999", "0e999999999999", "0." + "0" * 60])
def test_zero_with_any_exponent_or_number_of_zeros_is_zero(text: str) -> None:
    assert oms_core.maintenance_margin(BTC_PERP, text) == 0
    with pytest.raises(oms_core.InvalidPrice):
        BTC_PERP.price_to_ticks(text)


@pytest.mark.parametrize("text", ["1e999999999999", "-1e999999999999", "1e99999999999999999999"])
def test_a_huge_exponent_overflows_rather_than_being_junk(text: str) -> None:
    with pytest.raises(oms_core.NumberOverflow):
        BTC_PERP.price_to_ticks(text)
    with pytest.raises(oms_core.NumberOverflow):
        oms_core.maintenance_margin(BTC_PERP, text)


# --- plain integer parameters (converted by pyo3) -------------------------------------------


def add_market_order(table: OrderTable, order_id: int = 1, account: int = 7, qty: int = 1) -> None:
    table.add(order_id, "c-1", account, 0, Side.BUY, OrderType.MARKET, TimeInForce.IOC, qty)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda t: add_market_order(t, order_id=2**70), id="order_id-2**70"),
        pytest.param(lambda t: add_market_order(t, order_id=2**64), id="order_id-2**64"),
        pytest.param(lambda t: add_market_order(t, order_id=-1), id="order_id-negative"),
        pytest.param(lambda t: add_market_order(t, account=2**32), id="account-2**32"),
        pytest.param(lambda t: add_market_order(t, qty=2**70), id="qty-2**70"),
        pytest.param(lambda t: t.get(2**70), id="get-2**70"),
        pytest.param(lambda t: t.risk_reject(1, 2**16), id="reason-2**16"),
        pytest.param(lambda t: t.risk_reject(1, -1), id="reason-negative"),
        pytest.param(lambda t: t.fill(1, "e1", 1, 1, 2**70), id="fee-2**70"),
        pytest.param(lambda t: t.replace_request(1, 2**70, 1), id="replace-qty-2**70"),
        pytest.param(lambda t: BTC_PERP.ticks_to_price(2**70), id="ticks_to_price-2**70"),
        pytest.param(lambda t: BTC_PERP.lots_to_qty(2**63), id="lots_to_qty-2**63"),
        pytest.param(lambda t: OrderTable(capacity=-1), id="capacity-negative"),
    ],
)
def test_integer_parameters_out_of_their_range_raise_overflow_error(
    call: Callable[[OrderTable], object],
) -> None:
    table = OrderTable()
    add_market_order(table)
    with pytest.raises(OverflowError):
        call(table)
    assert len(table) == 1


def test_float_integer_parameters_raise_type_error() -> None:
    with pytest.raises(TypeError):
        add_market_order(OrderTable(), qty=1.0)  # type: ignore[arg-type]


def test_ticks_and_lots_at_the_i64_limits_convert_exactly() -> None:
    assert BTC_PERP.ticks_to_price(MAX_I64) == Decimal("922337203685477580.7")
    assert BTC_PERP.lots_to_qty(-(2**63)) == Decimal("-9223372036854775.808")


# --- the error hierarchy --------------------------------------------------------------------


def test_every_exception_class_is_an_oms_error_with_its_own_code() -> None:
    classes = error_classes()
    assert len(classes) >= 15
    codes = [cls.code for cls in classes.values()]
    assert len(set(codes)) == len(codes)
    for name, cls in classes.items():
        assert issubclass(cls, oms_core.OmsError), name
        assert cls.code.isupper(), name
        assert cls.__module__ == "oms_core", name
    assert oms_core.OmsError.code == "OMS_ERROR"
    assert issubclass(oms_core.OmsError, Exception)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("InvalidNumber", "INVALID_NUMBER"),
        ("NumberOverflow", "NUMBER_OVERFLOW"),
        ("InvalidPrice", "INVALID_PRICE"),
        ("InvalidQuantity", "INVALID_QUANTITY"),
        ("UnknownInstrument", "UNKNOWN_INSTRUMENT"),
        ("InvalidConfig", "INVALID_CONFIG"),
        ("InvalidTransition", "INVALID_TRANSITION"),
        ("Overfill", "OVERFILL"),
        ("UnknownOrder", "UNKNOWN_ORDER"),
        ("DuplicateOrder", "DUPLICATE_ORDER"),
        ("SequenceGap", "SEQUENCE_GAP"),
        ("UnknownAccount", "UNKNOWN_ACCOUNT"),
        ("InvalidLeverage", "INVALID_LEVERAGE"),
        ("InvalidArgument", "INVALID_ARGUMENT"),
    ],
)
def test_each_exception_has_its_stable_code(name: str, code: str) -> None:
    assert error_classes()[name].code == code


@pytest.mark.parametrize("name", sorted(error_classes()))
def test_each_exception_is_named_as_exported_and_survives_pickling(name: str) -> None:
    cls = error_classes()[name]
    assert cls.__qualname__ == name
    error = pickle.loads(pickle.dumps(cls("boom")))  # noqa: S301 - our own bytes
    assert (type(error), str(error)) == (cls, "boom")


def test_raised_errors_carry_their_code_and_a_message() -> None:
    with pytest.raises(oms_core.OmsError) as raised:
        BTC_PERP.price_to_ticks("50000.15")
    assert type(raised.value) is oms_core.InvalidPrice
    assert raised.value.code == "INVALID_PRICE"
    assert "50000.15" in str(raised.value)
