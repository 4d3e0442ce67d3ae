"""Pre-trade risk, reservations, fill booking and margin (``core_rs/src/risk.rs``, ``margin.rs``).

Long random operation sequences run against ``oms_core.RiskEngine`` and the pure-Python
reference in ``tests/reference/risk_model.py``; both must give the same answers and hold the
same balances, reservations, positions and PnL after every step. The targeted tests below pin
each reject reason, the worked liquidation example, the summary, the batch call, and every
error a Python caller can reach.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oms_core
from oms_core import InstrumentRegistry, OrderType, RiskEngine, Side, TradingState
from tests.reference.risk_model import (
    ACTIVE,
    HALTED,
    INSTRUMENTS_JSON,
    ORDER_TYPES,
    REASONS,
    REDUCING,
    Limits,
    Order,
    ReferenceRisk,
    RiskRuleError,
    liquidation_price,
    load_markets,
    price_atoms,
    taker_fee,
)

USDT = 10**8
REGISTRY = InstrumentRegistry.builtin()
SYMBOLS = REGISTRY.symbols()
BTC, ETH, SOL, BTC_PERP, ETH_PERP = (REGISTRY.index_of(s) for s in SYMBOLS)
ASSETS = ("USDT", "BTC", "ETH", "SOL")
# Typical marks in ticks: 50,000.00 / 3,000.00 / 150.00 / 50,000.0 / 3,000.00.
BASE_TICKS = {BTC: 5_000_000, ETH: 300_000, SOL: 15_000, BTC_PERP: 500_000, ETH_PERP: 300_000}
SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
TYPES = {name: getattr(OrderType, name) for name in ORDER_TYPES}
STATES = {ACTIVE: TradingState.ACTIVE, REDUCING: TradingState.REDUCING, HALTED: TradingState.HALTED}

# --- conversions ----------------------------------------------------------------------------


def to_atoms(value: Decimal, decimals: int = 8) -> int:
    """An exact Decimal as an integer count of ``10**-decimals`` (no rounding)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    number = int("".join(map(str, digits)) or "0")
    shift = exponent + decimals
    if shift < 0:
        assert number % 10**-shift == 0, f"{value} has more than {decimals} decimals"
        number //= 10**-shift
    else:
        number *= 10**shift
    return -number if sign else number


def eight_decimals(atoms: int) -> str:
    """Atoms of 1e-8 (money and rates alike) as exact text: ``150000000`` -> ``"1.50000000"``."""
    sign = "-" if atoms < 0 else ""
    whole, frac = divmod(abs(atoms), USDT)
    return f"{sign}{whole}.{frac:08d}"


def limit_kwargs(limits: Limits) -> dict[str, Any]:
    """The reference's limits as ``RiskEngine.add_account`` keywords."""
    return {
        "max_order_notional": eight_decimals(limits.max_order_notional),
        "max_position_notional": eight_decimals(limits.max_position_notional),
        "price_band": eight_decimals(limits.price_band),
        "max_drawdown": eight_decimals(limits.max_drawdown),
        "max_open_orders": limits.max_open_orders,
        "max_orders_per_second": limits.max_orders_per_second,
        "default_leverage": limits.default_leverage,
    }


def reason(code: int) -> str:
    return oms_core.REJECT_REASONS[code]


Outcome = tuple[str, Any]


def outcome(call: Callable[[], Any]) -> Outcome:
    """``("ok", result)`` or ``("error", code)`` for an ``OmsError`` or the model's error."""
    try:
        return "ok", call()
    except (oms_core.OmsError, RiskRuleError) as error:
        return "error", error.code


# --- the engine and the reference side by side ----------------------------------------------


class Twin:
    """A ``RiskEngine`` and a ``ReferenceRisk`` driven by the same calls, compared each time."""

    def __init__(self, registry_json: str | None = None) -> None:
        registry = (
            REGISTRY if registry_json is None else InstrumentRegistry.from_json(registry_json)
        )
        self.engine = RiskEngine(registry)
        self.model = ReferenceRisk(load_markets(registry_json))
        self.instruments = [registry.get(s) for s in registry.symbols()]
        self.orders: dict[int, Order] = {}
        self.log: list[str] = []

    def same(self, label: str, on_engine: Callable[[], Any], on_model: Callable[[], Any]) -> Any:
        engine_out, model_out = outcome(on_engine), outcome(on_model)
        self.log.append(f"{label} -> engine {engine_out}, model {model_out}")
        assert engine_out == model_out, "\n".join(self.log[-40:])
        return model_out

    def add_account(self, name: str, limits: Limits) -> Outcome:
        return self.same(
            f"add_account({name!r}, {limits})",
            lambda: self.engine.add_account(name, **limit_kwargs(limits)),
            lambda: self.model.add_account(name, limits),
        )

    def deposit(self, account: int, asset: str, amount: int) -> Outcome:
        return self.same(
            f"deposit({account}, {asset}, {amount})",
            lambda: self.engine.deposit(account, asset, eight_decimals(amount)),
            lambda: self.model.deposit(account, asset, amount),
        )

    def set_mark(self, instrument: int, ticks: int, as_price: bool = False) -> Outcome:
        def on_engine() -> None:
            if as_price and 0 <= instrument < len(self.instruments):
                tick = self.instruments[instrument].tick_size
                return self.engine.set_mark_price(instrument, str(tick * ticks))
            return self.engine.set_mark(instrument, ticks)

        return self.same(
            f"set_mark({instrument}, {ticks}, as_price={as_price})",
            on_engine,
            lambda: self.model.set_mark(instrument, ticks),
        )

    def set_leverage(self, account: int, instrument: int, leverage: int) -> Outcome:
        return self.same(
            f"set_leverage({account}, {instrument}, {leverage})",
            lambda: self.engine.set_leverage(account, instrument, leverage),
            lambda: self.model.set_leverage(account, instrument, leverage),
        )

    def set_trading_state(self, state: str, account: int | None) -> Outcome:
        return self.same(
            f"set_trading_state({state}, {account})",
            lambda: self.engine.set_trading_state(STATES[state], account),
            lambda: self.model.set_trading_state(state, account),
        )

    def check(self, o: Order) -> Outcome:
        result = self.same(
            f"check({o})",
            lambda: reason(
                self.engine.check(
                    o.order_id,
                    o.account,
                    o.instrument,
                    SIDES[o.side],
                    TYPES[o.order_type],
                    o.qty,
                    o.price,
                    o.stop_price,
                    o.reduce_only,
                    o.now_ns,
                )
            ),
            lambda: self.model.check(o),
        )
        if result == ("ok", "ACCEPTED"):
            self.orders[o.order_id] = o
        return result

    def check_replace(
        self, order_id: int, order_type: str, leaves: int, price: int, now_ns: int
    ) -> Outcome:
        result = self.same(
            f"check_replace({order_id}, {order_type}, {leaves}, {price})",
            lambda: reason(
                self.engine.check_replace(order_id, TYPES[order_type], leaves, price, now_ns)
            ),
            lambda: self.model.check_replace(order_id, order_type, leaves, price, now_ns),
        )
        if result == ("ok", "ACCEPTED"):
            old = self.orders[order_id]
            self.orders[order_id] = replace(
                old, order_type=order_type, qty=leaves, price=price, now_ns=now_ns
            )
        return result

    def on_fill(
        self,
        order_id: int,
        account: int,
        instrument: int,
        side: str,
        qty: int,
        price: int,
        fee: int,
    ) -> Outcome:
        return self.same(
            f"on_fill({order_id}, {account}, {instrument}, {side}, {qty}, {price}, {fee})",
            lambda: self.engine.on_fill(
                order_id, account, instrument, SIDES[side], qty, price, fee
            ),
            lambda: self.model.on_fill(order_id, account, instrument, side, qty, price, fee),
        )

    def on_order_done(self, order_id: int) -> Outcome:
        return self.same(
            f"on_order_done({order_id})",
            lambda: self.engine.on_order_done(order_id),
            lambda: self.model.on_order_done(order_id),
        )

    def assert_same_state(self) -> None:
        """Balances, reservations, positions, PnL, summaries and kill switches agree."""
        e, m = self.engine, self.model
        context = "\n".join(self.log[-40:])
        assert e.open_order_count() == len(m.open), context
        assert str(e.trading_state()) == m.global_state, context
        for a in range(len(m.accounts)):
            for asset in m.assets:
                total, held, free = e.balance(a, asset)
                got = (to_atoms(total), to_atoms(held), to_atoms(free))
                want_total, want_held = m.balance(a, asset)
                assert got == (want_total, want_held, want_total - want_held), (asset, context)
            assert engine_summary(e, a) == model_summary(m, a), context
            for i, market in enumerate(m.markets):
                if market.perpetual:
                    assert engine_position(e, a, i, self.instruments[i]) == model_position(
                        m, a, i
                    ), context


def engine_summary(engine: RiskEngine, account: int) -> dict[str, Any]:
    s = engine.summary(account)
    out = {k: (None if v is None else to_atoms(v)) for k, v in s.items() if k != "state"}
    out["state"] = str(s["state"])
    assert str(engine.trading_state(account)) == out["state"]
    return out


def model_summary(model: ReferenceRisk, account: int) -> dict[str, Any]:
    return dict(vars(model.summary(account)))


def engine_position(
    engine: RiskEngine, account: int, instrument: int, inst: oms_core.Instrument
) -> dict[str, Any]:
    p = engine.position(account, instrument)
    lots = to_atoms(p["qty"], inst.qty_decimals) // to_atoms(inst.lot_size, inst.qty_decimals)
    optional = ("entry_price", "liquidation_price")
    out = {k: (None if p[k] is None else to_atoms(p[k])) for k in optional}
    return {
        "qty": lots,
        "realized_pnl": to_atoms(p["realized_pnl"]),
        "fees": to_atoms(p["fees"]),
    } | out


def model_position(model: ReferenceRisk, account: int, instrument: int) -> dict[str, Any]:
    p = model.position(account, instrument)
    lp = model.cross_liquidation_price(account, instrument)
    return {
        "qty": p.qty,
        "realized_pnl": p.realized_pnl,
        "fees": p.fees,
        "entry_price": model.entry_price_atoms(account, instrument),
        "liquidation_price": None if lp is None else price_atoms(lp, 8, up=p.qty > 0),
    }


# --- random operation sequences -------------------------------------------------------------


def weighted(*pairs: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn in proportion to its weight."""
    # sampled_from, not one_of: one_of drops repeated strategies, so it cannot weight.
    return st.sampled_from([s for w, s in pairs for _ in range(w)]).flatmap(lambda s: s)


LIMITS = st.builds(
    Limits,
    max_order_notional=st.sampled_from([2_000, 50_000, 1_000_000]).map(lambda v: v * USDT),
    max_position_notional=st.sampled_from([10_000, 200_000, 5_000_000]).map(lambda v: v * USDT),
    price_band=st.sampled_from([1_000_000, 5_000_000, 10_000_000, 20_000_000]),
    max_open_orders=st.integers(2, 12),
    max_orders_per_second=st.sampled_from([2, 3, 4, 6, 10, 30]),
    max_drawdown=st.sampled_from([2_000_000, 10_000_000, 50_000_000]),
    default_leverage=st.sampled_from([1, 3, 10, 20, 50, 125]),
)
FUNDS = st.fixed_dictionaries(
    {
        "USDT": st.sampled_from([0, 1_000, 20_000, 250_000]).map(lambda v: v * USDT),
        "BTC": st.sampled_from([0, USDT // 2, 2 * USDT]),
        "ETH": st.sampled_from([0, 10 * USDT]),
        "SOL": st.sampled_from([0, 100 * USDT]),
    }
)
ACCOUNT_PICK = st.sampled_from([0] * 8 + [1] * 5 + [2])  # 2 is unknown
INSTRUMENT_PICK = st.sampled_from(
    [BTC, ETH, SOL] * 2 + [BTC_PERP, ETH_PERP] * 5 + [7]
)  # 7: unknown
QTY = weighted(
    (6, st.tuples(st.just("usdt"), st.integers(10, 56))),  # 10 to 400k USDT
    (3, st.tuples(st.just("position"), st.integers(1, 6))),  # quarters of the position
    (1, st.tuples(st.sampled_from(["lots", "max"]), st.sampled_from([-3, 0, 1]))),
)
CLOCK_STEP = st.sampled_from(
    [0, 0, 1_000, 50_000_000, 150_000_000, 300_000_000, 700_000_000, 1_000_000_000]
)

ORDER_OP = st.tuples(
    st.just("check"),
    ACCOUNT_PICK,
    INSTRUMENT_PICK,
    st.sampled_from(["BUY", "SELL"]),
    st.sampled_from([*ORDER_TYPES, "LIMIT", "LIMIT", "MARKET"]),
    QTY,
    st.integers(-2_500, 2_500),  # limit price, basis points from the mark
    st.integers(-2_500, 2_500),  # stop price, basis points from the mark
    st.sampled_from([False, False, False, True]),  # reduce-only
    st.sampled_from(["good"] * 12 + ["swap", "negative"]),  # price shape
    st.sampled_from(["new"] * 12 + ["open", "done"]),  # order id
    CLOCK_STEP,
)
FILL_OP = st.tuples(
    st.just("fill"),
    st.integers(0, 1_000),  # which order
    st.sampled_from([1, 2, 3, 4, 4, 4, 5]),  # quarters of the leaves; 5 overfills
    st.integers(-300, 300),  # price, basis points from the order's reference
    st.sampled_from(["taker", "zero", "rebate"]),
    st.sampled_from(["open"] * 10 + ["late", "mismatch", "bad", "beyond_max"]),
)
OPS = weighted(
    (12, ORDER_OP),
    (6, FILL_OP),
    (2, st.tuples(st.just("done"), st.integers(0, 1_000), st.booleans())),
    (
        4,
        st.tuples(
            st.just("mark"),
            st.sampled_from([BTC, ETH, SOL, BTC_PERP, ETH_PERP, BTC_PERP, ETH_PERP, 7]),
            weighted((9, st.integers(-1_500, 1_500)), (1, st.just(None))),
            st.booleans(),
        ),
    ),
    (
        1,
        st.tuples(
            st.just("deposit"),
            ACCOUNT_PICK,
            st.sampled_from([*ASSETS, "USDT", "DOGE"]),
            st.integers(0, 80),
            st.sampled_from([1, 1, -1]),
        ),
    ),
    (
        1,
        st.tuples(
            st.just("withdraw_all"),
            ACCOUNT_PICK,
            st.sampled_from(["USDT", "USDT", "BTC"]),
            st.sampled_from([-1, 0, 1]),  # atoms more than what may be withdrawn
        ),
    ),
    (
        1,
        st.tuples(
            st.just("state"),
            st.sampled_from([None, 0, 0, 1, 5]),
            st.sampled_from([ACTIVE] * 4 + [REDUCING] * 2 + [HALTED]),
        ),
    ),
    (
        1,
        st.tuples(
            st.just("leverage"),
            ACCOUNT_PICK,
            INSTRUMENT_PICK,
            st.sampled_from([0, 1, 2, 5, 10, 20, 50, 75, 100, 110, 125, 125, 126]),
        ),
    ),
    (
        2,
        st.tuples(
            st.just("replace"),
            st.integers(0, 1_000),
            st.integers(1, 8),  # new leaves in quarters of the old
            st.integers(-800, 800),
            st.sampled_from([False] * 5 + [True]),  # an unknown order id
            st.sampled_from([False] * 7 + [True]),  # amended to the other limit type
        ),
    ),
)
SCENARIOS = st.fixed_dictionaries(
    {
        "registry": st.sampled_from(["builtin", "min_qty"]),
        "accounts": st.lists(st.tuples(LIMITS, FUNDS), min_size=2, max_size=2),
        "marked": st.lists(st.sampled_from([True, True, True, False]), min_size=5, max_size=5),
        # Opening perpetual positions of each account: none, or a signed size in USDT.
        "positions": st.lists(
            weighted((1, st.none()), (2, st.tuples(st.sampled_from([1, -1]), st.integers(20, 55)))),
            min_size=4,
            max_size=4,
        ),
        "ops": st.lists(OPS, min_size=50, max_size=150),
    }
)


class Scenario:
    """Turns drawn operations into concrete calls on a ``Twin`` (using its current state)."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.model = twin.model
        self.clock = 0
        self.next_id = 1
        self.done_ids: list[int] = []

    def reference_ticks(self, instrument: int) -> int:
        if 0 <= instrument < len(self.model.marks):
            return self.model.marks[instrument] or BASE_TICKS[instrument]
        return 1_000

    def position_lots(self, account: int, instrument: int) -> int:
        """The account's position in a perpetual, 0 for anything else."""
        known = 0 <= account < len(self.model.accounts) and instrument in (BTC_PERP, ETH_PERP)
        return self.model.accounts[account].positions[instrument].qty if known else 0

    def unit_notional(self, instrument: int) -> int:
        if 0 <= instrument < len(self.model.markets):
            return self.model.markets[instrument].unit_notional
        return 1

    def run(self, op: tuple[Any, ...]) -> None:
        getattr(self, "op_" + op[0])(*op[1:])
        self.twin.assert_same_state()

    def op_check(
        self,
        account: int,
        instrument: int,
        side: str,
        order_type: str,
        qty_spec: tuple[str, int],
        price_bp: int,
        stop_bp: int,
        reduce_only: bool,
        shape: str,
        id_mode: str,
        clock_step: int,
    ) -> None:
        ref = self.reference_ticks(instrument)
        kind, value = qty_spec
        position = self.position_lots(account, instrument)
        if kind == "position" and position != 0:
            # Against the position, reducing it or (over four quarters, or with other orders
            # open on that side) not.
            side = "SELL" if position > 0 else "BUY"
            qty = max(1, abs(position) * value // 4)
        elif kind in ("usdt", "position"):
            exponent = value if kind == "usdt" else 10 + 7 * value  # 50 to 160k USDT
            target = int(10 ** (8 + exponent / 10))
            qty = max(1, target // (ref * self.unit_notional(instrument)))
        elif kind == "max" and 0 <= instrument < len(self.model.markets):
            qty = self.model.markets[instrument].max_lots + max(value, 0)
        else:
            qty = value
        price = (
            max(1, ref + ref * price_bp // 10_000) if order_type in ("LIMIT", "STOP_LIMIT") else 0
        )
        stop = max(1, ref + ref * stop_bp // 10_000) if order_type.startswith("STOP") else 0
        if shape == "swap":
            price, stop = stop, price
        elif shape == "negative":
            price, stop = -price, -stop
        order_id = self.next_id
        open_ids = sorted(self.model.open)
        if id_mode == "open" and open_ids:
            order_id = open_ids[price_bp % len(open_ids)]
        elif id_mode == "done" and self.done_ids:
            order_id = self.done_ids[price_bp % len(self.done_ids)]
        else:
            self.next_id += 1
        self.clock += clock_step
        self.twin.check(
            Order(
                order_id,
                account,
                instrument,
                side,
                order_type,
                qty,
                price,
                stop,
                reduce_only,
                self.clock,
            )
        )

    def op_fill(self, pick: int, quarters: int, price_bp: int, fee_mode: str, variant: str) -> None:
        open_ids = sorted(self.model.open)
        pool = self.done_ids if variant == "late" or not open_ids else open_ids
        if not pool:
            return
        order_id = pool[pick % len(pool)]
        o = self.twin.orders[order_id]
        r = self.model.open.get(order_id)
        leaves = r.leaves if r is not None else o.qty
        qty = max(1, leaves * quarters // 4) if quarters <= 4 else leaves + 1
        ref = o.price or o.stop_price or self.reference_ticks(o.instrument)
        price = max(1, ref + ref * price_bp // 10_000)
        side = o.side
        if variant == "mismatch":
            side = "SELL" if side == "BUY" else "BUY"
        elif variant == "bad":
            qty, price = (0, price) if price_bp % 2 else (qty, 0)
        market = self.model.markets[o.instrument]
        if variant == "beyond_max":
            qty = market.max_lots + 1
        notional = market.notional(max(qty, 0), max(price, 0))
        fee = {"taker": taker_fee(market, notional), "zero": 0, "rebate": -(notional // 10_000)}
        self.twin.on_fill(order_id, o.account, o.instrument, side, qty, price, fee[fee_mode])

    def op_done(self, pick: int, from_open: bool) -> None:
        open_ids = sorted(self.model.open)
        pool = open_ids if from_open and open_ids else self.done_ids
        if not pool:
            return
        order_id = pool[pick % len(pool)]
        self.twin.on_order_done(order_id)
        if order_id not in self.done_ids:
            self.done_ids.append(order_id)

    def op_mark(self, instrument: int, move_bp: int | None, as_price: bool) -> None:
        if move_bp is None:
            ticks = 0
        else:
            ref = self.reference_ticks(instrument)
            ticks = max(1, ref + ref * move_bp // 10_000)
        self.twin.set_mark(instrument, ticks, as_price)

    def op_deposit(self, account: int, asset: str, exponent: int, sign: int) -> None:
        self.twin.deposit(account, asset, sign * int(10 ** (4 + exponent / 10)))

    def op_withdraw_all(self, account: int, asset: str, beyond: int) -> None:
        """Withdraws what the reference says may be withdrawn, plus `beyond` atoms."""
        if not 0 <= account < len(self.model.accounts):
            return
        if asset == self.model.settlement:
            free = self.model.summary(account).available
        else:
            total, held = self.model.balance(account, asset)
            free = total - held
        if free + beyond > 0:
            self.twin.deposit(account, asset, -(free + beyond))

    def op_state(self, account: int | None, state: str) -> None:
        self.twin.set_trading_state(state, account)

    def op_leverage(self, account: int, instrument: int, leverage: int) -> None:
        self.twin.set_leverage(account, instrument, leverage)

    def op_replace(
        self, pick: int, quarters: int, price_bp: int, unknown: bool, other_type: bool
    ) -> None:
        amendable = sorted(
            i for i in self.model.open if self.twin.orders[i].order_type in ("LIMIT", "STOP_LIMIT")
        )
        if unknown:
            self.twin.check_replace(10**9 + pick, "LIMIT", 1, 1, self.clock)
        if unknown or not amendable:
            return
        order_id = amendable[pick % len(amendable)]
        order_type = self.twin.orders[order_id].order_type
        if other_type:  # a stop order amended as a plain limit, or the other way round
            order_type = "LIMIT" if order_type == "STOP_LIMIT" else "STOP_LIMIT"
        r = self.model.open[order_id]
        leaves = max(1, r.leaves * quarters // 4)
        ref = self.reference_ticks(r.instrument)
        price = max(1, ref + ref * price_bp // 10_000)
        self.twin.check_replace(order_id, order_type, leaves, price, self.clock)


def start(scenario: dict[str, Any]) -> Scenario:
    """A twin with the scenario's registry, accounts, funds, first marks and positions."""
    twin = Twin(None if scenario["registry"] == "builtin" else registry_with_min_qty("0.0001"))
    for i, (limits, funds) in enumerate(scenario["accounts"]):
        twin.add_account(f"acct-{i}", limits)
        for asset, amount in funds.items():
            twin.deposit(i, asset, amount)
    for instrument, marked in enumerate(scenario["marked"]):
        if marked:
            twin.set_mark(instrument, BASE_TICKS[instrument])
    books = [(0, BTC_PERP), (0, ETH_PERP), (1, BTC_PERP), (1, ETH_PERP)]
    opening = zip(books, scenario["positions"], strict=True)
    for fill_id, ((account, instrument), size) in enumerate(opening):
        if size is not None:
            sign, exponent = size
            ticks = BASE_TICKS[instrument]
            unit = twin.model.markets[instrument].unit_notional
            lots = max(1, int(10 ** (8 + exponent / 10)) // (ticks * unit))
            side = "BUY" if sign > 0 else "SELL"
            # A fill without a reservation, under an id no order uses.
            twin.on_fill(10**8 + fill_id, account, instrument, side, lots, ticks, 0)
    twin.assert_same_state()
    return Scenario(twin)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(SCENARIOS)
def test_random_operation_sequences_match_the_reference(scenario: dict[str, Any]) -> None:
    run = start(scenario)
    for op in scenario["ops"]:
        run.run(op)


def test_engine_and_reference_agree_on_a_script_that_meets_every_reason() -> None:
    """A short fixed script reaches all 22 reasons; the reference gives each one too."""
    twin = Twin(registry_with_min_qty("0.0001"))  # BTC-USDT: at least 10 lots
    strict = Limits(max_open_orders=3, max_position_notional=120_000 * USDT, max_drawdown=10**7)
    twin.add_account("alice", strict)
    twin.add_account("bob", Limits(max_orders_per_second=1))
    twin.deposit(0, "USDT", 100_000 * USDT)
    twin.set_mark(BTC, 5_000_000)
    twin.set_mark(BTC_PERP, 500_000)
    seen: set[str] = set()
    clock = iter(range(10**9, 10**12, 10**9))  # a second apart: no rate limit for alice

    def order(
        order_id: int, instrument: int, side: str, qty: int, price: int = 0, **kw: Any
    ) -> str:
        kind = kw.pop("order_type", "LIMIT" if price else "MARKET")
        o = Order(
            order_id,
            kw.pop("account", 0),
            instrument,
            side,
            kind,
            qty,
            price,
            now_ns=kw.pop("now_ns", next(clock)),
            **kw,
        )
        result = twin.check(o)[1]
        twin.assert_same_state()
        seen.add(result)
        return result

    assert order(1, BTC, "BUY", 100, 5_000_000, account=5) == "UNKNOWN_ACCOUNT"
    assert order(1, BTC, "BUY", 100, 5_000_000) == "ACCEPTED"
    assert order(1, BTC, "BUY", 100, 5_000_000) == "DUPLICATE_ORDER_ID"
    assert order(2, 9, "BUY", 100, 5_000_000) == "UNKNOWN_INSTRUMENT"
    assert order(2, BTC, "BUY", 0, 5_000_000) == "INVALID_QUANTITY"
    assert order(2, BTC, "BUY", 100, order_type="LIMIT") == "INVALID_PRICE"
    assert order(2, BTC, "BUY", 5, 5_000_000) == "QTY_BELOW_MIN"
    assert order(2, BTC, "BUY", 900_000_001, 5_000_000) == "QTY_ABOVE_MAX"
    assert order(2, BTC_PERP, "BUY", 1, 500_000) == "NOTIONAL_BELOW_MIN"
    assert order(2, BTC_PERP, "BUY", 100_000, 500_000) == "NOTIONAL_ABOVE_MAX"
    assert order(2, ETH, "BUY", 100) == "NO_MARK_PRICE"
    assert order(2, BTC, "BUY", 100, 6_000_000) == "PRICE_OUTSIDE_BAND"
    assert order(2, BTC, "BUY", 100, 5_000_000) == order(3, BTC, "BUY", 100, 5_000_000)
    assert order(4, BTC, "BUY", 100, 5_000_000) == "TOO_MANY_OPEN_ORDERS"
    twin.on_order_done(2)
    twin.on_order_done(3)
    bob = {"account": 1}
    assert order(5, BTC, "BUY", 100, 5_000_000, now_ns=0, **bob) == "INSUFFICIENT_BALANCE"
    assert order(6, BTC, "BUY", 100, 5_000_000, now_ns=0, **bob) == "RATE_LIMITED"
    twin.set_trading_state(HALTED, None)
    assert order(7, BTC, "BUY", 100, 5_000_000) == "TRADING_HALTED"
    twin.set_trading_state(ACTIVE, None)
    assert order(10, BTC_PERP, "BUY", 1_000, 500_000) == "ACCEPTED"
    twin.on_fill(10, 0, BTC_PERP, "BUY", 1_000, 500_000, 0)
    assert order(11, BTC_PERP, "BUY", 2_000, 500_000) == "MAX_POSITION_EXCEEDED"
    twin.set_leverage(0, BTC_PERP, 120)
    assert order(11, BTC_PERP, "BUY", 100, 500_000) == "LEVERAGE_BRACKET_EXCEEDED"
    twin.set_leverage(0, BTC_PERP, 1)
    ro = {"reduce_only": True}
    assert order(11, BTC_PERP, "BUY", 2, 500_000, **ro) == "REDUCE_ONLY_WOULD_INCREASE"
    assert order(11, BTC_PERP, "SELL", 1_100, 500_000) == "INSUFFICIENT_MARGIN"
    assert order(11, BTC, "SELL", 100, 5_000_000) == "INSUFFICIENT_BALANCE"
    twin.set_trading_state(REDUCING, 0)
    assert order(11, BTC_PERP, "BUY", 2, 500_000) == "TRADING_REDUCE_ONLY"
    twin.set_trading_state(ACTIVE, 0)  # a new equity peak is recorded by the next check
    assert order(11, BTC, "BUY", 100, 5_000_000) == "ACCEPTED"
    twin.set_mark(BTC_PERP, 390_000)  # 11,000 down on the long: more than 10% of the peak
    assert order(12, BTC_PERP, "BUY", 3, 390_000) == "DRAWDOWN_LIMIT"
    assert seen == set(REASONS)


def test_engine_and_reference_agree_at_the_edges_of_rate_drawdown_reducing_and_funds() -> None:
    """One script walks each rule up to its edge and one step past it, on both sides."""
    twin = Twin()
    twin.add_account("alice", Limits(max_orders_per_second=2, max_drawdown=10**7))
    twin.add_account("bob", Limits())
    twin.deposit(0, "USDT", 100_000 * USDT + 1)
    twin.deposit(1, "USDT", 1_000 * USDT)
    twin.set_mark(BTC, 5_000_000)
    twin.set_mark(BTC_PERP, 500_000)
    ms = 1_000_000
    next_id = iter(range(1, 1_000))

    def order(side: str, qty: int, now_ms: int, **kw: Any) -> str:
        instrument = kw.pop("instrument", BTC_PERP)
        price = kw.pop("price", BASE_TICKS[instrument])
        o = Order(next(next_id), kw.pop("account", 0), instrument, side, "LIMIT", qty, price)
        result = twin.check(replace(o, now_ns=now_ms * ms, **kw))[1]
        twin.assert_same_state()
        return str(result)

    def cancel_all() -> None:
        for order_id in sorted(twin.model.open):
            twin.on_order_done(order_id)

    # At most two orders in any rolling second; the first check records the equity peak.
    spot = {"instrument": BTC}
    assert [order("BUY", 100, t, **spot) for t in (0, 900, 1_000, 1_050, 1_900)] == [
        "ACCEPTED",
        "ACCEPTED",
        "ACCEPTED",
        "RATE_LIMITED",
        "ACCEPTED",
    ]
    cancel_all()
    # A 10% drawdown from 100,000.00000001 is allowed; one atom more is not.
    twin.deposit(0, "USDT", -10_000 * USDT)
    assert order("BUY", 100, 10_000, **spot) == "ACCEPTED"
    cancel_all()
    twin.deposit(0, "USDT", -1)
    assert order("BUY", 100, 20_000, **spot) == "DRAWDOWN_LIMIT"
    assert twin.model.accounts[0].state == REDUCING
    # While reducing, every open order on the reducing side counts, reduce-only or not: for
    # alice's long and carol's short.
    twin.add_account("carol", Limits())
    twin.deposit(2, "USDT", 100_000 * USDT)
    twin.set_trading_state(REDUCING, 2)
    for account, opening, closing in ((0, "BUY", "SELL"), (2, "SELL", "BUY")):
        twin.on_fill(900 + account, account, BTC_PERP, opening, 100, 500_000, 0)
        who = {"account": account}
        assert order(closing, 60, 30_000, **who) == "ACCEPTED"
        assert order(closing, 41, 40_000, **who) == "TRADING_REDUCE_ONLY"
        assert order(closing, 38, 50_000, reduce_only=True, **who) == "ACCEPTED"
        twin.set_trading_state(ACTIVE, account)
        assert order(closing, 3, 60_000, reduce_only=True, **who) == "REDUCE_ONLY_WOULD_INCREASE"
        assert order(closing, 2, 60_000, reduce_only=True, **who) == "ACCEPTED"
        cancel_all()
    # An amend keeps a stop order's stop price.
    stop = {"order_type": "STOP_LIMIT", "stop_price": 500_100}
    assert order("BUY", 10, 70_000, **stop) == "ACCEPTED"
    stop_id = max(twin.model.open)
    assert twin.check_replace(stop_id, "STOP_LIMIT", 12, 500_000, 80_000 * ms)[1] == "ACCEPTED"
    assert twin.check_replace(stop_id, "LIMIT", 12, 500_000, 80_000 * ms)[1] == "INVALID_PRICE"
    cancel_all()
    # Under water, a reduce-only order still passes; a plain one needs margin.
    twin.on_fill(910, 1, BTC_PERP, "BUY", 100, 500_000, 0)
    twin.set_mark(BTC_PERP, 400_000)
    assert twin.model.summary(1).available == -400 * USDT
    bob = {"account": 1, "price": 400_000}
    assert order("SELL", 100, 90_000, reduce_only=True, **bob) == "ACCEPTED"
    assert order("SELL", 50, 90_000, **bob) == "INSUFFICIENT_MARGIN"
    # Withdrawals take at most the available margin: positions' margin and losses stay.
    for account in (0, 1, 2):
        free = max(twin.model.summary(account).available, 0)
        assert twin.deposit(account, "USDT", -(free + 1)) == ("error", "INVALID_ARGUMENT")
        if free:
            assert twin.deposit(account, "USDT", -free) == ("ok", None)
        twin.assert_same_state()


# --- targeted: one test per reject reason ---------------------------------------------------


def new_engine(usdt: int = 100_000, **limits: Any) -> tuple[RiskEngine, int]:
    """An engine with one account holding `usdt`, BTC spot and perpetual marked at 50,000."""
    engine = RiskEngine(REGISTRY)
    account = engine.add_account("alice", **limits)
    engine.deposit(account, "USDT", usdt)
    engine.set_mark_price(BTC, "50000")
    engine.set_mark_price(BTC_PERP, "50000")
    return engine, account


def check(
    engine: RiskEngine,
    order_id: int,
    account: int,
    instrument: int,
    side: Side,
    qty: int,
    price: int = 0,
    order_type: OrderType | None = None,
    **extra: Any,
) -> str:
    """The reject reason name; a limit order when a price is given, else a market order."""
    if order_type is None:
        order_type = OrderType.LIMIT if price else OrderType.MARKET
    return reason(
        engine.check(order_id, account, instrument, side, order_type, qty, price, **extra)
    )


def test_reject_reason_names_are_stable_by_code() -> None:
    assert list(REASONS) == oms_core.REJECT_REASONS
    assert oms_core.REJECT_REASONS[0] == "ACCEPTED"


def test_order_of_an_unknown_account_is_rejected() -> None:
    engine, _ = new_engine()
    assert check(engine, 1, 9, BTC, Side.BUY, 1_000, 5_000_000) == "UNKNOWN_ACCOUNT"


def test_order_id_that_is_still_open_is_rejected_as_duplicate() -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, BTC, Side.BUY, 1_000, 5_000_000) == "ACCEPTED"
    assert check(engine, 1, a, BTC, Side.BUY, 1_000, 5_000_000) == "DUPLICATE_ORDER_ID"
    assert engine.on_order_done(1)
    assert check(engine, 1, a, BTC, Side.BUY, 1_000, 5_000_000) == "ACCEPTED"


@pytest.mark.parametrize("global_switch", [True, False])
def test_halted_trading_rejects_every_order(global_switch: bool) -> None:
    engine, a = new_engine()
    engine.set_trading_state(TradingState.HALTED, None if global_switch else a)
    assert check(engine, 1, a, BTC, Side.SELL, 1_000, 5_000_000) == "TRADING_HALTED"
    assert check(engine, 2, a, BTC_PERP, Side.BUY, 10, 500_000) == "TRADING_HALTED"


def test_order_of_an_unknown_instrument_is_rejected() -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, 99, Side.BUY, 1, 5_000_000) == "UNKNOWN_INSTRUMENT"


@pytest.mark.parametrize("qty", [0, -1])
def test_non_positive_quantity_is_rejected(qty: int) -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, BTC, Side.BUY, qty, 5_000_000) == "INVALID_QUANTITY"


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price"),
    [
        (OrderType.LIMIT, 0, 0),
        (OrderType.LIMIT, -5_000_000, 0),
        (OrderType.LIMIT, 5_000_000, 5_000_000),
        (OrderType.MARKET, 5_000_000, 0),
        (OrderType.MARKET, -1, 0),
        (OrderType.STOP_MARKET, 0, 0),
        (OrderType.STOP_MARKET, 5_000_000, 5_000_000),
        (OrderType.STOP_LIMIT, 5_000_000, 0),
        (OrderType.STOP_LIMIT, 0, 5_000_000),
        (OrderType.STOP_LIMIT, 5_000_000, -1),
    ],
)
def test_prices_that_do_not_fit_the_order_type_are_rejected(
    order_type: OrderType, price: int, stop_price: int
) -> None:
    engine, a = new_engine()
    got = check(engine, 1, a, BTC, Side.BUY, 1_000, price, order_type, stop_price=stop_price)
    assert got == "INVALID_PRICE"


def registry_with_min_qty(min_qty: str) -> str:
    """The shipped registry text with BTC-USDT's minimum quantity changed."""
    text = INSTRUMENTS_JSON.read_text()
    return text.replace('"min_qty": "0.00001"', f'"min_qty": "{min_qty}"', 1)


def test_quantity_below_the_instrument_minimum_is_rejected() -> None:
    text = registry_with_min_qty("0.001")  # 100 lots of 0.00001
    engine = RiskEngine(InstrumentRegistry.from_json(text))
    a = engine.add_account("alice")
    engine.deposit(a, "USDT", 100_000)
    engine.set_mark_price(BTC, "50000")
    assert check(engine, 1, a, BTC, Side.BUY, 99, 5_000_000) == "QTY_BELOW_MIN"
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"
    model = ReferenceRisk(load_markets(text))
    model.add_account("alice")
    model.deposit(0, "USDT", 100_000 * USDT)
    model.set_mark(BTC, 5_000_000)
    assert model.check(Order(1, 0, BTC, "BUY", "LIMIT", 99, 5_000_000)) == "QTY_BELOW_MIN"


def test_quantity_above_the_instrument_maximum_is_rejected() -> None:
    engine, a = new_engine()
    max_lots = REGISTRY.get("BTC-USDT").qty_to_lots("9000")
    assert check(engine, 1, a, BTC, Side.BUY, max_lots + 1, 5_000_000) == "QTY_ABOVE_MAX"


def test_notional_below_the_instrument_minimum_is_rejected() -> None:
    engine, a = new_engine()
    # 9 lots of 0.00001 BTC at 50,000 = 4.50 USDT < 5; 10 lots = 5.00 is enough.
    assert check(engine, 1, a, BTC, Side.BUY, 9, 5_000_000) == "NOTIONAL_BELOW_MIN"
    assert check(engine, 2, a, BTC, Side.BUY, 10, 5_000_000) == "ACCEPTED"


def test_notional_above_the_account_maximum_is_rejected() -> None:
    engine, a = new_engine(max_order_notional="100000")
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 2_001, 500_000) == "NOTIONAL_ABOVE_MAX"
    assert check(engine, 2, a, BTC_PERP, Side.BUY, 2_000, 500_000) == "ACCEPTED"


@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LIMIT])
def test_orders_valued_against_the_mark_need_a_mark(order_type: OrderType) -> None:
    engine, a = new_engine()
    price = 0 if order_type == OrderType.MARKET else 300_000
    stop = 300_000 if order_type == OrderType.STOP_LIMIT else 0
    got = check(engine, 1, a, ETH, Side.BUY, 100, price, order_type, stop_price=stop)
    assert got == "NO_MARK_PRICE"


def test_stop_market_order_is_valued_at_its_stop_without_a_mark() -> None:
    engine, a = new_engine()
    got = check(engine, 1, a, ETH, Side.BUY, 100, 0, OrderType.STOP_MARKET, stop_price=300_000)
    assert got == "ACCEPTED"
    # 0.01 ETH at 3,000 * 1.1 = 33 USDT, plus the 0.1% taker fee.
    assert engine.balance(a, "USDT")[1] == Decimal("33.033")


def test_limit_price_beyond_the_band_is_rejected_and_its_edge_accepted() -> None:
    engine, a = new_engine()
    # Band 10% around 50,000.00: 55,000.00 is inside, 55,000.01 outside; same below.
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_500_001) == "PRICE_OUTSIDE_BAND"
    assert check(engine, 2, a, BTC, Side.BUY, 100, 4_499_999) == "PRICE_OUTSIDE_BAND"
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_500_000) == "ACCEPTED"
    assert check(engine, 4, a, BTC, Side.BUY, 100, 4_500_000) == "ACCEPTED"


def test_market_buy_is_valued_at_the_upper_band_edge() -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, BTC, Side.BUY, 10_000) == "ACCEPTED"
    # 0.1 BTC at 50,000 * 1.10 = 5,500 plus the 0.1% taker fee.
    assert engine.balance(a, "USDT")[1] == Decimal("5505.5")


def test_open_orders_beyond_the_limit_are_rejected() -> None:
    engine, a = new_engine(max_open_orders=2)
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000) == "TOO_MANY_OPEN_ORDERS"
    engine.on_order_done(1)
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"


def test_orders_beyond_the_rate_limit_are_rejected_until_a_second_after_the_earlier_ones() -> None:
    engine, a = new_engine(max_orders_per_second=2)
    codes = [check(engine, i, a, BTC, Side.BUY, 100, 5_000_000, now_ns=5) for i in range(3)]
    assert codes == ["ACCEPTED", "ACCEPTED", "RATE_LIMITED"]
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000, now_ns=999_999_999) == "RATE_LIMITED"
    assert check(engine, 4, a, BTC, Side.BUY, 100, 5_000_000, now_ns=1_000_000_005) == "ACCEPTED"


def test_rate_window_counts_orders_that_fail_later_checks() -> None:
    engine, a = new_engine(usdt=0, max_orders_per_second=1)
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000) == "INSUFFICIENT_BALANCE"
    engine.deposit(a, "USDT", 1_000)
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000) == "RATE_LIMITED"


def long_position(engine: RiskEngine, a: int, lots: int, ticks: int = 500_000) -> None:
    """Opens a perpetual long through a checked order and its fill."""
    assert check(engine, 900 + lots, a, BTC_PERP, Side.BUY, lots, ticks) == "ACCEPTED"
    engine.on_fill(900 + lots, a, BTC_PERP, Side.BUY, lots, ticks, 0)


@pytest.mark.parametrize("global_switch", [True, False])
def test_reducing_state_accepts_only_orders_that_reduce_the_position(global_switch: bool) -> None:
    engine, a = new_engine()
    long_position(engine, a, 100)
    engine.set_trading_state(TradingState.REDUCING, None if global_switch else a)
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 10, 500_000) == "TRADING_REDUCE_ONLY"
    assert check(engine, 2, a, BTC_PERP, Side.SELL, 101, 500_000) == "TRADING_REDUCE_ONLY"
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000) == "TRADING_REDUCE_ONLY"
    assert check(engine, 4, a, BTC_PERP, Side.SELL, 100, 500_000) == "ACCEPTED"


def test_reduce_only_order_that_would_increase_the_position_is_rejected() -> None:
    engine, a = new_engine()
    ro = {"reduce_only": True}
    assert (
        check(engine, 1, a, BTC_PERP, Side.SELL, 10, 500_000, **ro) == "REDUCE_ONLY_WOULD_INCREASE"
    )
    long_position(engine, a, 10)
    assert check(engine, 2, a, BTC_PERP, Side.BUY, 2, 500_000, **ro) == "REDUCE_ONLY_WOULD_INCREASE"
    assert check(engine, 3, a, BTC_PERP, Side.SELL, 6, 500_000, **ro) == "ACCEPTED"
    # The open reduce-only sell counts: 6 + 5 lots would exceed the 10-lot long.
    assert (
        check(engine, 4, a, BTC_PERP, Side.SELL, 5, 500_000, **ro) == "REDUCE_ONLY_WOULD_INCREASE"
    )
    assert check(engine, 5, a, BTC, Side.BUY, 100, 5_000_000, **ro) == "REDUCE_ONLY_WOULD_INCREASE"


def test_worst_case_position_beyond_the_limit_is_rejected() -> None:
    engine, a = new_engine(max_position_notional="120000")
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 2_000, 500_000) == "ACCEPTED"
    # The open 2 BTC buy counts: 3 BTC at 50,000 = 150,000 > 120,000.
    assert check(engine, 2, a, BTC_PERP, Side.BUY, 1_000, 500_000) == "MAX_POSITION_EXCEEDED"
    assert check(engine, 3, a, BTC_PERP, Side.SELL, 2_000, 500_000) == "ACCEPTED"


def test_leverage_above_the_bracket_of_the_worst_case_notional_is_rejected() -> None:
    engine, a = new_engine(usdt=1_000_000)
    engine.set_leverage(a, BTC_PERP, 120)
    # 1 BTC = 50,000 notional falls in the second tier, which allows 100x.
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 1_000, 500_000) == "LEVERAGE_BRACKET_EXCEEDED"
    assert check(engine, 2, a, BTC_PERP, Side.BUY, 999, 500_000) == "ACCEPTED"


def test_spot_orders_beyond_the_free_balance_are_rejected() -> None:
    engine, a = new_engine(usdt=1_000)
    # 0.02 BTC at 50,000 = 1,000 USDT plus a 1 USDT fee: one too many.
    assert check(engine, 1, a, BTC, Side.BUY, 2_000, 5_000_000) == "INSUFFICIENT_BALANCE"
    assert check(engine, 2, a, BTC, Side.SELL, 100, 5_000_000) == "INSUFFICIENT_BALANCE"
    engine.deposit(a, "BTC", "0.001")
    assert check(engine, 3, a, BTC, Side.SELL, 100, 5_000_000) == "ACCEPTED"
    assert check(engine, 4, a, BTC, Side.SELL, 1, 5_000_000) == "NOTIONAL_BELOW_MIN"
    assert check(engine, 5, a, BTC, Side.SELL, 10, 5_000_000) == "INSUFFICIENT_BALANCE"


def test_perpetual_orders_beyond_the_available_margin_are_rejected() -> None:
    engine, a = new_engine(usdt=5_025)
    # 1 BTC at 50,000 with 10x needs 5,000 margin and a 25 taker fee: exactly the wallet.
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 1_000, 500_000) == "ACCEPTED"
    assert check(engine, 2, a, BTC_PERP, Side.SELL, 2, 500_000) == "INSUFFICIENT_MARGIN"


def test_drawdown_beyond_the_limit_switches_the_account_to_reducing() -> None:
    engine, a = new_engine(max_drawdown="0.1")
    long_position(engine, a, 1_000)  # the check records the 100,000 equity peak
    engine.set_mark_price(BTC_PERP, "39000")  # down 11,000: 11% below the peak
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 10, 390_000) == "DRAWDOWN_LIMIT"
    assert engine.trading_state(a) == TradingState.REDUCING
    assert engine.summary(a)["equity_peak"] == Decimal("100000")
    assert check(engine, 2, a, BTC_PERP, Side.SELL, 10, 390_000) == "ACCEPTED"
    engine.set_trading_state(TradingState.ACTIVE, a)
    assert engine.summary(a)["equity_peak"] == 0
    assert check(engine, 3, a, BTC_PERP, Side.BUY, 10, 390_000) == "ACCEPTED"


def test_rejected_check_reserves_nothing() -> None:
    engine, a = new_engine(usdt=1_000)
    assert check(engine, 1, a, BTC, Side.BUY, 2_000, 5_000_000) == "INSUFFICIENT_BALANCE"
    assert engine.balance(a, "USDT") == (Decimal(1_000), 0, Decimal(1_000))
    assert engine.open_order_count() == 0
    assert not engine.on_order_done(1)


@pytest.mark.parametrize(
    ("account", "instrument", "qty", "price", "expected"),
    [
        (9, 99, 0, 0, "UNKNOWN_ACCOUNT"),
        (0, 99, 0, 0, "UNKNOWN_INSTRUMENT"),
        (0, BTC, 0, 0, "INVALID_QUANTITY"),
        (0, BTC, 10**12, 0, "INVALID_PRICE"),
        (0, BTC, 10**12, 9 * 10**9, "QTY_ABOVE_MAX"),
        (0, BTC, 1, 1, "NOTIONAL_BELOW_MIN"),
        (0, BTC, 10**8, 9 * 10**9, "NOTIONAL_ABOVE_MAX"),
        (0, BTC, 100, 9 * 10**9, "PRICE_OUTSIDE_BAND"),
        (0, BTC, 100, 5_000_000, "TOO_MANY_OPEN_ORDERS"),
    ],
)
def test_the_first_failing_check_gives_the_reason(
    account: int, instrument: int, qty: int, price: int, expected: str
) -> None:
    engine, _ = new_engine(usdt=0, max_open_orders=0)
    got = check(engine, 1, account, instrument, Side.BUY, qty, price, OrderType.LIMIT)
    assert got == expected


def test_halt_is_reported_before_unknown_instruments_and_duplicates_before_halt() -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"
    engine.set_trading_state(TradingState.HALTED)
    assert check(engine, 2, a, 99, Side.BUY, 0, 0) == "TRADING_HALTED"
    assert check(engine, 1, a, 99, Side.BUY, 0, 0) == "DUPLICATE_ORDER_ID"


# --- targeted: reservations and booking -----------------------------------------------------


def test_spot_buy_reserves_notional_plus_taker_fee_rounded_up() -> None:
    engine, a = new_engine()
    # 13 lots of 0.00001 BTC at 50,000.01 = 6.5000013 USDT; fee 0.0065000013 -> 0.00650001.
    assert check(engine, 1, a, BTC, Side.BUY, 13, 5_000_001) == "ACCEPTED"
    assert engine.balance(a, "USDT")[1] == Decimal("6.50650131")


def test_perpetual_order_reserves_margin_plus_taker_fee_rounded_up() -> None:
    engine, a = new_engine()
    engine.set_mark_price(ETH_PERP, "3000")
    engine.set_leverage(a, ETH_PERP, 3)
    # 0.007 ETH at 3,000.01 = 21.00007: margin / 3 = 7.000023333... -> 7.00002334 and the
    # 0.05% fee 0.0105000035 -> 0.01050004, both rounded up.
    assert check(engine, 1, a, ETH_PERP, Side.BUY, 7, 300_001) == "ACCEPTED"
    assert engine.balance(a, "USDT")[1] == Decimal("7.00002334") + Decimal("0.01050004")


def test_partial_fill_releases_its_share_of_the_reservation() -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, BTC, Side.BUY, 10_000, 5_000_000) == "ACCEPTED"
    engine.on_fill(1, a, BTC, Side.BUY, 4_000, 5_000_000, 2 * USDT)
    assert engine.balance(a, "BTC")[0] == Decimal("0.04")
    assert engine.balance(a, "USDT")[:2] == (Decimal(100_000 - 2_000 - 2), Decimal("3003"))
    assert engine.on_order_done(1)
    assert engine.balance(a, "USDT")[1] == 0


def test_late_fill_without_a_reservation_is_booked() -> None:
    engine, a = new_engine()
    engine.deposit(a, "BTC", 1)
    engine.on_fill(77, a, BTC, Side.SELL, 10_000, 5_000_000, 5 * USDT)
    assert engine.balance(a, "BTC")[0] == Decimal("0.9")
    assert engine.balance(a, "USDT")[0] == Decimal(100_000 + 5_000 - 5)


def test_perpetual_round_trip_realizes_exact_pnl_net_of_fees() -> None:
    engine, a = new_engine()
    engine.on_fill(1, a, BTC_PERP, Side.BUY, 3, 500_000, 10)
    engine.on_fill(2, a, BTC_PERP, Side.BUY, 3, 500_001, 10)
    engine.on_fill(3, a, BTC_PERP, Side.SELL, 5, 500_100, 10)
    engine.on_fill(4, a, BTC_PERP, Side.SELL, 3, 500_100, 10)
    p = engine.position(a, BTC_PERP)
    # Bought 0.003 at 50,000.0 and 0.003 at 50,000.1, sold 0.006 at 50,010.0: +0.0597.
    assert p["qty"] == Decimal("-0.002")
    assert p["entry_price"] == Decimal("50010")
    assert p["realized_pnl"] == Decimal("0.0597")
    assert p["fees"] == Decimal("0.0000004")
    assert engine.balance(a, "USDT")[0] == Decimal("100000.0596996")


# --- targeted: margin, the worked example and the summary ----------------------------------

PERP_INSTRUMENT = REGISTRY.get("BTC-USDT-PERP")
WORKED_LP = Decimal("45180.72289157")  # (5,000 - 50,000) / (0.004 - 1), rounded up


def test_isolated_long_liquidation_price_matches_the_worked_example() -> None:
    assert oms_core.liquidation_price(PERP_INSTRUMENT, "1", "50000", "5000") == WORKED_LP
    market = load_markets()[BTC_PERP]
    lp = liquidation_price(market, 1_000, market.notional(1_000, 500_000), 5_000 * USDT)
    assert lp is not None
    assert price_atoms(lp, 8, up=True) == to_atoms(WORKED_LP)


def test_isolated_short_liquidation_price_moves_to_the_tier_it_falls_in() -> None:
    # First tier: 55,000 / 1.004 = 54,780.88, a notional past that tier's 50,000 cap; the
    # second tier (0.5%, amount 50) gives 55,050 / 1.005 = 54,776.1194029850..., rounded down.
    got = oms_core.liquidation_price(PERP_INSTRUMENT, Decimal("-1"), 50_000, 5_000)
    assert got == Decimal("54776.11940298")


def test_fully_backed_long_and_flat_positions_have_no_liquidation_price() -> None:
    assert oms_core.liquidation_price(PERP_INSTRUMENT, "1", "50000", "60000") is None
    assert oms_core.liquidation_price(REGISTRY.get("BTC-USDT"), "1", "50000", "5000") is None


def test_cross_liquidation_price_with_the_wallet_matches_the_worked_example() -> None:
    engine = RiskEngine(REGISTRY)
    a = engine.add_account("carol")
    engine.deposit(a, "USDT", 5_000)
    engine.on_fill(1, a, BTC_PERP, Side.BUY, 1_000, 500_000, 0)
    p = engine.position(a, BTC_PERP)
    assert (p["qty"], p["entry_price"]) == (Decimal(1), Decimal(50_000))
    assert p["liquidation_price"] == WORKED_LP


def test_summary_of_the_worked_example() -> None:
    engine = RiskEngine(REGISTRY)
    a = engine.add_account("carol")
    engine.deposit(a, "USDT", 5_000)
    engine.on_fill(1, a, BTC_PERP, Side.BUY, 1_000, 500_000, 0)
    # No mark yet: the position is valued at its entry.
    assert engine.summary(a) == {
        "wallet": 5_000,
        "unrealized_pnl": 0,
        "margin_balance": 5_000,
        "equity": 5_000,
        "equity_peak": 0,
        "position_initial_margin": 5_000,  # 50,000 at the default 10x
        "order_margin": 0,
        "maintenance_margin": 200,  # 50,000 * 0.4%
        "margin_ratio": Decimal("0.04"),  # 200 / 5,000
        "available": 0,
        "state": TradingState.ACTIVE,
    }


def test_margin_ratio_and_available_margin_follow_the_mark() -> None:
    engine = RiskEngine(REGISTRY)
    a = engine.add_account("carol")
    engine.deposit(a, "USDT", 5_000)
    engine.on_fill(1, a, BTC_PERP, Side.BUY, 1_000, 500_000, 0)
    engine.set_mark_price(BTC_PERP, "51000")
    s = engine.summary(a)
    assert (s["unrealized_pnl"], s["margin_balance"], s["equity"]) == (1_000, 6_000, 6_000)
    assert s["maintenance_margin"] == 205  # 51,000 is in the second tier: 0.5% minus 50
    assert s["margin_ratio"] == Decimal("0.03416667")  # 205 / 6,000, rounded up
    assert s["available"] == 5_000 - 5_100  # profits are not lent against
    engine.set_mark_price(BTC_PERP, "45180.8")  # just above the liquidation price
    assert Decimal("0.999") < engine.summary(a)["margin_ratio"] < 1
    engine.set_mark_price(BTC_PERP, "45180.7")  # just below it
    assert 1 < engine.summary(a)["margin_ratio"] < Decimal("1.001")
    engine.set_mark_price(BTC_PERP, "45000")
    s = engine.summary(a)
    assert s["margin_balance"] == 0
    assert s["margin_ratio"] is None


@pytest.mark.parametrize(
    ("notional", "expected"),
    [
        ("10000", "40"),
        ("50000", "200"),
        ("-100000", "450"),
        ("0", "0"),
        ("0.00000001", "0.00000001"),
    ],
)
def test_maintenance_margin_uses_the_tiered_brackets_rounded_up(
    notional: str, expected: str
) -> None:
    assert oms_core.maintenance_margin(PERP_INSTRUMENT, notional) == Decimal(expected)


def test_maintenance_margin_of_spot_is_zero() -> None:
    assert oms_core.maintenance_margin(REGISTRY.get("BTC-USDT"), "100000") == 0


LIQUIDATION_CASES = st.tuples(
    st.sampled_from([BTC_PERP, ETH_PERP]),
    weighted((5, st.integers(-100_000, 100_000)), (1, st.integers(-(10**12), 10**12))).filter(bool),
    weighted((5, st.integers(1, 10_000_000)), (1, st.integers(1, 2**63 - 1))),
    weighted((5, st.integers(-(10**6), 10**7)), (1, st.integers(-(10**10), 10**10))),
)


@settings(max_examples=300, deadline=None)
@given(LIQUIDATION_CASES)
def test_isolated_liquidation_price_matches_the_reference(case: tuple[int, int, int, int]) -> None:
    instrument, lots, ticks, collateral_usdt = case
    inst = REGISTRY.get(SYMBOLS[instrument])
    market = load_markets()[instrument]
    qty = inst.lots_to_qty(lots)
    got = oms_core.liquidation_price(inst, qty, inst.ticks_to_price(ticks), collateral_usdt)
    lp = liquidation_price(market, lots, market.notional(lots, ticks), collateral_usdt * USDT)
    assert got == (None if lp is None else Decimal(eight_decimals(price_atoms(lp, 8, up=lots > 0))))


# --- targeted: batch --------------------------------------------------------------------------

BATCH_ORDERS = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 0, 1]),
        st.sampled_from([BTC, ETH, BTC_PERP, ETH_PERP, 9]),
        st.sampled_from([0, 1]),
        st.sampled_from([0, 0, 0, 1, 2, 3]),
        st.integers(-1, 3_000),
        st.integers(-2_000, 2_000),
        st.booleans(),
    ),
    min_size=1,
    max_size=200,
)


def batch_columns(rows: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Orders as the numpy columns of ``check_batch`` (ids from 1, 10 ms apart)."""
    ids, accounts, instruments, sides, types, qtys, prices, stops, reduce, now = (
        [] for _ in range(10)
    )
    for i, (account, instrument, side, order_type, qty, bp, reduce_only) in enumerate(rows):
        ref = BASE_TICKS.get(instrument, 1_000)
        px = ref + ref * bp // 10_000
        ids.append(i % 150 + 1)  # some ids repeat while the first is still open
        accounts.append(account)
        instruments.append(instrument)
        sides.append(side)
        types.append(order_type)
        qtys.append(qty)
        prices.append(px if order_type in (0, 3) else 0)
        stops.append(px if order_type in (2, 3) else 0)
        reduce.append(reduce_only)
        now.append(i * 10_000_000)
    return {
        "order_ids": np.array(ids, np.uint64),
        "accounts": np.array(accounts, np.uint32),
        "instruments": np.array(instruments, np.uint32),
        "sides": np.array(sides, np.uint8),
        "order_types": np.array(types, np.uint8),
        "qtys": np.array(qtys, np.int64),
        "prices": np.array(prices, np.int64),
        "stop_prices": np.array(stops, np.int64),
        "reduce_only": np.array(reduce, np.bool_),
        "now_ns": np.array(now, np.int64),
    }


def batch_engine() -> RiskEngine:
    engine, a = new_engine(usdt=50_000, max_open_orders=40, max_orders_per_second=20)
    engine.deposit(a, "BTC", "0.5")
    engine.set_mark_price(ETH_PERP, "3000")
    engine.on_fill(0, a, BTC_PERP, Side.BUY, 200, 500_000, 0)
    return engine


@settings(max_examples=60, deadline=None)
@given(BATCH_ORDERS)
def test_check_batch_equals_one_check_per_order(rows: list[tuple[int, ...]]) -> None:
    columns = batch_columns(rows)
    batched, single = batch_engine(), batch_engine()
    codes = batched.check_batch(*columns.values())
    assert codes.dtype == np.uint8
    assert codes.shape == (len(rows),)
    one_by_one = [
        single.check(
            int(columns["order_ids"][i]),
            int(columns["accounts"][i]),
            int(columns["instruments"][i]),
            [Side.BUY, Side.SELL][columns["sides"][i]],
            TYPES[ORDER_TYPES[columns["order_types"][i]]],
            int(columns["qtys"][i]),
            int(columns["prices"][i]),
            int(columns["stop_prices"][i]),
            bool(columns["reduce_only"][i]),
            int(columns["now_ns"][i]),
        )
        for i in range(len(rows))
    ]
    assert codes.tolist() == one_by_one
    assert batched.open_order_count() == single.open_order_count()
    for asset in ASSETS:
        assert batched.balance(0, asset) == single.balance(0, asset)
    assert batched.summary(0) == single.summary(0)


def test_check_batch_of_nothing_is_empty() -> None:
    engine = batch_engine()
    codes = engine.check_batch(*batch_columns([]).values())
    assert codes.dtype == np.uint8
    assert codes.shape == (0,)


# --- errors reachable from Python -----------------------------------------------------------

ERROR_CASES = [
    (1.5, oms_core.InvalidNumber),
    (float("nan"), oms_core.InvalidNumber),
    (float("inf"), oms_core.InvalidNumber),
    ("NaN", oms_core.InvalidNumber),
    (Decimal("NaN"), oms_core.InvalidNumber),
    (Decimal("-Infinity"), oms_core.InvalidNumber),
    ("1,5", oms_core.InvalidNumber),
    ("", oms_core.InvalidNumber),
    (True, oms_core.InvalidNumber),
    (None, oms_core.InvalidNumber),
    ("1e30", oms_core.NumberOverflow),
    (10**30, oms_core.NumberOverflow),
]


def assert_raises(error: type[oms_core.OmsError], call: Callable[[], Any]) -> None:
    """`call` raises exactly `error`, an ``OmsError`` whose ``code`` is the class's code."""
    with pytest.raises(oms_core.OmsError) as info:
        call()
    assert type(info.value) is error
    assert info.value.code == error.code
    assert isinstance(error.code, str)
    assert error.code.isupper()


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        *ERROR_CASES,
        ("0.000000001", oms_core.InvalidNumber),  # finer than money's 8 decimals
        ("-0.01", oms_core.InvalidArgument),  # withdrawal beyond the free balance
    ],
)
def test_deposit_refuses_inexact_or_out_of_range_amounts(
    amount: Any, error: type[oms_core.OmsError]
) -> None:
    engine, a = new_engine(usdt=0)
    assert_raises(error, lambda: engine.deposit(a, "USDT", amount))
    assert engine.balance(a, "USDT") == (0, 0, 0)


def test_withdrawal_may_not_touch_what_open_orders_hold() -> None:
    engine, a = new_engine(usdt=1_000)
    assert check(engine, 1, a, BTC, Side.BUY, 1_000, 5_000_000) == "ACCEPTED"  # holds 500.5
    assert_raises(oms_core.InvalidArgument, lambda: engine.deposit(a, "USDT", "-499.51"))
    engine.deposit(a, "USDT", "-499.5")
    assert engine.balance(a, "USDT") == (Decimal("500.5"), Decimal("500.5"), 0)


def test_deposit_to_an_unknown_asset_or_account_is_refused() -> None:
    engine, a = new_engine()
    assert_raises(oms_core.InvalidArgument, lambda: engine.deposit(a, "DOGE", 1))
    assert_raises(oms_core.UnknownAccount, lambda: engine.deposit(7, "USDT", 1))
    assert_raises(oms_core.InvalidArgument, lambda: engine.balance(a, "DOGE"))
    assert_raises(oms_core.UnknownAccount, lambda: engine.balance(7, "USDT"))


@pytest.mark.parametrize(
    ("price", "error"),
    [
        *ERROR_CASES,
        ("-50000", oms_core.InvalidPrice),
        ("0", oms_core.InvalidPrice),
        ("50000.05", oms_core.InvalidPrice),  # off the 0.1 tick grid of BTC-USDT-PERP
        ("1e-30", oms_core.InvalidPrice),
    ],
)
def test_set_mark_price_refuses_inexact_off_grid_or_non_positive_prices(
    price: Any, error: type[oms_core.OmsError]
) -> None:
    engine, _ = new_engine()
    assert_raises(error, lambda: engine.set_mark_price(BTC_PERP, price))


def test_marks_of_unknown_instruments_or_non_positive_ticks_are_refused() -> None:
    engine, _ = new_engine()
    assert_raises(oms_core.UnknownInstrument, lambda: engine.set_mark_price(99, "1"))
    assert_raises(oms_core.UnknownInstrument, lambda: engine.set_mark(99, 1))
    assert_raises(oms_core.InvalidPrice, lambda: engine.set_mark(BTC, 0))
    assert_raises(oms_core.InvalidPrice, lambda: engine.set_mark(BTC, -5))


@pytest.mark.parametrize(
    ("limits", "error"),
    [
        ({"max_order_notional": 1.5}, oms_core.InvalidNumber),
        ({"max_order_notional": "1e30"}, oms_core.NumberOverflow),
        ({"max_order_notional": "0"}, oms_core.InvalidConfig),
        ({"max_order_notional": "-1"}, oms_core.InvalidConfig),
        ({"max_position_notional": float("nan")}, oms_core.InvalidNumber),
        ({"max_position_notional": "0.000000001"}, oms_core.InvalidNumber),
        ({"price_band": float("nan")}, oms_core.InvalidNumber),
        ({"price_band": "NaN"}, oms_core.InvalidNumber),
        ({"price_band": "-0.1"}, oms_core.InvalidConfig),
        ({"price_band": "0.000000001"}, oms_core.InvalidNumber),
        ({"price_band": "1e19"}, oms_core.NumberOverflow),
        ({"max_drawdown": "0"}, oms_core.InvalidConfig),
        ({"max_drawdown": 0.5}, oms_core.InvalidNumber),
        ({"default_leverage": 0}, oms_core.InvalidConfig),
        ({"max_leverage": 5}, oms_core.InvalidConfig),  # no such limit
    ],
)
def test_add_account_refuses_bad_limits(
    limits: dict[str, Any], error: type[oms_core.OmsError]
) -> None:
    engine = RiskEngine(REGISTRY)
    assert_raises(error, lambda: engine.add_account("alice", **limits))
    assert_raises(oms_core.UnknownAccount, lambda: engine.account_index("alice"))
    assert engine.add_account("alice") == 0


def test_set_limits_refuses_bad_limits_and_keeps_the_old_ones() -> None:
    engine, a = new_engine()
    before = engine.limits(a)
    assert_raises(oms_core.InvalidConfig, lambda: engine.set_limits(a, price_band="0"))
    assert_raises(oms_core.InvalidConfig, lambda: engine.set_limits(a, nonsense=1))
    assert_raises(oms_core.UnknownAccount, lambda: engine.set_limits(5, price_band="0.2"))
    assert engine.limits(a) == before
    engine.set_limits(a, price_band="0.2", max_open_orders=3)
    assert engine.limits(a) == before | {"price_band": Decimal("0.2"), "max_open_orders": 3}


def test_account_names_are_unique_and_unknown_names_are_refused() -> None:
    engine, _ = new_engine()
    assert_raises(oms_core.InvalidArgument, lambda: engine.add_account("alice"))
    assert_raises(oms_core.UnknownAccount, lambda: engine.account_index("bob"))
    assert engine.account_index("alice") == 0


def test_registry_that_does_not_settle_in_the_asset_is_refused() -> None:
    assert_raises(oms_core.InvalidConfig, lambda: RiskEngine(REGISTRY, "EUR"))


@pytest.mark.parametrize(
    ("qty", "entry", "collateral", "error"),
    [
        *((bad, "50000", "5000", error) for bad, error in ERROR_CASES),
        *(("1", bad, "5000", error) for bad, error in ERROR_CASES),
        *(("1", "50000", bad, error) for bad, error in ERROR_CASES),
        ("0", "50000", "5000", oms_core.InvalidQuantity),
        ("-0", "50000", "5000", oms_core.InvalidQuantity),
        ("0.0005", "50000", "5000", oms_core.InvalidQuantity),  # off the 0.001 lot grid
        ("1", "-50000", "5000", oms_core.InvalidPrice),
        ("1", "0", "5000", oms_core.InvalidPrice),
        ("1", "50000.05", "5000", oms_core.InvalidPrice),  # off the 0.1 tick grid
        ("1", "50000", "0.000000001", oms_core.InvalidNumber),
    ],
)
def test_liquidation_price_refuses_inexact_off_grid_or_out_of_range_numbers(
    qty: Any, entry: Any, collateral: Any, error: type[oms_core.OmsError]
) -> None:
    assert_raises(
        error, lambda: oms_core.liquidation_price(PERP_INSTRUMENT, qty, entry, collateral)
    )


@pytest.mark.parametrize(("notional", "error"), ERROR_CASES)
def test_maintenance_margin_refuses_inexact_or_out_of_range_notionals(
    notional: Any, error: type[oms_core.OmsError]
) -> None:
    assert_raises(error, lambda: oms_core.maintenance_margin(PERP_INSTRUMENT, notional))


@pytest.mark.parametrize(
    ("account", "instrument", "leverage", "error"),
    [
        (0, BTC, 2, oms_core.InvalidLeverage),  # spot has no leverage
        (0, BTC_PERP, 0, oms_core.InvalidLeverage),
        (0, BTC_PERP, 126, oms_core.InvalidLeverage),
        (0, ETH_PERP, 101, oms_core.InvalidLeverage),
        (0, 99, 5, oms_core.UnknownInstrument),
        (7, BTC_PERP, 5, oms_core.UnknownAccount),
    ],
)
def test_set_leverage_refuses_what_the_instrument_does_not_allow(
    account: int, instrument: int, leverage: int, error: type[oms_core.OmsError]
) -> None:
    engine, _ = new_engine()
    assert_raises(error, lambda: engine.set_leverage(account, instrument, leverage))


def test_calls_about_unknown_accounts_orders_and_instruments_are_refused() -> None:
    engine, a = new_engine()
    assert_raises(oms_core.UnknownAccount, lambda: engine.set_trading_state(TradingState.HALTED, 7))
    assert_raises(oms_core.UnknownAccount, lambda: engine.trading_state(7))
    assert_raises(oms_core.UnknownAccount, lambda: engine.summary(7))
    assert_raises(oms_core.UnknownAccount, lambda: engine.limits(7))
    assert_raises(oms_core.UnknownAccount, lambda: engine.position(7, BTC_PERP))
    assert_raises(oms_core.UnknownInstrument, lambda: engine.position(a, 99))
    assert_raises(oms_core.UnknownOrder, lambda: engine.check_replace(5, OrderType.LIMIT, 1, 1))


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((1, 0, BTC_PERP, Side.BUY, 0, 500_000), oms_core.InvalidQuantity),
        ((1, 0, BTC_PERP, Side.BUY, 1, 0), oms_core.InvalidPrice),
        ((1, 7, BTC_PERP, Side.BUY, 1, 500_000), oms_core.UnknownAccount),
        ((1, 0, 99, Side.BUY, 1, 500_000), oms_core.UnknownInstrument),
        ((5, 0, BTC_PERP, Side.SELL, 1, 500_000), oms_core.InvalidArgument),  # not order 5's side
        ((5, 0, ETH_PERP, Side.BUY, 1, 300_000), oms_core.InvalidArgument),  # nor its instrument
    ],
)
def test_fills_that_cannot_be_booked_are_refused_and_change_nothing(
    args: tuple[Any, ...], error: type[oms_core.OmsError]
) -> None:
    engine, a = new_engine()
    assert check(engine, 5, a, BTC_PERP, Side.BUY, 10, 500_000) == "ACCEPTED"
    before = (engine.balance(a, "USDT"), engine.position(a, BTC_PERP), engine.summary(a))
    assert_raises(error, lambda: engine.on_fill(*args))
    assert (engine.balance(a, "USDT"), engine.position(a, BTC_PERP), engine.summary(a)) == before


def test_check_batch_with_columns_of_different_lengths_is_refused() -> None:
    engine = batch_engine()
    columns = batch_columns([(0, BTC, 0, 0, 100, 0, False)] * 3)
    columns["prices"] = columns["prices"][:2]
    assert_raises(oms_core.InvalidArgument, lambda: engine.check_batch(*columns.values()))
    assert engine.open_order_count() == 0


@pytest.mark.parametrize(("column", "code"), [("sides", 2), ("order_types", 4), ("sides", 255)])
def test_check_batch_with_an_invalid_side_or_type_code_is_refused_whole(
    column: str, code: int
) -> None:
    engine = batch_engine()
    columns = batch_columns([(0, BTC, 0, 0, 100, 0, False)] * 3)
    columns[column][2] = code
    assert_raises(oms_core.InvalidArgument, lambda: engine.check_batch(*columns.values()))
    assert engine.open_order_count() == 0


def test_every_error_class_is_an_oms_error_with_a_stable_code() -> None:
    names = [
        "InvalidNumber",
        "NumberOverflow",
        "InvalidPrice",
        "InvalidQuantity",
        "UnknownInstrument",
        "InvalidConfig",
        "UnknownOrder",
        "UnknownAccount",
        "InvalidLeverage",
        "InvalidArgument",
    ]
    for name in names:
        cls = getattr(oms_core, name)
        assert issubclass(cls, oms_core.OmsError)
        assert cls.code == re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


# --- targeted: amends, reducing exposure, limits and withdrawals ----------------------------


def test_amending_a_stop_limit_order_keeps_its_stop_price() -> None:
    engine, a = new_engine()
    got = check(
        engine, 1, a, BTC_PERP, Side.BUY, 10, 500_000, OrderType.STOP_LIMIT, stop_price=500_100
    )
    assert got == "ACCEPTED"
    # An amend carries no stop price: the engine re-checks it with the one the order has.
    assert reason(engine.check_replace(1, OrderType.STOP_LIMIT, 12, 500_000)) == "ACCEPTED"
    assert engine.balance(a, "USDT")[1] == Decimal("60.3")  # 0.012 BTC: 60 margin + 0.3 fee


def test_amending_an_order_to_another_limit_type_is_an_invalid_price() -> None:
    engine, a = new_engine()
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 10, 500_000) == "ACCEPTED"
    stop = {"order_type": OrderType.STOP_LIMIT, "stop_price": 500_100}
    assert check(engine, 2, a, BTC_PERP, Side.BUY, 10, 500_000, **stop) == "ACCEPTED"
    before = engine.balance(a, "USDT")
    # A LIMIT order has no stop price to keep; a STOP_LIMIT one keeps its stop as a LIMIT.
    assert reason(engine.check_replace(1, OrderType.STOP_LIMIT, 10, 500_000)) == "INVALID_PRICE"
    assert reason(engine.check_replace(2, OrderType.LIMIT, 10, 500_000)) == "INVALID_PRICE"
    assert (engine.balance(a, "USDT"), engine.open_order_count()) == (before, 2)


def test_reducing_state_refuses_orders_that_together_would_flip_the_position() -> None:
    engine, a = new_engine()
    long_position(engine, a, 100)
    engine.set_trading_state(TradingState.REDUCING, a)
    assert check(engine, 1, a, BTC_PERP, Side.SELL, 60, 500_000) == "ACCEPTED"
    # With the 60-lot sell open, only 40 more lots are sure to reduce the 100-lot long.
    assert check(engine, 2, a, BTC_PERP, Side.SELL, 41, 500_000) == "TRADING_REDUCE_ONLY"
    assert check(engine, 3, a, BTC_PERP, Side.SELL, 40, 500_000) == "ACCEPTED"
    engine.on_order_done(1)
    assert check(engine, 4, a, BTC_PERP, Side.SELL, 60, 500_000) == "ACCEPTED"


def test_reduce_only_order_counts_open_plain_orders_on_its_side() -> None:
    engine, a = new_engine()
    long_position(engine, a, 10)
    assert check(engine, 1, a, BTC_PERP, Side.SELL, 6, 500_000) == "ACCEPTED"
    ro = {"reduce_only": True}
    # 6 open plain lots + 5 reduce-only lots could sell 11 of a 10-lot long.
    assert (
        check(engine, 2, a, BTC_PERP, Side.SELL, 5, 500_000, **ro) == "REDUCE_ONLY_WOULD_INCREASE"
    )
    assert check(engine, 3, a, BTC_PERP, Side.SELL, 4, 500_000, **ro) == "ACCEPTED"


def test_open_orders_on_the_other_side_do_not_count_against_reducing() -> None:
    engine, a = new_engine()
    long_position(engine, a, 100)
    assert check(engine, 1, a, BTC_PERP, Side.BUY, 50, 500_000) == "ACCEPTED"
    engine.set_trading_state(TradingState.REDUCING, a)
    assert check(engine, 2, a, BTC_PERP, Side.SELL, 100, 500_000) == "ACCEPTED"


def test_reduce_only_order_is_accepted_while_the_account_is_under_water() -> None:
    engine, a = new_engine(usdt=1_000)
    long_position(engine, a, 100)  # 0.1 BTC at 50,000 with 10x: 500 of initial margin
    engine.set_mark_price(BTC_PERP, "40000")  # 1,000 loss: available = 1,000 - 400 - 1,000
    assert engine.summary(a)["available"] == -400
    # A reduce-only order needs no margin, so it passes: the account that most needs to cut
    # its position can.
    got = check(engine, 1, a, BTC_PERP, Side.SELL, 100, 400_000, reduce_only=True)
    assert got == "ACCEPTED"
    assert engine.balance(a, "USDT")[1] == 0
    # The same check saw the whole wallet lost and switched the account to REDUCING; the
    # reduce-only order passed that rule as well.
    assert engine.trading_state(a) == TradingState.REDUCING


def test_plain_order_that_reduces_still_needs_margin() -> None:
    engine, a = new_engine(usdt=1_000)
    long_position(engine, a, 100)
    # Selling 0.05 BTC at 10x needs a tenth of its notional plus the taker fee: 226.125 at
    # 45,000, 241.2 at 48,000.
    engine.set_mark_price(BTC_PERP, "45000")  # 500 loss: available = 1,000 - 450 - 500
    assert check(engine, 1, a, BTC_PERP, Side.SELL, 50, 450_000) == "INSUFFICIENT_MARGIN"
    engine.set_mark_price(BTC_PERP, "48000")  # 200 loss: available = 1,000 - 480 - 200
    assert check(engine, 2, a, BTC_PERP, Side.SELL, 50, 480_000) == "ACCEPTED"


@pytest.mark.parametrize(
    "limits",
    [
        {"default_leverage": -1},
        {"default_leverage": 0},
        {"default_leverage": 2**32},
        {"default_leverage": 10.0},
        {"default_leverage": True},
        {"max_open_orders": -1},
        {"max_open_orders": 2**32},
        {"max_open_orders": 2**70},
        {"max_open_orders": 5.0},
        {"max_open_orders": False},
        {"max_open_orders": "5"},
        {"max_open_orders": Decimal(5)},
        {"max_orders_per_second": -5},
        {"max_orders_per_second": 1.5},
        {"max_orders_per_second": None},
    ],
    ids=repr,
)
def test_count_limits_that_are_not_integers_in_range_are_invalid_config(
    limits: dict[str, Any],
) -> None:
    engine = RiskEngine(REGISTRY)
    assert_raises(oms_core.InvalidConfig, lambda: engine.add_account("alice", **limits))
    a = engine.add_account("alice")
    before = engine.limits(a)
    assert_raises(oms_core.InvalidConfig, lambda: engine.set_limits(a, **limits))
    assert engine.limits(a) == before


def test_count_limits_take_any_integer_in_range() -> None:
    engine = RiskEngine(REGISTRY)
    edges = {"max_open_orders": 0, "max_orders_per_second": 2**32 - 1, "default_leverage": 1}
    a = engine.add_account("alice", **edges)
    assert engine.limits(a).items() >= edges.items()
    engine.set_limits(a, max_open_orders=2**32 - 1, max_orders_per_second=0)
    assert (engine.limits(a)["max_open_orders"], engine.limits(a)["max_orders_per_second"]) == (
        2**32 - 1,
        0,
    )


def test_no_orders_pass_a_zero_open_order_or_rate_limit() -> None:
    engine, a = new_engine(max_open_orders=0)
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000) == "TOO_MANY_OPEN_ORDERS"
    engine.set_limits(a, max_open_orders=5, max_orders_per_second=0)
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000) == "RATE_LIMITED"


def test_rate_limit_holds_over_any_rolling_second() -> None:
    engine, a = new_engine(max_orders_per_second=2)
    ms = 1_000_000
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000, now_ns=0) == "ACCEPTED"
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000, now_ns=900 * ms) == "ACCEPTED"
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000, now_ns=1_000 * ms) == "ACCEPTED"
    # (0.05 s, 1.05 s] already holds the orders at 0.9 s and 1.0 s.
    got = check(engine, 4, a, BTC, Side.BUY, 100, 5_000_000, now_ns=1_050 * ms)
    assert got == "RATE_LIMITED"
    assert check(engine, 5, a, BTC, Side.BUY, 100, 5_000_000, now_ns=1_900 * ms) == "ACCEPTED"


def test_rate_limited_orders_do_not_take_a_place_in_the_window() -> None:
    engine, a = new_engine(max_orders_per_second=1)
    ms = 1_000_000
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000, now_ns=0) == "ACCEPTED"
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000, now_ns=600 * ms) == "RATE_LIMITED"
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000, now_ns=1_000 * ms) == "ACCEPTED"


def test_drawdown_is_compared_exactly_without_rounding_the_floor() -> None:
    # Peak 100,000.00000001 with a 10% limit: the floor is 90,000.000000009 exactly, so a
    # drop of 10,000.00000001 breaches it even though rounding the floor would hide it.
    engine, a = new_engine(usdt=0, max_drawdown="0.1")
    engine.deposit(a, "USDT", "100000.00000001")
    assert check(engine, 1, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"  # records the peak
    engine.on_order_done(1)
    engine.deposit(a, "USDT", "-10000")  # withdrawals lower the equity too
    assert check(engine, 2, a, BTC, Side.BUY, 100, 5_000_000) == "ACCEPTED"
    engine.on_order_done(2)
    engine.deposit(a, "USDT", "-0.00000001")
    assert check(engine, 3, a, BTC, Side.BUY, 100, 5_000_000) == "DRAWDOWN_LIMIT"
    assert engine.trading_state(a) == TradingState.REDUCING


def test_withdrawal_may_not_take_margin_held_by_positions() -> None:
    engine, a = new_engine()
    long_position(engine, a, 1_000)  # 1 BTC at 50,000 with 10x holds 5,000 of 100,000
    assert_raises(oms_core.InvalidArgument, lambda: engine.deposit(a, "USDT", "-95000.00000001"))
    engine.deposit(a, "USDT", "-95000")
    assert engine.summary(a)["available"] == 0


def test_withdrawal_may_not_take_unrealized_losses_but_not_lend_against_profits() -> None:
    engine, a = new_engine(usdt=10_000)
    long_position(engine, a, 100)  # 0.1 BTC at 50,000: 500 of initial margin
    engine.set_mark_price(BTC_PERP, "49000")  # 100 loss, 490 of initial margin
    assert_raises(oms_core.InvalidArgument, lambda: engine.deposit(a, "USDT", "-9410.00000001"))
    engine.set_mark_price(BTC_PERP, "51000")  # 100 profit, 510 of initial margin
    assert_raises(oms_core.InvalidArgument, lambda: engine.deposit(a, "USDT", "-9490.00000001"))
    engine.deposit(a, "USDT", "-9490")
    assert engine.balance(a, "USDT")[0] == 510


def test_withdrawal_of_another_asset_may_take_all_but_what_open_orders_hold() -> None:
    engine, a = new_engine()
    engine.deposit(a, "BTC", "1")
    long_position(engine, a, 1_000)  # a perpetual position holds USDT, not BTC
    assert check(engine, 1, a, BTC, Side.SELL, 10_000, 5_000_000) == "ACCEPTED"  # holds 0.1
    assert_raises(oms_core.InvalidArgument, lambda: engine.deposit(a, "BTC", "-0.90000001"))
    engine.deposit(a, "BTC", "-0.9")
    assert engine.balance(a, "BTC") == (Decimal("0.1"), Decimal("0.1"), 0)


# --- targeted: extreme sizes and prices ----------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "entry", "exact"),
    [
        ("1e15", "50000", "99999.99999980"),
        ("-1e15", "50000", "33333.3333334"),
        ("1000000", "1e14", "199999999999797.1474"),
        ("1e9", "1e12", "1999999999999.7971474"),
        ("1", "922337203685477580.7", "1844674407168102561.4"),
        ("-1", "922337203685477580.7", "614891469191269253.8"),
    ],
)
def test_liquidation_price_of_huge_positions_or_prices_is_exact(
    qty: str, entry: str, exact: str
) -> None:
    # Release builds without overflow checks once answered 16035.9, a negative price and
    # 26,362,271,858.35 for the first three; with the checks the calls panicked.
    assert oms_core.liquidation_price(PERP_INSTRUMENT, qty, entry, "5000") == Decimal(exact)
    market = load_markets()[BTC_PERP]
    lots, ticks = int(Decimal(qty) * 1_000), int(Decimal(entry) * 10)
    lp = liquidation_price(market, lots, market.notional(lots, ticks), 5_000 * USDT)
    assert lp is not None
    assert price_atoms(lp, 8, up=lots > 0) == to_atoms(Decimal(exact))


@pytest.mark.parametrize(
    ("qty", "entry"),
    [
        ("9000000000000000", "100000000000000"),  # cost fits in i128, cost × 10^3 does not
        ("9223372036854775.807", "922337203685477580.7"),  # the largest qty and price
    ],
)
def test_liquidation_price_of_in_range_inputs_is_exact_or_an_overflow_error(
    qty: str, entry: str
) -> None:
    try:
        got = oms_core.liquidation_price(PERP_INSTRUMENT, qty, entry, "5000")
    except oms_core.NumberOverflow:
        return
    market = load_markets()[BTC_PERP]
    lots, ticks = int(Decimal(qty) * 1_000), int(Decimal(entry) * 10)
    lp = liquidation_price(market, lots, market.notional(lots, ticks), 5_000 * USDT)
    assert got == (None if lp is None else Decimal(eight_decimals(price_atoms(lp, 8, lots > 0))))


def test_fill_beyond_the_instrument_maximum_is_refused() -> None:
    engine, a = new_engine()
    max_lots = load_markets()[BTC_PERP].max_lots
    for lots in (max_lots + 1, 2**62):
        assert_raises(
            oms_core.InvalidQuantity,
            lambda lots=lots: engine.on_fill(1, a, BTC_PERP, Side.BUY, lots, 1, 0),
        )
    assert engine.position(a, BTC_PERP)["qty"] == 0
    engine.on_fill(1, a, BTC_PERP, Side.BUY, max_lots, 1, 0)
    assert engine.position(a, BTC_PERP)["qty"] == 1_000


EXTREME_TICKS = st.one_of(st.integers(1, 2**63 - 1), st.integers(2**62, 2**63 - 1))
EXTREME_OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("fill"),
            st.sampled_from([BTC_PERP, ETH_PERP]),
            st.sampled_from(["BUY", "SELL"]),
            st.integers(1, 10_000_000),  # clipped to the instrument's max lots
            EXTREME_TICKS,
        ),
        st.tuples(st.just("mark"), st.sampled_from([BTC_PERP, ETH_PERP]), EXTREME_TICKS),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(ops=EXTREME_OPS, wallet=st.integers(0, 2**63 - 1))
def test_positions_of_the_largest_sizes_and_prices_match_the_reference(
    ops: list[tuple[Any, ...]], wallet: int
) -> None:
    # Every fill within the instrument's max size, at any price in range, is booked; the
    # views (entry and liquidation prices, margins, PnL) stay exact instead of panicking.
    twin = Twin()
    twin.add_account("whale", Limits())
    twin.deposit(0, "USDT", wallet)
    for i, op in enumerate(ops):
        if op[0] == "fill":
            _, instrument, side, lots, ticks = op
            lots = min(lots, twin.model.markets[instrument].max_lots)
            twin.on_fill(i, 0, instrument, side, lots, ticks, 0)
        else:
            twin.set_mark(op[1], op[2])
        twin.assert_same_state()


def test_a_booked_fill_at_an_absurd_price_has_exact_views() -> None:
    engine, a = new_engine()
    engine.on_fill(1, a, BTC_PERP, Side.BUY, 1_000_000, 2**62, 0)
    p = engine.position(a, BTC_PERP)
    assert (p["qty"], p["entry_price"]) == (1_000, Decimal(2**62) / 10)
    assert p["liquidation_price"] == Decimal("922337203685274538.2")


def test_equity_of_a_huge_spot_holding_at_a_huge_mark_is_exact() -> None:
    engine = RiskEngine(REGISTRY)
    a = engine.add_account("whale")
    engine.deposit(a, "BTC", "18446744073.70955162")  # 2**64 / 10 atoms of 1e-8 BTC
    engine.set_mark(BTC, 2**63 - 1)  # 92,233,720,368,547,758.07 USDT
    # 18,446,744,073.70955162 BTC at that mark: about 1.7e27 USDT, well within 128 bits.
    atoms = 18_446_744_073_70955162 * (2**63 - 1) // 100
    assert to_atoms(engine.summary(a)["equity"]) == atoms
