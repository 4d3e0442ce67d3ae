"""The venue port: where the processor sends orders and from where execution reports come.

A venue takes instructions without blocking and reports back through the callback given to
``connect``, in the order things happened at the venue. ``oms.venue.sim`` simulates exchanges on
the market data; a real exchange connector implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import msgspec

from oms.events import LiquidityName, OrderTypeName, SideName, TimeInForceName


class VenueOrder(msgspec.Struct, frozen=True, gc=False):
    """An order as sent to a venue: ``qty`` is what is left to fill (lots), prices in ticks."""

    order_id: int
    account: str
    symbol: str
    side: SideName
    order_type: OrderTypeName
    time_in_force: TimeInForceName
    qty: int
    price: int = 0
    stop_price: int = 0
    reduce_only: bool = False


class Acked(msgspec.Struct, frozen=True, gc=False):
    order_id: int


class Rejected(msgspec.Struct, frozen=True, gc=False):
    """The venue refused a new order (e.g. a post-only order that would take)."""

    order_id: int
    reason: str


class Filled(msgspec.Struct, frozen=True, gc=False):
    """A fill of ``qty`` lots at ``price`` ticks; ``fee`` in quote money atoms (1e-8)."""

    order_id: int
    exec_id: str
    qty: int
    price: int
    fee: int
    liquidity: LiquidityName
    ts_ns: int


class Canceled(msgspec.Struct, frozen=True, gc=False):
    order_id: int


class CancelRejected(msgspec.Struct, frozen=True, gc=False):
    order_id: int
    reason: str


class Replaced(msgspec.Struct, frozen=True, gc=False):
    order_id: int


class ReplaceRejected(msgspec.Struct, frozen=True, gc=False):
    order_id: int
    reason: str


class Expired(msgspec.Struct, frozen=True, gc=False):
    """The rest of an IOC/FOK order (or a market order's unfilled part) was dropped."""

    order_id: int


class StopTriggered(msgspec.Struct, frozen=True, gc=False):
    order_id: int


VenueReport = (
    Acked
    | Rejected
    | Filled
    | Canceled
    | CancelRejected
    | Replaced
    | ReplaceRejected
    | Expired
    | StopTriggered
)

ReportSink = Callable[[Sequence[VenueReport]], None]


class Venue(Protocol):
    name: str

    def connect(self, on_reports: ReportSink) -> None:
        """Where reports go; called once, before ``start``."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def submit(self, order: VenueOrder) -> None: ...

    def amend(self, order_id: int, qty: int, price: int) -> None:
        """Change the remaining quantity (lots) and limit price (ticks) of a resting order."""
        ...

    def cancel(self, order_id: int) -> None: ...


__all__ = [
    "Acked",
    "CancelRejected",
    "Canceled",
    "Expired",
    "Filled",
    "Rejected",
    "ReplaceRejected",
    "Replaced",
    "ReportSink",
    "StopTriggered",
    "Venue",
    "VenueOrder",
    "VenueReport",
]
