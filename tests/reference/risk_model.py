"""A pure-Python reference of pre-trade risk, reservations and fill booking in ``core_rs``.

It restates the rules of ``core_rs/src/risk.rs``, ``margin.rs`` and ``account.rs`` step by step,
written for reading rather than speed, so tests can run ``oms_core.RiskEngine`` and this model
side by side and demand identical results. It reads instruments from the same JSON as the
registry (``core_rs/data/instruments.json`` by default) and parses it with ``decimal``, not
with the core.

Units are the core's: sizes in lots, prices in ticks, money in atoms of 1e-8 of the
settlement asset, rates in units of 1e-8. Fees and margins round up; PnL is exact.

Covered subset: one settlement asset (every instrument's quote is it, ``USDT`` by default),
spot and perpetual instruments, every reject reason code, ``check``, ``check_replace`` (which
keeps a stop order's stop price), fills, order ends, marks, deposits and withdrawals, kill
switches, leverage, and the views (balances, positions, account summary, liquidation price).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

RATE_ONE = 10**8
MONEY_DECIMALS = 8
SECOND_NS = 1_000_000_000
I64_MAX = 2**63 - 1
I64_MIN = -(2**63)
INSTRUMENTS_JSON = Path(__file__).resolve().parents[2] / "core_rs" / "data" / "instruments.json"

# Reject reasons by code; the engine returns the code, ``oms_core.REJECT_REASONS`` the names.
REASONS = (
    "ACCEPTED",
    "UNKNOWN_ACCOUNT",
    "DUPLICATE_ORDER_ID",
    "TRADING_HALTED",
    "UNKNOWN_INSTRUMENT",
    "INVALID_QUANTITY",
    "INVALID_PRICE",
    "QTY_BELOW_MIN",
    "QTY_ABOVE_MAX",
    "NOTIONAL_BELOW_MIN",
    "NOTIONAL_ABOVE_MAX",
    "NO_MARK_PRICE",
    "PRICE_OUTSIDE_BAND",
    "TOO_MANY_OPEN_ORDERS",
    "RATE_LIMITED",
    "TRADING_REDUCE_ONLY",
    "REDUCE_ONLY_WOULD_INCREASE",
    "MAX_POSITION_EXCEEDED",
    "LEVERAGE_BRACKET_EXCEEDED",
    "INSUFFICIENT_BALANCE",
    "INSUFFICIENT_MARGIN",
    "DRAWDOWN_LIMIT",
)

ACTIVE, REDUCING, HALTED = "ACTIVE", "REDUCING", "HALTED"
BUY, SELL = "BUY", "SELL"
LIMIT, MARKET, STOP_MARKET, STOP_LIMIT = "LIMIT", "MARKET", "STOP_MARKET", "STOP_LIMIT"
ORDER_TYPES = (LIMIT, MARKET, STOP_MARKET, STOP_LIMIT)
HAS_LIMIT_PRICE = frozenset({LIMIT, STOP_LIMIT})
HAS_STOP_PRICE = frozenset({STOP_MARKET, STOP_LIMIT})


class RiskRuleError(Exception):
    """A refused call; ``code`` matches the ``oms_core`` exception's ``code``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class _Rejected(Exception):  # noqa: N818 - control flow inside ``check``, never escapes
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- integer arithmetic the core uses ---------------------------------------------------------


def ceil_div(a: int, d: int) -> int:
    """``a / d`` rounded up (``d > 0``): fees and margins are never understated."""
    return -(-a // d)


def trunc_div(a: int, d: int) -> int:
    """``a / d`` rounded toward zero, like Rust's integer division."""
    q = abs(a) // abs(d)
    return q if (a >= 0) == (d > 0) else -q


def decimal_atoms(text: str, decimals: int) -> int:
    """Exact decimal text as an integer count of ``10**-decimals``; excess precision raises."""
    scaled = Decimal(text).scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text} has more than {decimals} decimals")
    return int(scaled)


def scale_of(text: str) -> int:
    """Decimals of a tick or lot size such as ``"0.001"`` (3)."""
    exponent = Decimal(text).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


# --- instruments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bracket:
    """One maintenance tier: from ``floor`` money atoms, rate ``mmr``, minus ``amount``."""

    floor: int
    mmr: int
    amount: int
    max_leverage: int


@dataclass(frozen=True)
class Market:
    """An instrument as risk sees it. ``lot_size`` is in quantity atoms (``10**-qty_decimals``),
    ``unit_notional`` is one lot at one tick in money atoms, ``lot_atoms`` one lot of the base
    asset in money atoms."""

    symbol: str
    perpetual: bool
    base: str
    quote: str
    qty_decimals: int
    lot_size: int
    unit_notional: int
    lot_atoms: int
    min_lots: int
    max_lots: int
    min_notional: int
    taker_fee: int
    brackets: tuple[Bracket, ...]

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].max_leverage if self.brackets else 1

    def bracket_for(self, notional: int) -> Bracket | None:
        """The highest tier whose floor the notional reaches."""
        found = None
        for b in self.brackets:
            if notional >= b.floor:
                found = b
        return found

    def notional(self, lots: int, ticks: int) -> int:
        return lots * ticks * self.unit_notional


def load_markets(text: str | None = None) -> list[Market]:
    """Markets in registry order from JSON in the format of ``instruments.json``."""
    spec = json.loads(text if text is not None else INSTRUMENTS_JSON.read_text())
    markets = []
    for s in spec["instruments"]:
        pd, qd = scale_of(s["tick_size"]), scale_of(s["lot_size"])
        tick, lot = decimal_atoms(s["tick_size"], pd), decimal_atoms(s["lot_size"], qd)
        money = lambda t: decimal_atoms(t, MONEY_DECIMALS)  # noqa: E731
        brackets = tuple(
            Bracket(
                money(b["notional_floor"]),
                decimal_atoms(b["mmr"], 8),
                money(b["maintenance_amount"]),
                b["max_leverage"],
            )
            for b in s.get("brackets", [])
        )
        markets.append(
            Market(
                symbol=s["symbol"],
                perpetual=s["kind"] == "perpetual",
                base=s["base"],
                quote=s["quote"],
                qty_decimals=qd,
                lot_size=lot,
                unit_notional=tick * lot * 10 ** (MONEY_DECIMALS - pd - qd),
                lot_atoms=lot * 10 ** (MONEY_DECIMALS - qd),
                min_lots=decimal_atoms(s["min_qty"], qd) // lot,
                max_lots=decimal_atoms(s["max_qty"], qd) // lot,
                min_notional=money(s["min_notional"]),
                taker_fee=decimal_atoms(s["taker_fee"], 8),
                brackets=brackets,
            )
        )
    return markets


# --- margin math (margin.rs) ------------------------------------------------------------------


def initial_margin(notional: int, leverage: int) -> int:
    return ceil_div(abs(notional), max(leverage, 1))


def maintenance_margin(market: Market, notional: int) -> int:
    """``|notional| * mmr`` (rounded up) minus the tier's amount; 0 for spot."""
    n = abs(notional)
    b = market.bracket_for(n)
    return 0 if b is None else max(ceil_div(n * b.mmr, RATE_ONE) - b.amount, 0)


def margin_ratio(maintenance: int, margin_balance: int) -> int | None:
    """Maintenance over margin balance in rate units, rounded up; None when not positive."""
    return ceil_div(maintenance * RATE_ONE, margin_balance) if margin_balance > 0 else None


def liquidation_price(
    market: Market, lots: int, cost: int, collateral: int
) -> tuple[int, int] | None:
    """The mark at which margin balance meets maintenance, as an exact ``(num, den)``.

    ``LP = (collateral + amount - cost) / (|qty| * mmr - qty)`` per tier, keeping the tier the
    liquidation notional falls in, else the tier of the current notional. The fraction is in
    real price units over real quantities (``num / den`` is the price).
    """
    if lots == 0 or not market.brackets:
        return None
    q_atoms = lots * market.lot_size
    side = 1 if q_atoms > 0 else -1

    def candidate(b: Bracket) -> tuple[int, int] | None:
        num = (collateral + b.amount - cost) * 10**market.qty_decimals
        den = abs(q_atoms) * (b.mmr - side * RATE_ONE)
        if den < 0:
            num, den = -num, -den
        return (num, den) if den != 0 and num > 0 else None

    scale = 10 ** (MONEY_DECIMALS - market.qty_decimals)
    for i, b in enumerate(market.brackets):
        p = candidate(b)
        if p is None:
            continue
        at = abs(q_atoms) * p[0] * scale // p[1]
        upper = market.brackets[i + 1].floor if i + 1 < len(market.brackets) else None
        if at >= b.floor and (upper is None or at < upper):
            return p
    current = market.bracket_for(abs(cost))
    return candidate(current) if current is not None else None


def price_atoms(fraction: tuple[int, int], decimals: int, up: bool) -> int:
    """An exact price fraction in atoms of ``10**-decimals``, rounded up or down."""
    num, den = fraction
    n = num * 10**decimals
    return ceil_div(n, den) if up else n // den


# --- accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Pre-trade limits; defaults match ``Limits::default()``."""

    max_order_notional: int = 1_000_000 * 10**8
    max_position_notional: int = 5_000_000 * 10**8
    price_band: int = RATE_ONE // 10
    max_open_orders: int = 200
    max_orders_per_second: int = 50
    max_drawdown: int = RATE_ONE // 2
    default_leverage: int = 10


@dataclass
class Position:
    """One-way: ``qty`` lots (long > 0) and ``cost``, the signed notional of its fills."""

    qty: int = 0
    cost: int = 0
    realized_pnl: int = 0
    fees: int = 0


@dataclass
class Exposure:
    """Lots of open orders in one instrument, by side and reduce-only flag."""

    buy: int = 0
    sell: int = 0
    reduce_buy: int = 0
    reduce_sell: int = 0

    def add(self, side: str, reduce_only: bool, lots: int) -> None:
        name = ("reduce_" if reduce_only else "") + side.lower()
        setattr(self, name, getattr(self, name) + lots)


@dataclass
class Account:
    name: str
    limits: Limits
    balances: dict[str, int]
    reserved: dict[str, int]
    positions: list[Position]
    leverage: list[int]
    exposure: list[Exposure]
    state: str = ACTIVE
    open_orders: int = 0
    # Times of the orders admitted in the last second, oldest first.
    recent_orders: deque[int] = field(default_factory=deque)
    equity_peak: int = 0

    def admit_rate(self, now_ns: int) -> bool:
        """Admits an order at ``now_ns`` if fewer than the limit were admitted in the second
        before it, ``(now_ns - 1s, now_ns]``, and counts it; False when over the limit."""
        while self.recent_orders and now_ns - self.recent_orders[0] >= SECOND_NS:
            self.recent_orders.popleft()
        if len(self.recent_orders) >= self.limits.max_orders_per_second:
            return False
        self.recent_orders.append(now_ns)
        return True


@dataclass(frozen=True)
class Order:
    """An order as risk sees it (``price`` / ``stop_price`` 0 where the type has none)."""

    order_id: int
    account: int
    instrument: int
    side: str
    order_type: str
    qty: int
    price: int = 0
    stop_price: int = 0
    reduce_only: bool = False
    now_ns: int = 0


@dataclass
class Reservation:
    account: int
    instrument: int
    side: str
    reduce_only: bool
    stop_price: int
    asset: str
    leaves: int
    held: int


@dataclass(frozen=True)
class Summary:
    wallet: int
    unrealized_pnl: int
    margin_balance: int
    equity: int
    equity_peak: int
    position_initial_margin: int
    order_margin: int
    maintenance_margin: int
    margin_ratio: int | None
    available: int
    state: str


# --- the engine -------------------------------------------------------------------------------


@dataclass
class ReferenceRisk:
    """Accounts, marks, open reservations and the kill switches, like ``RiskEngine``."""

    markets: list[Market] = field(default_factory=load_markets)
    settlement: str = "USDT"
    accounts: list[Account] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    open: dict[int, Reservation] = field(default_factory=dict)
    global_state: str = ACTIVE

    def __post_init__(self) -> None:
        self.marks = [0] * len(self.markets)
        names = [self.settlement]
        for m in self.markets:
            if m.quote != self.settlement:
                raise RiskRuleError(
                    "INVALID_CONFIG", f"{m.symbol} does not settle in {self.settlement}"
                )
            names += [a for a in (m.base, m.quote) if a not in names]
        self.assets = names
        # Spot holdings are valued at the mark of their (last) spot market.
        self.valuation = {m.base: i for i, m in enumerate(self.markets) if not m.perpetual}

    # --- set-up and administration ---

    def add_account(self, name: str, limits: Limits | None = None) -> int:
        if any(a.name == name for a in self.accounts):
            raise RiskRuleError("INVALID_ARGUMENT", f"account {name!r} exists")
        limits = limits or Limits()
        n = len(self.markets)
        self.accounts.append(
            Account(
                name=name,
                limits=limits,
                balances=dict.fromkeys(self.assets, 0),
                reserved=dict.fromkeys(self.assets, 0),
                positions=[Position() for _ in range(n)],
                leverage=[min(limits.default_leverage, m.max_leverage) for m in self.markets],
                exposure=[Exposure() for _ in range(n)],
            )
        )
        return len(self.accounts) - 1

    def account(self, idx: int) -> Account:
        if not 0 <= idx < len(self.accounts):
            raise RiskRuleError("UNKNOWN_ACCOUNT", f"index {idx}")
        return self.accounts[idx]

    def market(self, idx: int) -> Market:
        if not 0 <= idx < len(self.markets):
            raise RiskRuleError("UNKNOWN_INSTRUMENT", f"index {idx}")
        return self.markets[idx]

    def _asset(self, asset: str) -> str:
        if asset not in self.assets:
            raise RiskRuleError("INVALID_ARGUMENT", f"unknown asset {asset!r}")
        return asset

    def deposit(self, account: int, asset: str, amount: int) -> None:
        """Credits (negative: debits) an asset. A withdrawal of the settlement asset may take
        only the available margin (neither what open orders hold nor the positions' margin);
        of another asset, only what open orders do not hold."""
        asset = self._asset(asset)
        acct = self.account(account)
        if amount < 0:
            if asset == self.settlement:
                upnl, position_im, _ = self._position_totals(acct)
                available = self._available(acct, upnl, position_im)
            else:
                available = acct.balances[asset] - acct.reserved[asset]
            if -amount > available:
                raise RiskRuleError("INVALID_ARGUMENT", "withdrawal exceeds available balance")
        acct.balances[asset] += amount

    def set_mark(self, instrument: int, ticks: int) -> None:
        self.market(instrument)
        if ticks <= 0:
            raise RiskRuleError("INVALID_PRICE", f"mark of {ticks} ticks")
        self.marks[instrument] = ticks

    def set_leverage(self, account: int, instrument: int, leverage: int) -> None:
        m = self.market(instrument)
        if not m.perpetual:
            raise RiskRuleError("INVALID_LEVERAGE", "spot instruments have no leverage")
        if not 1 <= leverage <= m.max_leverage:
            raise RiskRuleError("INVALID_LEVERAGE", f"{leverage}x")
        self.account(account).leverage[instrument] = leverage

    def set_trading_state(self, state: str, account: int | None = None) -> None:
        """The kill switch of one account, or the global one; re-arming starts a new peak."""
        if account is None:
            self.global_state = state
            return
        acct = self.account(account)
        acct.state = state
        if state == ACTIVE:
            acct.equity_peak = 0

    # --- pre-trade ---

    def check(self, o: Order) -> str:
        """Runs the checks in order; on ACCEPTED reserves the order's funds or margin."""
        try:
            held = self._evaluate(o, new_order=True)
        except _Rejected as r:
            return r.reason
        self._reserve(o, held)
        return "ACCEPTED"

    def check_replace(
        self, order_id: int, order_type: str, leaves: int, price: int, now_ns: int = 0
    ) -> str:
        """An amend re-checked as if new (no open-order or rate checks), with the order's side,
        reduce-only flag and stop price; keeps the old reservation when rejected."""
        if order_id not in self.open:
            raise RiskRuleError("UNKNOWN_ORDER", str(order_id))
        old = replace(self.open[order_id])
        self._release(order_id, None)
        o = Order(
            order_id,
            old.account,
            old.instrument,
            old.side,
            order_type,
            qty=leaves,
            price=price,
            stop_price=old.stop_price,
            reduce_only=old.reduce_only,
            now_ns=now_ns,
        )
        try:
            held = self._evaluate(o, new_order=False)
        except _Rejected as r:
            self._restore(order_id, old)
            return r.reason
        self._reserve(o, held)
        return "ACCEPTED"

    def _evaluate(self, o: Order, new_order: bool) -> int:
        """The numbered checks of ``risk.rs``; returns the money atoms to hold."""
        # 1. account, order id, halt
        if not 0 <= o.account < len(self.accounts):
            raise _Rejected("UNKNOWN_ACCOUNT")
        acct = self.accounts[o.account]
        if new_order and o.order_id in self.open:
            raise _Rejected("DUPLICATE_ORDER_ID")
        if HALTED in (self.global_state, acct.state):
            raise _Rejected("TRADING_HALTED")
        # 2. instrument and shape
        if not 0 <= o.instrument < len(self.markets):
            raise _Rejected("UNKNOWN_INSTRUMENT")
        m = self.markets[o.instrument]
        if o.qty <= 0:
            raise _Rejected("INVALID_QUANTITY")
        price_ok = o.price > 0 if o.order_type in HAS_LIMIT_PRICE else o.price == 0
        stop_ok = o.stop_price > 0 if o.order_type in HAS_STOP_PRICE else o.stop_price == 0
        if not (price_ok and stop_ok):
            raise _Rejected("INVALID_PRICE")
        # 3. quantity bounds
        if o.qty < m.min_lots:
            raise _Rejected("QTY_BELOW_MIN")
        if o.qty > m.max_lots:
            raise _Rejected("QTY_ABOVE_MAX")
        # 4-5. notional, at the limit price or, without one, at the far edge of the band
        limits, mark, buy = acct.limits, self.marks[o.instrument], o.side == BUY
        if o.order_type in HAS_LIMIT_PRICE:
            reference = o.price
        elif o.order_type == MARKET:
            if mark == 0:
                raise _Rejected("NO_MARK_PRICE")
            reference = band_edge(mark, limits.price_band, up=buy)
        else:
            reference = band_edge(o.stop_price, limits.price_band, up=buy)
        notional = m.notional(o.qty, reference)
        if notional < m.min_notional:
            raise _Rejected("NOTIONAL_BELOW_MIN")
        if notional > limits.max_order_notional:
            raise _Rejected("NOTIONAL_ABOVE_MAX")
        # 6. price band around the mark
        if o.order_type in HAS_LIMIT_PRICE:
            if mark == 0:
                raise _Rejected("NO_MARK_PRICE")
            if abs(o.price - mark) * RATE_ONE > mark * limits.price_band:
                raise _Rejected("PRICE_OUTSIDE_BAND")
        # 7-8. open orders and rate (the window keeps every order it admits, even one that a
        # later check rejects; an order it refuses takes no place in it)
        if new_order and acct.open_orders >= limits.max_open_orders:
            raise _Rejected("TOO_MANY_OPEN_ORDERS")
        if new_order and not acct.admit_rate(o.now_ns):
            raise _Rejected("RATE_LIMITED")
        # 9-10. reducing state and reduce-only
        reduces = self._reduces(acct, o)
        if REDUCING in (self.global_state, acct.state) and not reduces:
            raise _Rejected("TRADING_REDUCE_ONLY")
        if o.reduce_only and not reduces:
            raise _Rejected("REDUCE_ONLY_WOULD_INCREASE")
        # 11-12. position limits and funds
        upnl, position_im, _ = self._position_totals(acct)
        available = self._available(acct, upnl, position_im)
        if m.perpetual:
            held = self._perpetual_margin(acct, o, m, reference, notional, available)
        else:
            held = self._spot_funds(acct, o, m, notional, available)
        # 13. a drawdown from the equity peak beyond the limit switches the account to REDUCING:
        # (peak - equity) / peak > max_drawdown, compared exactly
        equity = self._equity(acct, upnl)
        acct.equity_peak = peak = max(acct.equity_peak, equity)
        if peak > 0 and (peak - equity) * RATE_ONE > peak * limits.max_drawdown:
            acct.state = REDUCING
            if not reduces:
                raise _Rejected("DRAWDOWN_LIMIT")
        return held

    def _reduces(self, acct: Account, o: Order) -> bool:
        """Spot: every sell. Perpetual: an order against the position that, with every open
        order on its side (reduce-only or not), does not exceed it, so it reduces exposure
        even if all of them fill first."""
        m = self.markets[o.instrument]
        if not m.perpetual:
            return o.side == SELL
        pos, exp = acct.positions[o.instrument].qty, acct.exposure[o.instrument]
        if o.side == BUY:
            return pos < 0 and o.qty + exp.buy + exp.reduce_buy <= -pos
        return pos > 0 and o.qty + exp.sell + exp.reduce_sell <= pos

    def _perpetual_margin(
        self, acct: Account, o: Order, m: Market, reference: int, notional: int, available: int
    ) -> int:
        leverage = acct.leverage[o.instrument]
        if not o.reduce_only:
            pos, exp = acct.positions[o.instrument].qty, acct.exposure[o.instrument]
            worst = pos + exp.buy + o.qty if o.side == BUY else pos - exp.sell - o.qty
            worst_notional = abs(m.notional(worst, reference))
            if worst_notional > acct.limits.max_position_notional:
                raise _Rejected("MAX_POSITION_EXCEEDED")
            bracket = m.bracket_for(worst_notional)
            if bracket is not None and bracket.max_leverage < leverage:
                raise _Rejected("LEVERAGE_BRACKET_EXCEEDED")
        if o.reduce_only:
            return 0  # needs no margin, so it passes even when the account is under water
        need = initial_margin(notional, leverage) + taker_fee(m, notional)
        if need > available:
            raise _Rejected("INSUFFICIENT_MARGIN")
        return need

    def _spot_funds(self, acct: Account, o: Order, m: Market, notional: int, available: int) -> int:
        if o.side == BUY:
            asset, need = m.quote, notional + taker_fee(m, notional)
        else:
            asset, need = m.base, o.qty * m.lot_atoms
        if asset != self.settlement:
            available = acct.balances[asset] - acct.reserved[asset]
        if need > available:
            raise _Rejected("INSUFFICIENT_BALANCE")
        return need

    def _reserve(self, o: Order, held: int) -> None:
        m = self.markets[o.instrument]
        asset = m.base if not m.perpetual and o.side == SELL else m.quote
        r = Reservation(
            o.account, o.instrument, o.side, o.reduce_only, o.stop_price, asset, o.qty, held
        )
        self._restore(o.order_id, r)

    def _restore(self, order_id: int, r: Reservation) -> None:
        acct = self.accounts[r.account]
        acct.reserved[r.asset] += r.held
        acct.exposure[r.instrument].add(r.side, r.reduce_only, r.leaves)
        acct.open_orders += 1
        self.open[order_id] = r

    def _release(self, order_id: int, lots: int | None) -> bool:
        """Frees ``lots`` (all with None) of a reservation, pro rata; drops it when empty."""
        r = self.open.get(order_id)
        if r is None:
            return False
        q = r.leaves if lots is None else min(lots, r.leaves)
        freed = r.held if q == r.leaves else r.held * q // r.leaves
        r.held -= freed
        r.leaves -= q
        acct = self.accounts[r.account]
        acct.reserved[r.asset] -= freed
        acct.exposure[r.instrument].add(r.side, r.reduce_only, -q)
        if r.leaves == 0:
            acct.open_orders -= 1
            del self.open[order_id]
        return True

    # --- post-trade ---

    def on_fill(
        self,
        order_id: int,
        account: int,
        instrument: int,
        side: str,
        qty: int,
        price: int,
        fee: int = 0,
    ) -> None:
        """Books a fill (also one without a reservation) and frees that part of the order."""
        if qty <= 0:
            raise RiskRuleError("INVALID_QUANTITY", f"fill of {qty} lots")
        if price <= 0:
            raise RiskRuleError("INVALID_PRICE", f"fill at {price} ticks")
        acct = self.account(account)
        m = self.market(instrument)
        if qty > m.max_lots:
            raise RiskRuleError("INVALID_QUANTITY", f"fill of {qty} lots exceeds the max")
        r = self.open.get(order_id)
        if r is not None and (r.account, r.instrument, r.side) != (account, instrument, side):
            raise RiskRuleError("INVALID_ARGUMENT", f"fill does not match order {order_id}")
        notional = m.notional(qty, price)
        self._release(order_id, qty)
        if not m.perpetual:
            base_atoms = qty * m.lot_atoms
            if side == BUY:
                acct.balances[m.base] += base_atoms
                acct.balances[m.quote] -= notional + fee
            else:
                acct.balances[m.base] -= base_atoms
                acct.balances[m.quote] += notional - fee
            return
        sign = 1 if side == BUY else -1
        pos = acct.positions[instrument]
        realized = book_into_position(pos, sign * qty, sign * notional)
        pos.realized_pnl += realized
        pos.fees += fee
        acct.balances[m.quote] += realized - fee

    def on_order_done(self, order_id: int) -> bool:
        """Frees what an ended order still holds; False if it held nothing."""
        return self._release(order_id, None)

    # --- views ---

    def balance(self, account: int, asset: str) -> tuple[int, int]:
        """(total, reserved) in money atoms."""
        asset = self._asset(asset)
        acct = self.account(account)
        return acct.balances[asset], acct.reserved[asset]

    def _mark_or_entry(self, instrument: int, pos: Position) -> int:
        mark = self.marks[instrument]
        if mark > 0 or pos.qty == 0:
            return mark
        entry = trunc_div(pos.cost, pos.qty * self.markets[instrument].unit_notional)
        return entry if I64_MIN <= entry <= I64_MAX else 0

    def _open_positions(self, acct: Account) -> list[tuple[int, Market, Position]]:
        return [
            (i, m, acct.positions[i])
            for i, m in enumerate(self.markets)
            if m.perpetual and acct.positions[i].qty != 0
        ]

    def _position_totals(self, acct: Account) -> tuple[int, int, int]:
        """(unrealized PnL, initial margin, maintenance margin) of the perpetual positions,
        valued at the mark (at the entry while there is none)."""
        upnl = im = mm = 0
        for i, m, p in self._open_positions(acct):
            n = m.notional(p.qty, self._mark_or_entry(i, p))
            upnl += n - p.cost
            im += initial_margin(n, acct.leverage[i])
            mm += maintenance_margin(m, n)
        return upnl, im, mm

    def _available(self, acct: Account, upnl: int, position_im: int) -> int:
        """Settlement asset free for new orders: wallet - reservations - positions' initial
        margin + unrealized losses (profits are not lent against)."""
        s = self.settlement
        return acct.balances[s] - acct.reserved[s] - position_im + min(upnl, 0)

    def _equity(self, acct: Account, upnl: int) -> int:
        """Every asset valued in the settlement asset at its spot mark, plus unrealized PnL."""
        total = upnl
        for asset, bal in acct.balances.items():
            if asset == self.settlement:
                total += bal
            elif asset in self.valuation:
                i = self.valuation[asset]
                m = self.markets[i]
                total += trunc_div(bal * self.marks[i] * m.unit_notional, m.lot_atoms)
        return total

    def summary(self, account: int) -> Summary:
        acct = self.account(account)
        upnl, im, mm = self._position_totals(acct)
        wallet = acct.balances[self.settlement]
        return Summary(
            wallet=wallet,
            unrealized_pnl=upnl,
            margin_balance=wallet + upnl,
            equity=self._equity(acct, upnl),
            equity_peak=acct.equity_peak,
            position_initial_margin=im,
            order_margin=acct.reserved[self.settlement],
            maintenance_margin=mm,
            margin_ratio=margin_ratio(mm, wallet + upnl),
            available=self._available(acct, upnl, im),
            state=acct.state,
        )

    def position(self, account: int, instrument: int) -> Position:
        self.market(instrument)
        return replace(self.account(account).positions[instrument])

    def entry_price_atoms(self, account: int, instrument: int) -> int | None:
        """Entry price in atoms of 1e-8, rounded down; None when flat."""
        m, p = self.market(instrument), self.position(account, instrument)
        if p.qty == 0:
            return None
        num, den = p.cost * 10**m.qty_decimals, p.qty * m.lot_size
        if den < 0:
            num, den = -num, -den
        return num // den

    def cross_liquidation_price(self, account: int, instrument: int) -> tuple[int, int] | None:
        """Liquidation price of one position, backed by the wallet plus the other positions'
        unrealized PnL minus their maintenance margin."""
        m = self.market(instrument)
        acct = self.account(account)
        pos = acct.positions[instrument]
        collateral = acct.balances[self.settlement]
        for i, other, p in self._open_positions(acct):
            if i != instrument:
                n = other.notional(p.qty, self._mark_or_entry(i, p))
                collateral += n - p.cost - maintenance_margin(other, n)
        return liquidation_price(m, pos.qty, pos.cost, collateral)


def band_edge(price: int, band: int, up: bool) -> int:
    """``price * (1 +/- band)`` with the move rounded up, at least one tick, at most i64."""
    delta = ceil_div(price * band, RATE_ONE)
    return min(price + delta, I64_MAX) if up else max(price - delta, 1)


def taker_fee(market: Market, notional: int) -> int:
    return ceil_div(notional * market.taker_fee, RATE_ONE)


def book_into_position(pos: Position, qty: int, notional: int) -> int:
    """Adds a signed fill to a one-way position and returns the PnL it realizes.

    Closing ``c`` of ``|qty|`` lots takes ``cost * c / |qty|`` (toward zero) out of the basis;
    what rounding leaves in the basis is realized with the last lot. A fill larger than the
    position closes it and opens the other side with the rest of the fill's notional.
    """
    if pos.qty == 0 or (pos.qty > 0) == (qty > 0):
        pos.qty += qty
        pos.cost += notional
        return 0
    closing = min(abs(qty), abs(pos.qty))
    cost_closed = trunc_div(pos.cost * closing, abs(pos.qty))
    fill_closed = trunc_div(notional * closing, abs(qty))
    realized = -(fill_closed + cost_closed)
    pos.cost -= cost_closed
    pos.qty += qty
    if pos.qty == 0:
        realized -= pos.cost
        pos.cost = 0
    elif (pos.qty > 0) == (qty > 0):
        pos.cost = notional - fill_closed
    return realized
