"""The wire names of ``oms_core``'s enums, both ways.

Each table is derived from a ``Literal`` type of ``oms.events``, so a name cannot exist on one
side only: messages carry names, ``oms_core`` takes enum values.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar, cast, get_args

from oms.events import (
    LiquidityName,
    OrderTypeName,
    SideName,
    StatusName,
    TimeInForceName,
    TradingStateName,
)
from oms_core import Liquidity, OrderStatus, OrderType, Side, TimeInForce, TradingState

E = TypeVar("E")
N = TypeVar("N", bound=str)


def _by_name(enum: type[E], names: Any) -> dict[str, E]:
    return {name: getattr(enum, name) for name in get_args(names)}


def _by_value(table: dict[str, Any], _names: type[N] | Any) -> dict[int, N]:
    return cast("dict[int, N]", {int(value): name for name, value in table.items()})


SIDES: Final = _by_name(Side, SideName)
ORDER_TYPES: Final = _by_name(OrderType, OrderTypeName)
TIME_IN_FORCE: Final = _by_name(TimeInForce, TimeInForceName)
LIQUIDITY: Final = _by_name(Liquidity, LiquidityName)
TRADING_STATES: Final = _by_name(TradingState, TradingStateName)
STATUSES: Final = _by_name(OrderStatus, StatusName)

SIDE_NAMES: Final[dict[int, SideName]] = _by_value(SIDES, SideName)
ORDER_TYPE_NAMES: Final[dict[int, OrderTypeName]] = _by_value(ORDER_TYPES, OrderTypeName)
TIME_IN_FORCE_NAMES: Final[dict[int, TimeInForceName]] = _by_value(TIME_IN_FORCE, TimeInForceName)
TRADING_STATE_NAMES: Final[dict[int, TradingStateName]] = _by_value(
    TRADING_STATES, TradingStateName
)
STATUS_NAMES: Final[dict[int, StatusName]] = _by_value(STATUSES, StatusName)

__all__ = [
    "LIQUIDITY",
    "ORDER_TYPES",
    "ORDER_TYPE_NAMES",
    "SIDES",
    "SIDE_NAMES",
    "STATUSES",
    "STATUS_NAMES",
    "TIME_IN_FORCE",
    "TIME_IN_FORCE_NAMES",
    "TRADING_STATES",
    "TRADING_STATE_NAMES",
]
