"""Pre-trade risk as a reasonably fast pure-Python program, to benchmark ``oms_core.RiskEngine``.

It runs the same thirteen checks in the same order with the same integer rounding as
``core_rs/src/risk.rs`` (``tests/reference/risk_model.py`` is the readable version; this one is
written for speed: slotted classes, plain ints, tuples, locals). Orders are plain ints: side
0 buy / 1 sell, order type 0 limit / 1 market / 2 stop market / 3 stop limit, as in the batch
columns. Only what the benchmark needs is here: accounts, deposits, marks, leverage,
``check``, ``check_batch`` and ``on_order_done``.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

RATE_ONE = 10**8
SECOND_NS = 1_000_000_000
I64_MAX = 2**63 - 1
ACTIVE, REDUCING, HALTED = 0, 1, 2
INSTRUMENTS_JSON = Path(__file__).resolve().parents[2] / "core_rs" / "data" / "instruments.json"


def _atoms(text: str, decimals: int) -> int:
    return int(Decimal(text).scaleb(decimals))


def _decimals(text: str) -> int:
    exponent = Decimal(text).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


class Market:
    """One instrument's facts, precomputed; brackets as ``(floor, max_leverage)`` pairs."""

    __slots__ = (
        "base",
        "brackets",
        "lot_atoms",
        "max_leverage",
        "max_lots",
        "min_lots",
        "min_notional",
        "perpetual",
        "quote",
        "taker_fee",
        "unit_notional",
    )

    def __init__(self, spec: dict[str, object], assets: list[str]) -> None:
        def intern(name: str) -> int:
            if name not in assets:
                assets.append(name)
            return assets.index(name)

        tick_text, lot_text = str(spec["tick_size"]), str(spec["lot_size"])
        pd, qd = _decimals(tick_text), _decimals(lot_text)
        tick, lot = _atoms(tick_text, pd), _atoms(lot_text, qd)
        self.perpetual = spec["kind"] == "perpetual"
        self.base, self.quote = intern(str(spec["base"])), intern(str(spec["quote"]))
        self.unit_notional = tick * lot * 10 ** (8 - pd - qd)
        self.lot_atoms = lot * 10 ** (8 - qd)
        self.min_lots = _atoms(str(spec["min_qty"]), qd) // lot
        self.max_lots = _atoms(str(spec["max_qty"]), qd) // lot
        self.min_notional = _atoms(str(spec["min_notional"]), 8)
        self.taker_fee = _atoms(str(spec["taker_fee"]), 8)
        brackets = spec.get("brackets") or []
        assert isinstance(brackets, list)
        self.brackets = tuple((_atoms(b["notional_floor"], 8), b["max_leverage"]) for b in brackets)
        self.max_leverage = self.brackets[0][1] if self.brackets else 1


class Account:
    """Balances and reservations per asset; positions, leverage and exposure per instrument."""

    __slots__ = (
        "balances",
        "buy",
        "equity_peak",
        "leverage",
        "limits",
        "open_orders",
        "position",
        "recent_orders",
        "reduce_buy",
        "reduce_sell",
        "reserved",
        "sell",
        "state",
    )

    def __init__(self, limits: tuple[int, ...], assets: int, markets: list[Market]) -> None:
        n = len(markets)
        self.limits = limits
        self.state = ACTIVE
        self.balances = [0] * assets
        self.reserved = [0] * assets
        self.position = [0] * n
        self.leverage = [min(limits[6], m.max_leverage) for m in markets]
        self.buy = [0] * n
        self.sell = [0] * n
        self.reduce_buy = [0] * n
        self.reduce_sell = [0] * n
        self.open_orders = 0
        self.recent_orders: deque[int] = deque()  # times of the orders admitted in the last second
        self.equity_peak = 0


class RiskBaseline:
    """Accounts, marks and open reservations; positions stay flat (no fill booking)."""

    __slots__ = ("accounts", "assets", "global_state", "markets", "marks", "open", "valuation")

    def __init__(self, registry_json: str | None = None) -> None:
        spec = json.loads(registry_json or INSTRUMENTS_JSON.read_text())
        self.assets = ["USDT"]
        self.markets = [Market(s, self.assets) for s in spec["instruments"]]
        self.marks = [0] * len(self.markets)
        self.accounts: list[Account] = []
        self.open: dict[int, tuple[int, int, int, bool, int, int, int]] = {}
        self.global_state = ACTIVE
        self.valuation = [-1] * len(self.assets)
        for i, m in enumerate(self.markets):
            if not m.perpetual:
                self.valuation[m.base] = i

    def add_account(
        self,
        max_order_notional: int = 1_000_000 * 10**8,
        max_position_notional: int = 5_000_000 * 10**8,
        price_band: int = RATE_ONE // 10,
        max_open_orders: int = 200,
        max_orders_per_second: int = 50,
        max_drawdown: int = RATE_ONE // 2,
        default_leverage: int = 10,
    ) -> int:
        """Limits in money atoms and rate units, as in ``Limits``."""
        limits = (
            max_order_notional,
            max_position_notional,
            price_band,
            max_open_orders,
            max_orders_per_second,
            max_drawdown,
            default_leverage,
        )
        self.accounts.append(Account(limits, len(self.assets), self.markets))
        return len(self.accounts) - 1

    def deposit(self, account: int, asset: str, atoms: int) -> None:
        self.accounts[account].balances[self.assets.index(asset)] += atoms

    def set_mark(self, instrument: int, ticks: int) -> None:
        self.marks[instrument] = ticks

    def set_leverage(self, account: int, instrument: int, leverage: int) -> None:
        self.accounts[account].leverage[instrument] = leverage

    def check(
        self,
        order_id: int,
        account: int,
        instrument: int,
        side: int,
        order_type: int,
        qty: int,
        price: int,
        stop_price: int,
        reduce_only: bool,
        now_ns: int,
    ) -> int:
        """The reject reason code of one order (0 accepted, its funds then reserved)."""
        accounts = self.accounts
        if account >= len(accounts):
            return 1
        acct = accounts[account]
        if order_id in self.open:
            return 2
        if self.global_state == HALTED or acct.state == HALTED:
            return 3
        markets = self.markets
        if instrument >= len(markets):
            return 4
        m = markets[instrument]
        if qty <= 0:
            return 5
        limit_price = order_type == 0 or order_type == 3
        price_ok = price > 0 if limit_price else price == 0
        stop_ok = stop_price > 0 if order_type >= 2 else stop_price == 0
        if not (price_ok and stop_ok):
            return 6
        if qty < m.min_lots:
            return 7
        if qty > m.max_lots:
            return 8
        limits = acct.limits
        band = limits[2]
        mark = self.marks[instrument]
        buy = side == 0
        if limit_price:
            reference = price
        else:
            edge = mark if order_type == 1 else stop_price
            if edge == 0:
                return 11
            delta = -(-edge * band // RATE_ONE)
            reference = min(edge + delta, I64_MAX) if buy else max(edge - delta, 1)
        unit = m.unit_notional
        notional = reference * qty * unit
        if notional < m.min_notional:
            return 9
        if notional > limits[0]:
            return 10
        if limit_price:
            if mark == 0:
                return 11
            if abs(price - mark) * RATE_ONE > mark * band:
                return 12
        if acct.open_orders >= limits[3]:
            return 13
        recent = acct.recent_orders
        while recent and now_ns - recent[0] >= SECOND_NS:
            recent.popleft()
        if len(recent) >= limits[4]:
            return 14
        recent.append(now_ns)
        perp = m.perpetual
        pos = acct.position[instrument]
        if perp:
            # Every open order on the order's side counts, reduce-only or not.
            if buy:
                reduces = (
                    pos < 0 and qty + acct.buy[instrument] + acct.reduce_buy[instrument] <= -pos
                )
            else:
                reduces = (
                    pos > 0 and qty + acct.sell[instrument] + acct.reduce_sell[instrument] <= pos
                )
        else:
            reduces = not buy
        if (self.global_state == REDUCING or acct.state == REDUCING) and not reduces:
            return 15
        if reduce_only and not reduces:
            return 16
        # Positions stay flat here, so their margin and PnL are zero.
        available = acct.balances[0] - acct.reserved[0]
        if perp:
            leverage = acct.leverage[instrument]
            if not reduce_only:
                if buy:
                    worst = pos + acct.buy[instrument] + qty
                else:
                    worst = pos - acct.sell[instrument] - qty
                worst_notional = abs(worst * reference * unit)
                if worst_notional > limits[1]:
                    return 17
                bracket_leverage = 0
                for floor, max_leverage in m.brackets:
                    if worst_notional < floor:
                        break
                    bracket_leverage = max_leverage
                if bracket_leverage < leverage:
                    return 18
                need = -(-notional // leverage) + -(-notional * m.taker_fee // RATE_ONE)
                if need > available:
                    return 20
            else:
                need = 0  # reduce-only needs no margin, even under water
            asset = m.quote
        else:
            if buy:
                asset = m.quote
                need = notional + -(-notional * m.taker_fee // RATE_ONE)
            else:
                asset = m.base
                need = qty * m.lot_atoms
                available = acct.balances[asset] - acct.reserved[asset]
            if need > available:
                return 19
        equity = self._equity(acct)
        peak = acct.equity_peak
        if equity > peak:
            acct.equity_peak = peak = equity
        if peak > 0 and (peak - equity) * RATE_ONE > peak * limits[5]:
            acct.state = REDUCING
            if not reduces:
                return 21
        acct.reserved[asset] += need
        if reduce_only:
            exposure = acct.reduce_buy if buy else acct.reduce_sell
        else:
            exposure = acct.buy if buy else acct.sell
        exposure[instrument] += qty
        acct.open_orders += 1
        self.open[order_id] = (account, instrument, side, reduce_only, asset, qty, need)
        return 0

    def _equity(self, acct: Account) -> int:
        total = acct.balances[0]
        marks, markets, valuation = self.marks, self.markets, self.valuation
        for a in range(1, len(acct.balances)):
            bal = acct.balances[a]
            i = valuation[a]
            if bal and i >= 0:
                m = markets[i]
                value = abs(bal) * marks[i] * m.unit_notional // m.lot_atoms
                total += value if bal > 0 else -value
        return total

    def check_batch(self, orders: Iterable[tuple[int, ...]]) -> list[int]:
        """``check`` of each order tuple, in order."""
        check = self.check
        return [check(*o) for o in orders]

    def on_order_done(self, order_id: int) -> bool:
        """Releases an open order's reservation; False if it held nothing."""
        r = self.open.pop(order_id, None)
        if r is None:
            return False
        account, instrument, side, reduce_only, asset, leaves, held = r
        acct = self.accounts[account]
        acct.reserved[asset] -= held
        if reduce_only:
            exposure = acct.reduce_buy if side == 0 else acct.reduce_sell
        else:
            exposure = acct.buy if side == 0 else acct.sell
        exposure[instrument] -= leaves
        acct.open_orders -= 1
        return True
