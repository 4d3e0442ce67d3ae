"""The markets as the API sees them: input numbers onto the grid, grid integers back to text.

Parsing goes through ``oms_core`` (exact, refuses off-grid values); rendering is integer
formatting in Python (ticks × tick size as a fixed-point string), which keeps the hot path free
of ``Decimal`` objects. Both directions agree with ``Instrument.ticks_to_price``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from api.errors import ApiError
from oms_core import (
    Instrument,
    InstrumentRegistry,
    InvalidNumber,
    InvalidPrice,
    InvalidQuantity,
    NumberOverflow,
)

MONEY_DECIMALS = 8
"""Money in events is integer atoms of 1e-8."""


def fixed(value: int, decimals: int) -> str:
    """``fixed(12345, 2) == "123.45"``, trailing zeros dropped: the canonical decimal text."""
    if decimals == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    digits = str(abs(value)).rjust(decimals + 1, "0")
    whole, frac = digits[:-decimals], digits[-decimals:].rstrip("0")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def money(atoms: int) -> str:
    return fixed(atoms, MONEY_DECIMALS)


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text (never scientific notation)."""
    return fixed(*_scale(value))


def _scale(step: Decimal) -> tuple[int, int]:
    """``step`` as ``(mantissa, decimals)``: ``0.05 → (5, 2)``, ``10 → (10, 0)``."""
    sign, digits, exponent = step.as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity: the registry never holds one
        raise ValueError(f"{step} is not a finite step")
    mantissa = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent >= 0:
        return mantissa * 10**exponent, 0
    return mantissa, -exponent


class Market:
    """One instrument with what validation and rendering need, computed once."""

    __slots__ = ("_lot", "_tick", "instrument", "max_lots", "min_lots", "symbol")

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.symbol = instrument.symbol
        self._tick = _scale(instrument.tick_size)
        self._lot = _scale(instrument.lot_size)
        self.min_lots = instrument.qty_to_lots(instrument.min_qty)
        self.max_lots = instrument.qty_to_lots(instrument.max_qty)

    def price(self, ticks: int) -> str:
        return fixed(ticks * self._tick[0], self._tick[1])

    def qty(self, lots: int) -> str:
        return fixed(lots * self._lot[0], self._lot[1])

    def price_or_none(self, ticks: int) -> str | None:
        return self.price(ticks) if ticks else None

    def to_ticks(self, value: Decimal, field: str) -> int:
        """A price in ticks; ``ApiError`` if it is not a positive on-grid number in range."""
        try:
            return self.instrument.price_to_ticks(value)
        except InvalidNumber as exc:
            raise ApiError(
                "INVALID_NUMBER", f"{field} is not a finite decimal number", field
            ) from exc
        except (InvalidPrice, NumberOverflow) as exc:
            raise ApiError("INVALID_PRICE", f"{field}: {exc}", field) from exc

    def to_lots(self, value: Decimal, field: str) -> int:
        """A quantity in lots within the market's minimum and maximum."""
        try:
            lots = self.instrument.qty_to_lots(value)
        except InvalidNumber as exc:
            raise ApiError(
                "INVALID_NUMBER", f"{field} is not a finite decimal number", field
            ) from exc
        except (InvalidQuantity, NumberOverflow) as exc:
            raise ApiError("INVALID_QUANTITY", f"{field}: {exc}", field) from exc
        if not self.min_lots <= lots <= self.max_lots:
            raise ApiError(
                "INVALID_QUANTITY",
                f"{field} must be between {self.qty(self.min_lots)} and "
                f"{self.qty(self.max_lots)} for {self.symbol}",
                field,
            )
        return lots

    def describe(self) -> dict[str, Any]:
        """The ``Market`` answer: the instrument and its order filters."""
        i = self.instrument
        return {
            "symbol": i.symbol,
            "kind": i.kind,
            "base": i.base,
            "quote": i.quote,
            "tickSize": decimal_text(i.tick_size),
            "lotSize": decimal_text(i.lot_size),
            "minQty": decimal_text(i.min_qty),
            "maxQty": decimal_text(i.max_qty),
            "minNotional": decimal_text(i.min_notional),
            "makerFee": decimal_text(i.maker_fee),
            "takerFee": decimal_text(i.taker_fee),
            "maxLeverage": i.max_leverage,
            "brackets": [
                {
                    "notionalFloor": decimal_text(floor),
                    "maintenanceMarginRate": decimal_text(rate),
                    "maintenanceAmount": decimal_text(amount),
                    "maxLeverage": leverage,
                }
                for floor, rate, amount, leverage in i.brackets
            ],
        }


class Catalog:
    """Every market by symbol, and the ``GET /v1/markets`` body, rendered once."""

    def __init__(self, registry: InstrumentRegistry) -> None:
        self.markets = {s: Market(registry.get(s)) for s in registry.symbols()}
        self.listing = orjson.dumps({"markets": [m.describe() for m in self.markets.values()]})

    def get(self, symbol: str, field: str = "symbol") -> Market:
        market = self.markets.get(symbol)
        if market is None:
            raise ApiError("UNKNOWN_SYMBOL", f"unknown symbol {symbol[:40]!r}", field)
        return market


__all__ = ["Catalog", "Market", "decimal_text", "fixed", "money"]
