"""The messages the services exchange: one catalogue, typed, versioned, encoded as JSON.

Every message is a ``msgspec.Struct`` (``gc=False``: they hold no cycles, so the collector never
walks them) tagged with ``<name>.v<version>``. A consumer decodes a topic's payload into the
union of that topic's messages; an unknown tag is a decode error, so a newer producer cannot be
misread silently. Prices are integer ticks, sizes integer lots and money integer atoms (1e-8) of
the instrument named by ``symbol``: exact, and cheap to hand to ``oms_core``. Decimal strings
appear only where a message is built for people (account snapshots, tickers).

Topics and keys (see ``docs/HOW_IT_WORKS.md``):

====================  ==========  ===================================================
topic                 key         messages
====================  ==========  ===================================================
``oms.commands``      account     NewOrder, AmendOrder, CancelOrder, CancelAll,
                                  SetTradingState, SetLimits
``oms.orders``        account     OrderAccepted, OrderRejected, AmendDecision,
                                  AmendOrder, CancelOrder, CancelAll (passed on by risk)
``oms.events``        account     OrderUpdate, Execution, ReplaceRequested, ReplaceRejected
``oms.accounts``      account     AccountSnapshot
``oms.marketdata``    symbol      BookUpdate, Trade, Ticker, MarkPrice
``oms.deadletter``    source key  DeadLetter (a message a consumer could not handle)
====================  ==========  ===================================================
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import msgspec

COMMANDS: Final = "oms.commands"
ORDERS: Final = "oms.orders"
EVENTS: Final = "oms.events"
ACCOUNTS: Final = "oms.accounts"
MARKETDATA: Final = "oms.marketdata"
DEADLETTER: Final = "oms.deadletter"

GLOBAL_KEY: Final = "*"
"""Bus key of commands that concern every account (the global kill switch)."""

SideName = Literal["BUY", "SELL"]
OrderTypeName = Literal["LIMIT", "MARKET", "STOP_MARKET", "STOP_LIMIT"]
TimeInForceName = Literal["GTC", "IOC", "FOK", "GTX"]
StatusName = Literal[
    "PENDING_NEW",
    "NEW",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELED",
    "PENDING_REPLACE",
    "REJECTED",
    "EXPIRED",
]
TradingStateName = Literal["ACTIVE", "REDUCING", "HALTED"]
LiquidityName = Literal["MAKER", "TAKER"]

TERMINAL_STATUSES: Final[frozenset[str]] = frozenset({"FILLED", "CANCELED", "REJECTED", "EXPIRED"})


class Message(msgspec.Struct, frozen=True, gc=False, tag_field="type", omit_defaults=True):
    """Base of every message; ``type`` on the wire is ``<name>.v<version>``."""


# --- commands: api → risk (oms.commands) -----------------------------------------------------


class NewOrder(Message, frozen=True, tag="NewOrder.v1"):
    """A validated order as the API accepted it; ``order_id`` is assigned by the API."""

    order_id: int
    account: str
    client_order_id: str
    symbol: str
    side: SideName
    order_type: OrderTypeName
    time_in_force: TimeInForceName
    qty: int
    price: int = 0
    stop_price: int = 0
    reduce_only: bool = False
    ts_ns: int = 0


class AmendOrder(Message, frozen=True, tag="AmendOrder.v1"):
    """Change an open order's total quantity (lots) and/or limit price (ticks)."""

    order_id: int
    account: str
    qty: int
    price: int
    ts_ns: int = 0


class CancelOrder(Message, frozen=True, tag="CancelOrder.v1"):
    order_id: int
    account: str
    ts_ns: int = 0


class CancelAll(Message, frozen=True, tag="CancelAll.v1"):
    """Cancel every open order of an account, or only those of ``symbol``."""

    account: str
    symbol: str | None = None
    ts_ns: int = 0


class SetTradingState(Message, frozen=True, tag="SetTradingState.v1"):
    """Kill switch; ``account`` None is the global switch (bus key ``GLOBAL_KEY``)."""

    state: TradingStateName
    account: str | None = None
    ts_ns: int = 0


class SetLimits(Message, frozen=True, tag="SetLimits.v1"):
    """Replace some risk limits of an account; values are decimal strings or integers."""

    account: str
    limits: dict[str, str]
    ts_ns: int = 0


Command: TypeAlias = NewOrder | AmendOrder | CancelOrder | CancelAll | SetTradingState | SetLimits

# --- risk decisions: risk → processor (oms.orders) -------------------------------------------


class OrderAccepted(Message, frozen=True, tag="OrderAccepted.v1"):
    order: NewOrder
    ts_ns: int = 0


class OrderRejected(Message, frozen=True, tag="OrderRejected.v1"):
    """``reason`` is a stable code: one of ``oms_core.REJECT_REASONS``."""

    order: NewOrder
    reason: str
    ts_ns: int = 0


class AmendDecision(Message, frozen=True, tag="AmendDecision.v1"):
    """Risk's answer to a ``ReplaceRequested``; the processor then amends at the venue."""

    order_id: int
    account: str
    accepted: bool
    reason: str = "ACCEPTED"
    ts_ns: int = 0


OrderInstruction: TypeAlias = (
    OrderAccepted | OrderRejected | AmendDecision | AmendOrder | CancelOrder | CancelAll
)

# --- order events: processor → risk, store, api (oms.events) ---------------------------------


class OrderUpdate(Message, frozen=True, tag="OrderUpdate.v1"):
    """The whole order after a change; ``seq`` grows by one per change, so stores keep the newest.

    ``cum_notional`` (Σ fill quantity × price) and ``fees`` are money atoms (1e-8) of the quote
    asset, so the average price is ``cum_notional / cum_qty`` in quote money per lot.
    """

    order_id: int
    account: str
    client_order_id: str
    symbol: str
    side: SideName
    order_type: OrderTypeName
    time_in_force: TimeInForceName
    qty: int
    price: int
    stop_price: int
    reduce_only: bool
    status: StatusName
    cum_qty: int
    leaves_qty: int
    cum_notional: int
    fees: int
    seq: int
    created_ns: int
    updated_ns: int
    last_qty: int = 0
    last_price: int = 0
    reject_reason: str = ""
    triggered: bool = False


class Execution(Message, frozen=True, tag="Execution.v1"):
    """One fill; ``exec_id`` is unique, so a replayed fill is recognised and ignored."""

    exec_id: str
    order_id: int
    account: str
    symbol: str
    side: SideName
    qty: int
    price: int
    fee: int
    liquidity: LiquidityName
    venue: str
    ts_ns: int


class ReplaceRequested(Message, frozen=True, tag="ReplaceRequested.v1"):
    """An amend passed the state machine; risk must re-check the order on its new terms."""

    order_id: int
    account: str
    symbol: str
    order_type: OrderTypeName
    leaves_qty: int
    price: int
    ts_ns: int = 0


class ReplaceRejected(Message, frozen=True, tag="ReplaceRejected.v1"):
    """An amend failed after risk accepted it; risk puts the reservation back on these terms."""

    order_id: int
    account: str
    symbol: str
    side: SideName
    order_type: OrderTypeName
    leaves_qty: int
    price: int
    stop_price: int
    reduce_only: bool
    ts_ns: int = 0


OrderEvent: TypeAlias = OrderUpdate | Execution | ReplaceRequested | ReplaceRejected

# --- account snapshots: risk → store, api (oms.accounts) -------------------------------------


class BalanceView(msgspec.Struct, frozen=True, gc=False):
    asset: str
    total: str
    reserved: str
    available: str


class PositionView(msgspec.Struct, frozen=True, gc=False):
    """One perpetual position; prices and money as decimal strings, ``None`` when undefined."""

    symbol: str
    qty: str
    entry_price: str | None
    mark_price: str | None
    notional: str
    unrealized_pnl: str
    realized_pnl: str
    initial_margin: str
    maintenance_margin: str
    leverage: int
    liquidation_price: str | None


class AccountSnapshot(Message, frozen=True, tag="AccountSnapshot.v1"):
    """Balances, margin and positions of one account as risk sees them; ``seq`` orders them."""

    account: str
    seq: int
    trading_state: TradingStateName
    balances: list[BalanceView]
    positions: list[PositionView]
    equity: str
    initial_margin: str
    maintenance_margin: str
    available_margin: str
    margin_ratio: str | None
    unrealized_pnl: str
    limits: dict[str, str]
    ts_ns: int


# --- market data: marketdata → risk, venues, api (oms.marketdata) ----------------------------


class BookUpdate(Message, frozen=True, tag="BookUpdate.v1"):
    """Consolidated book levels that changed, ``[price_ticks, size_lots]`` (size 0 removes).

    ``seq`` grows by one per update of a symbol; a gap means the reader must resync from a
    snapshot. ``snapshot`` True means the lists are the whole top of the book.
    """

    symbol: str
    seq: int
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]
    ts_ns: int
    snapshot: bool = False


class Trade(Message, frozen=True, tag="Trade.v1"):
    """A print at a venue; ``aggressor`` is the taker's side."""

    symbol: str
    venue: str
    price: int
    qty: int
    aggressor: SideName
    ts_ns: int


class Ticker(Message, frozen=True, tag="Ticker.v1"):
    """Top of the consolidated book and the day's figures, as decimal strings for people."""

    symbol: str
    bid: str | None
    bid_qty: str | None
    ask: str | None
    ask_qty: str | None
    last: str | None
    mark: str | None
    open_24h: str | None
    high_24h: str | None
    low_24h: str | None
    volume_24h: str
    change_pct_24h: str | None
    ts_ns: int


class MarkPrice(Message, frozen=True, tag="MarkPrice.v1"):
    """Mark price in ticks: the median of the venues' mid prices (see HOW_IT_WORKS)."""

    symbol: str
    price: int
    ts_ns: int


MarketEvent: TypeAlias = BookUpdate | Trade | Ticker | MarkPrice


# --- dead letters: any consumer → operators (oms.deadletter) ----------------------------------


class DeadLetter(Message, frozen=True, tag="DeadLetter.v1"):
    """A message a service skipped because it could not decode or handle it, kept whole
    (``value`` travels base64-encoded) with where it came from and why it was refused."""

    service: str
    topic: str
    partition: int
    offset: int
    key: str
    error: str
    value: bytes
    ts_ns: int


# --- codecs -----------------------------------------------------------------------------------

_encoder = msgspec.json.Encoder()
command_decoder: Final = msgspec.json.Decoder(Command)
instruction_decoder: Final = msgspec.json.Decoder(OrderInstruction)
event_decoder: Final = msgspec.json.Decoder(OrderEvent)
snapshot_decoder: Final = msgspec.json.Decoder(AccountSnapshot)
market_decoder: Final = msgspec.json.Decoder(MarketEvent)
order_update_decoder: Final = msgspec.json.Decoder(OrderUpdate)
dead_letter_decoder: Final = msgspec.json.Decoder(DeadLetter)
execution_decoder: Final = msgspec.json.Decoder(Execution)
new_order_decoder: Final = msgspec.json.Decoder(NewOrder)


def encode(message: Message) -> bytes:
    """The JSON bytes of a message, tag included."""
    return _encoder.encode(message)


__all__ = [
    "ACCOUNTS",
    "COMMANDS",
    "DEADLETTER",
    "EVENTS",
    "GLOBAL_KEY",
    "MARKETDATA",
    "ORDERS",
    "TERMINAL_STATUSES",
    "AccountSnapshot",
    "AmendDecision",
    "AmendOrder",
    "BalanceView",
    "BookUpdate",
    "CancelAll",
    "CancelOrder",
    "Command",
    "DeadLetter",
    "Execution",
    "MarkPrice",
    "MarketEvent",
    "Message",
    "NewOrder",
    "OrderAccepted",
    "OrderEvent",
    "OrderInstruction",
    "OrderRejected",
    "OrderUpdate",
    "PositionView",
    "ReplaceRejected",
    "ReplaceRequested",
    "SetLimits",
    "SetTradingState",
    "Ticker",
    "Trade",
    "command_decoder",
    "dead_letter_decoder",
    "encode",
    "event_decoder",
    "execution_decoder",
    "instruction_decoder",
    "market_decoder",
    "new_order_decoder",
    "order_update_decoder",
    "snapshot_decoder",
]
