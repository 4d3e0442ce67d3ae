"""Request bodies, decoded by msgspec straight from bytes (camelCase, unknown fields refused).

Numbers are ``Decimal``: msgspec reads both JSON numbers and decimal strings into it exactly,
never through a binary float; range and grid checks happen against the instrument afterwards.
Response shapes are the client's models (``oms.client``), one definition for both ends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

import msgspec

from oms.events import OrderTypeName, SideName, TimeInForceName, TradingStateName

ClientOrderId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]
Symbol = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
AccountName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Request(msgspec.Struct, rename="camel", forbid_unknown_fields=True, gc=False, frozen=True):
    """Base of every request body."""


class PlaceOrderRequest(Request, frozen=True):
    """A new order. ``price`` is for LIMIT and STOP_LIMIT, ``stopPrice`` for the stop types.

    ``respType`` ACK answers once the order is durable; RESULT waits for the risk decision and
    the venue's acknowledgement, up to the configured bound.
    """

    symbol: Symbol
    side: SideName
    type: OrderTypeName
    quantity: Decimal
    time_in_force: TimeInForceName = "GTC"
    price: Decimal | None = None
    stop_price: Decimal | None = None
    reduce_only: bool = False
    client_order_id: ClientOrderId | None = None
    resp_type: Literal["ACK", "RESULT"] = "ACK"


class AmendOrderRequest(Request, frozen=True):
    """New total quantity and/or limit price; a missing one keeps the order's current value."""

    quantity: Decimal | None = None
    price: Decimal | None = None


class TradingStateRequest(Request, frozen=True):
    """The kill switch: one account's, or the global one when ``account`` is absent."""

    state: TradingStateName
    account: AccountName | None = None


PositiveInt = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]


class LimitsRequest(Request, frozen=True):
    """Risk limits to change; absent ones stay as they are.

    Notionals are in the settlement asset; ``priceBand`` and ``maxDrawdown`` are fractions
    (0.1 = 10 %).
    """

    max_order_notional: Decimal | None = None
    max_position_notional: Decimal | None = None
    price_band: Decimal | None = None
    max_drawdown: Decimal | None = None
    max_open_orders: PositiveInt | None = None
    max_orders_per_second: PositiveInt | None = None
    default_leverage: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None


FRACTION_LIMITS: Final = frozenset({"price_band", "max_drawdown"})
"""Limits that must lie in (0, 1]."""


place_order_decoder: Final = msgspec.json.Decoder(PlaceOrderRequest)
amend_order_decoder: Final = msgspec.json.Decoder(AmendOrderRequest)
trading_state_decoder: Final = msgspec.json.Decoder(TradingStateRequest)
limits_decoder: Final = msgspec.json.Decoder(LimitsRequest)

__all__ = [
    "FRACTION_LIMITS",
    "AmendOrderRequest",
    "LimitsRequest",
    "PlaceOrderRequest",
    "Request",
    "TradingStateRequest",
    "amend_order_decoder",
    "limits_decoder",
    "place_order_decoder",
    "trading_state_decoder",
]
