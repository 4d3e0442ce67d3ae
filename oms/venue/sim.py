"""A simulated exchange that fills orders against the consolidated market data.

``SimVenue`` is not a matching engine: its orders never trade with each other, only with the
liquidity the market data shows. Orders that can take walk the consolidated book level by level
(taker); the rest wait at their limit price (maker) until a trade prints at or through it or the
book crosses it; stops wait for the mark price. Every instruction is handled at once, against
the book as it is then; its reports reach the sink ``latency_ms`` later, batched, in the order
things happened. The rules are written out in ``docs/HOW_IT_WORKS.md`` (simulated venues).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from oms.events import (
    BookUpdate,
    LiquidityName,
    MarketEvent,
    MarkPrice,
    OrderTypeName,
    TimeInForceName,
    Trade,
)
from oms.marketdata import MarketView
from oms.venue import (
    Acked,
    Canceled,
    CancelRejected,
    Expired,
    Filled,
    Rejected,
    Replaced,
    ReplaceRejected,
    ReportSink,
    StopTriggered,
    VenueOrder,
    VenueReport,
)
from oms.venue.fees import FeeSchedule
from oms.venue.ladder import PriceLadder
from oms.venue.liquidity import BookLiquidity
from oms_core import ASK, BID, ConsolidatedBook, InstrumentRegistry

PositionLookup = Callable[[str, str], int]
"""``(account, symbol) -> signed position in lots`` (positive long, negative short)."""

# Reasons of Rejected / ReplaceRejected / CancelRejected (risk's names where they overlap).
POST_ONLY_WOULD_TAKE: Final = "POST_ONLY_WOULD_TAKE"
UNKNOWN_ORDER: Final = "UNKNOWN_ORDER"
UNKNOWN_INSTRUMENT: Final = "UNKNOWN_INSTRUMENT"
DUPLICATE_ORDER_ID: Final = "DUPLICATE_ORDER_ID"
INVALID_QUANTITY: Final = "INVALID_QUANTITY"
INVALID_PRICE: Final = "INVALID_PRICE"

_MARKET_PRICED: Final = frozenset({"MARKET", "STOP_MARKET"})
_STOPS: Final = frozenset({"STOP_MARKET", "STOP_LIMIT"})

_last_start_ns = 0


def _start_ns() -> int:
    """Wall-clock nanoseconds, strictly increasing within the process.

    Exec ids carry it, so two venues of one name never share one, in this process or after a
    restart (the wall clock has moved on).
    """
    global _last_start_ns
    _last_start_ns = max(time.time_ns(), _last_start_ns + 1)
    return _last_start_ns


class _Order:
    """An order at the venue, kept small: slots, and only what matching needs.

    ``qty`` is what is left to fill; ``waiting`` marks a stop not yet triggered; ``ladder`` and
    ``key`` say where it is filed (``ladder`` None: nowhere, it is done or being handled).
    """

    __slots__ = (
        "account",
        "is_buy",
        "key",
        "ladder",
        "order_id",
        "order_type",
        "price",
        "qty",
        "reduce_only",
        "stop_price",
        "symbol",
        "tif",
        "waiting",
    )

    def __init__(self, order: VenueOrder) -> None:
        self.order_id = order.order_id
        self.account = order.account
        self.symbol = order.symbol
        self.is_buy = order.side == "BUY"
        self.order_type: OrderTypeName = order.order_type
        self.tif: TimeInForceName = order.time_in_force
        self.qty = order.qty
        self.price = order.price
        self.stop_price = order.stop_price
        self.reduce_only = order.reduce_only
        self.waiting = order.order_type in _STOPS
        self.ladder: PriceLadder[_Order] | None = None
        self.key = 0

    @property
    def is_market(self) -> bool:
        return self.order_type in _MARKET_PRICED

    @property
    def taken_side(self) -> int:
        """The book side this order trades against: asks for a buy, bids for a sell."""
        return ASK if self.is_buy else BID

    @property
    def limit(self) -> int | None:
        """The worst price it may trade at; None for a market order."""
        return None if self.is_market else self.price


class SimVenue:
    """A simulated venue named ``name`` over ``markets``; implements ``oms.venue.Venue``.

    Args:
        name: the venue's name, also the prefix of its exec ids.
        registry: the instruments it lists.
        markets: the market data it fills against.
        latency_ms: delay between an instruction (or market event) and its reports; 0 delivers
            them on the next loop iteration.
        positions: ``(account, symbol) -> signed lots``; caps reduce-only fills when given.
    """

    def __init__(
        self,
        name: str,
        registry: InstrumentRegistry,
        markets: MarketView,
        *,
        latency_ms: float = 1.0,
        positions: PositionLookup | None = None,
    ) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {latency_ms}")
        self.name = name
        self._registry = registry
        self._markets = markets
        self._latency = latency_ms / 1000
        self._positions = positions
        self._exec_prefix = f"{name}-{_start_ns()}-"
        self._exec_count = 0
        self._fees: dict[str, FeeSchedule] = {}
        self._liquidity = BookLiquidity()
        self._orders: dict[int, _Order] = {}
        self._bids: dict[str, PriceLadder[_Order]] = {}
        self._asks: dict[str, PriceLadder[_Order]] = {}
        self._buy_stops: dict[str, PriceLadder[_Order]] = {}
        self._sell_stops: dict[str, PriceLadder[_Order]] = {}
        self._moved: dict[tuple[str, str], int] = {}
        self._sink: ReportSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._batch: list[VenueReport] = []
        self._outbox: deque[tuple[float, list[VenueReport]]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    # --- the Venue protocol -----------------------------------------------------------------

    def connect(self, on_reports: ReportSink) -> None:
        self._sink = on_reports

    async def start(self) -> None:
        if self._sink is None:
            raise RuntimeError(f"venue {self.name}: connect() must come before start()")
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = self._markets.subscribe(self._on_market)

    async def stop(self) -> None:
        """Stop listening and hand over the reports still held, so no fill is lost."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        reports = [report for _, batch in self._outbox for report in batch]
        self._outbox.clear()
        self._loop = None
        if reports and self._sink is not None:
            self._sink(reports)

    def submit(self, order: VenueOrder) -> None:
        self._begin()
        try:
            self._submit(order)
        finally:
            self._end()

    def amend(self, order_id: int, qty: int, price: int) -> None:
        self._begin()
        try:
            self._amend(order_id, qty, price)
        finally:
            self._end()

    def cancel(self, order_id: int) -> None:
        self._begin()
        try:
            order = self._orders.get(order_id)
            if order is None:
                self._batch.append(CancelRejected(order_id, UNKNOWN_ORDER))
            else:
                self._unfile(order)
                self._batch.append(Canceled(order_id))
        finally:
            self._end()

    # --- report delivery --------------------------------------------------------------------

    def _begin(self) -> None:
        if self._loop is None:
            raise RuntimeError(f"venue {self.name} is not started")

    def _end(self) -> None:
        """Close the work of one instruction or market event: its reports leave together."""
        self._moved.clear()
        if not self._batch:
            return
        assert self._loop is not None
        self._outbox.append((self._loop.time() + self._latency, self._batch))
        self._batch = []
        self._arm()

    def _arm(self) -> None:
        if self._timer is None and self._outbox and self._loop is not None:
            due = self._outbox[0][0]
            self._timer = self._loop.call_at(due, self._deliver, due)

    def _deliver(self, due: float) -> None:
        self._timer = None
        assert self._loop is not None
        assert self._sink is not None
        now = max(self._loop.time(), due)
        reports: list[VenueReport] = []
        while self._outbox and self._outbox[0][0] <= now:
            reports.extend(self._outbox.popleft()[1])
        self._arm()
        self._sink(reports)

    # --- instructions -----------------------------------------------------------------------

    def _submit(self, new: VenueOrder) -> None:
        reason = self._refusal(new)
        order = _Order(new)
        if reason is None and order.tif == "GTX" and not order.waiting:
            reason = POST_ONLY_WOULD_TAKE if self._would_take(order, order.price) else None
        if reason is not None:
            self._batch.append(Rejected(order.order_id, reason))
            return
        self._batch.append(Acked(order.order_id))
        if not order.waiting:
            self._execute(order)
            return
        mark = self._markets.mark(order.symbol)
        if mark is not None and (
            mark >= order.stop_price if order.is_buy else mark <= order.stop_price
        ):
            self._trigger(order)
        else:
            self._file_stop(order)

    def _refusal(self, new: VenueOrder) -> str | None:
        """Why a new order is refused before it reaches the book, or None."""
        if new.symbol not in self._registry:
            return UNKNOWN_INSTRUMENT
        if new.qty <= 0:
            return INVALID_QUANTITY
        if new.order_type in ("LIMIT", "STOP_LIMIT") and new.price <= 0:
            return INVALID_PRICE
        if new.order_type in _STOPS and new.stop_price <= 0:
            return INVALID_PRICE
        if new.order_id in self._orders:
            return DUPLICATE_ORDER_ID
        return None

    def _amend(self, order_id: int, qty: int, price: int) -> None:
        order = self._orders.get(order_id)
        reason = self._amend_refusal(order, qty, price)
        if reason is not None:
            self._batch.append(ReplaceRejected(order_id, reason))
            return
        assert order is not None
        self._unfile(order)
        order.qty, order.price = qty, price
        self._batch.append(Replaced(order_id))
        if order.waiting:
            self._file_stop(order)
        else:
            self._execute(order)

    def _amend_refusal(self, order: _Order | None, qty: int, price: int) -> str | None:
        """Why an amend is refused, or None; only an order still at the venue can change."""
        if qty <= 0:
            return INVALID_QUANTITY
        if order is None:
            return UNKNOWN_ORDER
        if order.is_market or price <= 0:
            return INVALID_PRICE
        if order.tif == "GTX" and not order.waiting and self._would_take(order, price):
            return POST_ONLY_WOULD_TAKE
        return None

    # --- trading ----------------------------------------------------------------------------

    def _execute(self, order: _Order) -> None:
        """Trade ``order`` as the market or limit order it now is, by its time in force."""
        if order.tif == "GTX":
            if self._would_take(order, order.price):
                self._expire(order)
            else:
                self._rest(order)
            return
        book = self._markets.book(order.symbol)
        if order.tif == "FOK" and not self._fillable(order, book):
            self._expire(order)
        elif book is not None and self._match_book(order, book, "TAKER"):
            return
        elif order.is_market or order.tif != "GTC":
            self._expire(order)
        else:
            self._rest(order)

    def _match_book(self, order: _Order, book: ConsolidatedBook, liquidity: LiquidityName) -> bool:
        """Fill ``order`` from the liquidity left in the book at prices its limit reaches.

        A taker fills level by level at each level's price; a resting order the book crosses
        fills at its own limit price. A reduce-only order offered more than it may fill fills
        what it may and expires. Returns whether the order is done (filled or expired).
        """
        side, limit = order.taken_side, order.limit
        cap = self._reduce_cap(order)
        before = order.qty
        taken = self._liquidity.take(book, side, limit, before if cap is None else min(before, cap))
        if liquidity == "TAKER":
            for price, lots in taken:
                self._fill(order, lots, price, "TAKER")
        elif taken:
            self._fill(order, sum(lots for _, lots in taken), order.price, "MAKER")
        if order.qty == 0:
            return True
        capped = cap is not None and before - order.qty == cap
        if capped and self._liquidity.available(book, side, limit, 1):
            self._expire(order)
            return True
        return False

    def _fill_at_limit(self, order: _Order, offered: int) -> int:
        """Fill up to ``offered`` lots of a resting order at its limit price; the lots filled."""
        cap = self._reduce_cap(order)
        lots = min(offered, order.qty)
        if cap is not None and cap < lots:
            if cap:
                self._fill(order, cap, order.price, "MAKER")
            self._expire(order)
            return cap
        self._fill(order, lots, order.price, "MAKER")
        return lots

    def _fill(self, order: _Order, lots: int, price: int, liquidity: LiquidityName) -> None:
        self._exec_count += 1
        fees = self._fees.get(order.symbol)
        if fees is None:
            fees = self._fees[order.symbol] = FeeSchedule(self._registry.get(order.symbol))
        self._batch.append(
            Filled(
                order.order_id,
                f"{self._exec_prefix}{self._exec_count}",
                lots,
                price,
                fees.fee(lots, price, liquidity),
                liquidity,
                time.time_ns(),
            )
        )
        order.qty -= lots
        if self._positions is not None:
            key = (order.account, order.symbol)
            self._moved[key] = self._moved.get(key, 0) + (lots if order.is_buy else -lots)
        if order.qty == 0 and order.ladder is not None:
            self._unfile(order)

    def _expire(self, order: _Order) -> None:
        if order.ladder is not None:
            self._unfile(order)
        self._batch.append(Expired(order.order_id))

    def _reduce_cap(self, order: _Order) -> int | None:
        """The most a reduce-only order may fill now without growing or flipping the position.

        The position is the lookup's plus this instruction's or event's own fills so far, which
        the lookup cannot know yet. None when there is no cap.
        """
        if not order.reduce_only or self._positions is None:
            return None
        key = (order.account, order.symbol)
        position = self._positions(order.account, order.symbol) + self._moved.get(key, 0)
        return max(0, -position if order.is_buy else position)

    def _would_take(self, order: _Order, price: int) -> bool:
        """Whether ``order`` at limit ``price`` would take liquidity now (always, at market)."""
        if order.is_market:
            return True
        book = self._markets.book(order.symbol)
        return book is not None and self._liquidity.available(book, order.taken_side, price, 1) > 0

    def _fillable(self, order: _Order, book: ConsolidatedBook | None) -> bool:
        """Whether a fill-or-kill order can fill entirely now."""
        if book is None:
            return False
        cap = self._reduce_cap(order)
        if cap is not None and cap < order.qty:
            return False
        got = self._liquidity.available(book, order.taken_side, order.limit, order.qty)
        return got == order.qty

    # --- filing -----------------------------------------------------------------------------

    def _rest(self, order: _Order) -> None:
        ladders = self._bids if order.is_buy else self._asks
        self._file(order, ladders, -order.price if order.is_buy else order.price)

    def _file_stop(self, order: _Order) -> None:
        ladders = self._buy_stops if order.is_buy else self._sell_stops
        self._file(order, ladders, order.stop_price if order.is_buy else -order.stop_price)

    def _file(self, order: _Order, ladders: dict[str, PriceLadder[_Order]], key: int) -> None:
        ladder = ladders.get(order.symbol)
        if ladder is None:
            ladder = ladders[order.symbol] = PriceLadder()
        ladder.add(key, order.order_id, order)
        order.ladder, order.key = ladder, key
        self._orders[order.order_id] = order

    def _unfile(self, order: _Order) -> None:
        assert order.ladder is not None
        order.ladder.remove(order.key, order.order_id)
        order.ladder = None
        del self._orders[order.order_id]

    # --- market events ----------------------------------------------------------------------

    def _on_market(self, event: MarketEvent) -> None:
        if self._loop is None:
            return
        try:
            if isinstance(event, BookUpdate):
                self._on_book(event)
            elif isinstance(event, Trade):
                self._on_trade(event)
            elif isinstance(event, MarkPrice):
                self._on_mark(event)
        finally:
            self._end()

    def _on_book(self, update: BookUpdate) -> None:
        """Forget what was taken at the changed levels, then fill the orders the book crosses.

        After every instruction and event no resting order is crossed by what the book still
        offers, so only a side that changed can cross the orders facing it.
        """
        self._liquidity.forget(update)
        book = self._markets.book(update.symbol)
        if book is None:
            return
        bids, asks = self._bids.get(update.symbol), self._asks.get(update.symbol)
        if bids and (update.asks or update.snapshot):
            self._fill_crossed(bids, book, ASK)
        if asks and (update.bids or update.snapshot):
            self._fill_crossed(asks, book, BID)

    def _fill_crossed(self, ladder: PriceLadder[_Order], book: ConsolidatedBook, side: int) -> None:
        """Fill the orders of ``ladder`` that the liquidity left on ``side`` reaches, in turn.

        An order that stays open has used up everything its limit reaches, and the orders
        after it have worse limits: the walk stops there.
        """
        best = self._liquidity.best(book, side)
        if best is None:
            return
        for order in ladder.through(-best if side == ASK else best):
            if not self._match_book(order, book, "MAKER"):
                return

    def _on_trade(self, trade: Trade) -> None:
        """A print at ``price`` fills resting buys at or above it and sells at or below it."""
        for ladder, key in (
            (self._bids.get(trade.symbol), -trade.price),
            (self._asks.get(trade.symbol), trade.price),
        ):
            if not ladder:
                continue
            left = trade.qty
            for order in ladder.through(key):
                left -= self._fill_at_limit(order, left)
                if left <= 0:
                    break

    def _on_mark(self, mark: MarkPrice) -> None:
        """Trigger the stops the mark reached: buys at or below it, sells at or above it."""
        for ladders, key in ((self._buy_stops, mark.price), (self._sell_stops, -mark.price)):
            ladder = ladders.get(mark.symbol)
            if ladder:
                for order in list(ladder.through(key)):
                    self._unfile(order)
                    self._trigger(order)

    def _trigger(self, order: _Order) -> None:
        order.waiting = False
        self._batch.append(StopTriggered(order.order_id))
        self._execute(order)


__all__ = [
    "DUPLICATE_ORDER_ID",
    "INVALID_PRICE",
    "INVALID_QUANTITY",
    "POST_ONLY_WOULD_TAKE",
    "UNKNOWN_INSTRUMENT",
    "UNKNOWN_ORDER",
    "PositionLookup",
    "SimVenue",
]
