"""The risk engine service: owns balances, positions, reservations and limits.

It reads commands in account order and answers each with a decision on ``oms.orders``; it
reads order events to book fills and release reservations, and mark prices to value positions.
The math is ``oms_core.RiskEngine``; this module does the I/O around it: decode, decide,
publish once per batch, commit after publishing. Account snapshots (balances, margin,
positions) go to the store and to ``oms.accounts`` at most every ``snapshot_interval_s``.

Recovery after a restart: deposits and limits come from the accounts file, every stored
execution is booked again in order, and every open order's reservation is put back on its
current terms (``restore_order``). Executions the bus delivers again after that are recognised
by exec id and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from decimal import ROUND_UP, Decimal

import msgspec

import oms_core
from oms import metrics
from oms.bus import Bus, Consumer, Partition
from oms.config import AccountConfig
from oms.deadletter import dead_letter
from oms.enums import ORDER_TYPES, SIDES, TRADING_STATE_NAMES, TRADING_STATES
from oms.events import (
    ACCOUNTS,
    COMMANDS,
    EVENTS,
    MARKETDATA,
    ORDERS,
    TERMINAL_STATUSES,
    AccountSnapshot,
    AmendDecision,
    AmendOrder,
    BalanceView,
    CancelAll,
    CancelOrder,
    Execution,
    MarkPrice,
    NewOrder,
    OrderAccepted,
    OrderRejected,
    OrderUpdate,
    PositionView,
    ReplaceRejected,
    ReplaceRequested,
    SetLimits,
    SetTradingState,
    TradingStateName,
    command_decoder,
    encode,
    event_decoder,
    market_decoder,
)
from oms.retry import fetch_or_wait, until_done
from oms.store import Store
from oms_core import InstrumentRegistry, RiskEngine, TradingState

log = logging.getLogger("oms.risk")

_STORE_REFRESH_S = 5.0
"""How often every account's snapshot is stored even if it did not trade (marks moved)."""
_DECIDED_MEMORY = 200_000
"""Order ids remembered to skip a command delivered again."""
MARGIN_CALL = Decimal(1)
"""Margin ratio (maintenance margin / margin balance) at which an account may only reduce."""


_ATOM = Decimal("1e-8")


COUNT_LIMITS = frozenset({"max_open_orders", "max_orders_per_second", "default_leverage"})


def limit_values(limits: dict[str, str]) -> dict[str, str | int]:
    """Limits as the engine takes them: counts as integers, amounts and rates as exact text."""
    return {k: int(v) if k in COUNT_LIMITS else v for k, v in limits.items()}


def _text(value: Decimal | None) -> str | None:
    """Plain decimal text, at most 8 decimals (money atoms), rounded away from zero."""
    if value is None:
        return None
    return format(value.quantize(_ATOM, rounding=ROUND_UP).normalize(), "f")


class RiskService:
    def __init__(
        self,
        registry: InstrumentRegistry,
        accounts: Iterable[AccountConfig],
        bus: Bus,
        store: Store,
        *,
        settlement: str = "USDT",
        snapshot_interval_s: float = 0.25,
        group: str = "risk",
    ) -> None:
        self.registry = registry
        self._settlement = settlement
        self.engine = RiskEngine(registry, settlement)
        self._bus = bus
        self._store = store
        self._group = group
        self._snapshot_interval_s = snapshot_interval_s
        self._symbols = registry.symbols()
        self._instrument = {s: registry.index_of(s) for s in self._symbols}
        self._assets = sorted({a for s in self._symbols for a in self._assets_of(s)})
        self._perps = [s for s in self._symbols if registry.get(s).kind == "perpetual"]
        self._account: dict[str, int] = {}
        self._leverage: dict[tuple[int, int], int] = {}
        self._marks: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._snapshot_seq = time.time_ns()
        self._replayed_exec_ids: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._consumers: list[Consumer] = []
        self._stopping = asyncio.Event()
        self._configs = [c for c in accounts if c.role == "trader"]
        self._owned: set[str] | None = None  # accounts this replica decides for (None: all)
        self._assignments = 0
        # Orders decided lately: a command delivered again (a publish that timed out and
        # landed anyway) is skipped instead of decided twice.
        self._decided: deque[int] = deque()
        self._decided_ids: set[int] = set()
        for config in self._configs:
            self._open_account(config)

    def _assets_of(self, symbol: str) -> tuple[str, str]:
        inst = self.registry.get(symbol)
        return inst.base, inst.quote

    def _open_account(self, config: AccountConfig) -> None:
        idx = self.engine.add_account(config.name, **limit_values(config.limits))
        self._account[config.name] = idx
        for asset, amount in config.deposits.items():
            self.engine.deposit(idx, asset, amount)
        default = int(self.engine.limits(idx)["default_leverage"])
        for symbol in self._perps:
            inst = self.registry.get(symbol)
            lev = config.leverage.get(symbol, min(default, inst.max_leverage))
            self.engine.set_leverage(idx, self._instrument[symbol], lev)
            self._leverage[(idx, self._instrument[symbol])] = lev
        self._dirty.add(config.name)

    def position_lots(self, account: str, symbol: str) -> int:
        """Signed position in lots (for the simulated venues' reduce-only rule)."""
        idx = self._account.get(account)
        inst = self._instrument.get(symbol)
        if idx is None or inst is None:
            return 0
        qty = self.engine.position(idx, inst)["qty"]
        return self.registry.get(symbol).qty_to_lots(qty) if qty else 0

    # --- recovery ----------------------------------------------------------------------------

    async def recover(self) -> None:
        """Book every stored fill again, then hold funds for every open order."""
        fills = 0
        async for batch in self._store.all_executions():
            for e in batch:
                self._book_fill(e)
                self._replayed_exec_ids.add(e.exec_id)
                fills += 1
        orders = await self._store.open_orders()
        for o in orders:
            self._restore(
                o.order_id,
                o.account,
                o.symbol,
                o.side,
                o.order_type,
                o.leaves_qty,
                o.price,
                o.stop_price,
                o.reduce_only,
            )
        log.info("risk recovered %d fills and %d open orders", fills, len(orders))

    def _restore(
        self,
        order_id: int,
        account: str,
        symbol: str,
        side: str,
        order_type: str,
        leaves: int,
        price: int,
        stop_price: int,
        reduce_only: bool,
    ) -> None:
        idx = self._account.get(account)
        if idx is None or leaves <= 0:
            return
        try:
            self.engine.restore_order(
                order_id,
                idx,
                self._instrument[symbol],
                SIDES[side],
                ORDER_TYPES[order_type],
                leaves,
                price,
                stop_price,
                reduce_only,
            )
        except oms_core.OmsError as exc:
            log.error("cannot hold funds for order %d: %s", order_id, exc)
        self._dirty.add(account)

    async def _on_assigned(self, gained: frozenset[Partition]) -> None:
        """Decide for the accounts of the partitions given to this replica. The first time,
        the state recovered at start-up is current; later (a replica died, or joined), the
        accounts gained were changed elsewhere, so the whole state is rebuilt from the store."""
        partitions = {p for topic, p in gained if topic == COMMANDS}
        owned = {a for a in self._account if self._bus.partition_for(COMMANDS, a) in partitions}
        self._assignments += 1
        if self._assignments > 1:
            await self._rebuild()
        self._owned = owned
        self._dirty.update(owned)
        log.info("risk decides for %d accounts", len(owned))

    async def _on_revoked(self, lost: frozenset[Partition]) -> None:
        partitions = {p for topic, p in lost if topic == COMMANDS}
        if self._owned is not None:
            self._owned = {
                a for a in self._owned if self._bus.partition_for(COMMANDS, a) not in partitions
            }

    async def _rebuild(self) -> None:
        self.engine = RiskEngine(self.registry, self._settlement)
        self._account.clear()
        self._leverage.clear()
        self._replayed_exec_ids.clear()
        for config in self._configs:
            self._open_account(config)
        for symbol, ticks in self._marks.items():
            self.engine.set_mark(self._instrument[symbol], ticks)
        await self.recover()

    # --- running -----------------------------------------------------------------------------

    async def start(self) -> None:
        flow = self._bus.consumer(
            self._group,
            [COMMANDS, EVENTS],
            on_assigned=self._on_assigned,
            on_revoked=self._on_revoked,
        )
        marks = self._bus.consumer(f"{self._group}-marks", [MARKETDATA], from_latest=True)
        self._consumers = [flow, marks]
        self._tasks = [
            asyncio.create_task(self._run_flow(flow), name="risk-flow"),
            asyncio.create_task(self._run_marks(marks), name="risk-marks"),
            asyncio.create_task(self._run_snapshots(), name="risk-snapshots"),
        ]

    async def stop(self) -> None:
        """Finish the batch in hand, write the last snapshots, close the consumers."""
        self._stopping.set()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("risk stopped with work it could not write (the bus replays it)")
        with contextlib.suppress(Exception):
            await self._write_snapshots()
        for consumer in self._consumers:
            await consumer.close()

    async def _run_flow(self, consumer: Consumer) -> None:
        while not self._stopping.is_set():
            records = await fetch_or_wait(consumer, "risk", self._stopping)
            if not records:
                continue
            out: list[tuple[str, bytes]] = []
            for r in records:
                try:
                    if r.topic == COMMANDS:
                        self._on_command(command_decoder.decode(r.value), out)
                    else:
                        self._on_event(event_decoder.decode(r.value), out)
                except Exception as exc:
                    await dead_letter(self._bus, "risk", r, exc)
            if out:
                await until_done(
                    functools.partial(self._bus.publish_many, ORDERS, out),
                    "risk: publishing decisions",
                    self._stopping,
                )
            await until_done(consumer.commit, "risk: committing offsets", self._stopping)

    async def _run_marks(self, consumer: Consumer) -> None:
        while not self._stopping.is_set():
            for r in await fetch_or_wait(consumer, "risk", self._stopping):
                try:
                    event = market_decoder.decode(r.value)
                except msgspec.DecodeError as exc:
                    await dead_letter(self._bus, "risk", r, exc)
                    continue
                if isinstance(event, MarkPrice):
                    idx = self._instrument.get(event.symbol)
                    if idx is not None and event.price > 0:
                        self.engine.set_mark(idx, event.price)
                        self._marks[event.symbol] = event.price

    async def _run_snapshots(self) -> None:
        """Accounts that traded go out within ``snapshot_interval_s``; marks move every
        account's margin, so all of them are published once a second and stored every
        ``_STORE_REFRESH_S`` (a store write costs far more than a message)."""
        last_full = last_stored = 0.0
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._snapshot_interval_s)
            now = time.monotonic()
            refresh: set[str] = set()
            if now - last_full >= 1.0:
                refresh = set(self._account if self._owned is None else self._owned)
                last_full = now
            store_all = now - last_stored >= _STORE_REFRESH_S
            if store_all:
                last_stored = now
            try:
                await self._write_snapshots(refresh, store_all)
            except Exception:
                log.exception("risk could not write account snapshots")

    # --- decisions ---------------------------------------------------------------------------

    def _on_command(self, cmd: object, out: list[tuple[str, bytes]]) -> None:
        if isinstance(cmd, NewOrder):
            decision = self._decide(cmd)
            if decision is not None:
                reason = decision.reason if isinstance(decision, OrderRejected) else None
                metrics.decided(cmd.ts_ns, decision.ts_ns, reason)
                out.append((cmd.account, encode(decision)))
        elif isinstance(cmd, CancelOrder | CancelAll | AmendOrder):
            # Amends go to the processor first: it owns the order's filled quantity.
            out.append((cmd.account, encode(cmd)))
        elif isinstance(cmd, SetTradingState):
            self._set_state(cmd, out)
        elif isinstance(cmd, SetLimits):
            idx = self._account.get(cmd.account)
            if idx is None:
                log.warning("limits for unknown account %s ignored", cmd.account)
                return
            self.engine.set_limits(idx, **limit_values(cmd.limits))
            self._dirty.add(cmd.account)

    def _decide(self, o: NewOrder) -> OrderAccepted | OrderRejected | None:
        if o.order_id in self._decided_ids:
            log.warning("order %d delivered again; decided already", o.order_id)
            return None
        self._decided.append(o.order_id)
        self._decided_ids.add(o.order_id)
        if len(self._decided) > _DECIDED_MEMORY:
            self._decided_ids.discard(self._decided.popleft())
        idx = self._account.get(o.account)
        inst = self._instrument.get(o.symbol)
        if idx is None:
            return OrderRejected(o, "UNKNOWN_ACCOUNT", time.time_ns())
        if inst is None:
            return OrderRejected(o, "UNKNOWN_INSTRUMENT", time.time_ns())
        code = self.engine.check(
            o.order_id,
            idx,
            inst,
            SIDES[o.side],
            ORDER_TYPES[o.order_type],
            o.qty,
            o.price,
            o.stop_price,
            o.reduce_only,
            o.ts_ns,
        )
        if code:
            return OrderRejected(o, oms_core.REJECT_REASONS[code], time.time_ns())
        self._dirty.add(o.account)
        return OrderAccepted(o, time.time_ns())

    def _set_state(self, cmd: SetTradingState, out: list[tuple[str, bytes]]) -> None:
        state = TRADING_STATES[cmd.state]
        if cmd.account is None:
            self.engine.set_trading_state(state)
            affected = list(self._account)
        elif cmd.account in self._account:
            self.engine.set_trading_state(state, self._account[cmd.account])
            affected = [cmd.account]
        else:
            log.warning("trading state for unknown account %s ignored", cmd.account)
            return
        log.warning("trading state %s for %s", cmd.state, cmd.account or "every account")
        self._dirty.update(affected)
        if state == TradingState.HALTED:
            # A halt also pulls every resting order: a kill switch that leaves orders working
            # at the venue is not one.
            out.extend((a, encode(CancelAll(a, None, time.time_ns()))) for a in affected)

    # --- order events ------------------------------------------------------------------------

    def _on_event(self, event: object, out: list[tuple[str, bytes]]) -> None:
        if isinstance(event, Execution):
            if self._replayed_exec_ids and event.exec_id in self._replayed_exec_ids:
                self._replayed_exec_ids.discard(event.exec_id)
                return
            self._book_fill(event)
        elif isinstance(event, OrderUpdate):
            if event.status in TERMINAL_STATUSES and self.engine.on_order_done(event.order_id):
                self._dirty.add(event.account)
        elif isinstance(event, ReplaceRequested):
            code = self.engine.check_replace(
                event.order_id,
                ORDER_TYPES[event.order_type],
                event.leaves_qty,
                event.price,
                event.ts_ns,
            )
            reason = oms_core.REJECT_REASONS[code]
            out.append(
                (
                    event.account,
                    encode(
                        AmendDecision(
                            event.order_id, event.account, code == 0, reason, time.time_ns()
                        )
                    ),
                )
            )
            self._dirty.add(event.account)
        elif isinstance(event, ReplaceRejected):
            self._restore(
                event.order_id,
                event.account,
                event.symbol,
                event.side,
                event.order_type,
                event.leaves_qty,
                event.price,
                event.stop_price,
                event.reduce_only,
            )

    def _book_fill(self, e: Execution) -> None:
        idx = self._account.get(e.account)
        inst = self._instrument.get(e.symbol)
        if idx is None or inst is None:
            log.error("fill %s for unknown account or symbol ignored", e.exec_id)
            return
        self.engine.on_fill(e.order_id, idx, inst, SIDES[e.side], e.qty, e.price, e.fee)
        self._dirty.add(e.account)

    # --- snapshots ---------------------------------------------------------------------------

    async def _write_snapshots(
        self, refresh: AbstractSet[str] = frozenset(), store_all: bool = True
    ) -> None:
        """Store and publish the accounts that changed; publish ``refresh`` too, and store
        it as well when ``store_all``."""
        if self._owned is not None:
            self._dirty &= self._owned  # other replicas write theirs
            refresh = refresh & self._owned
        changed, self._dirty = self._dirty, set()
        names = sorted(changed | refresh)
        if not names:
            return
        snapshots = [self.snapshot(name) for name in names]
        if refresh:  # every account this process owns: a full round for the gauges
            every = TRADING_STATE_NAMES[int(self.engine.trading_state(None))]
            metrics.account_states(snapshots, every)
        stored = snapshots if store_all else [s for s in snapshots if s.account in changed]
        if stored:
            await self._store.write(snapshots=stored)
        await self._bus.publish_many(ACCOUNTS, [(s.account, encode(s)) for s in snapshots])

    def snapshot(self, account: str) -> AccountSnapshot:
        """Balances, margin and positions of ``account`` now."""
        idx = self._account[account]
        engine = self.engine
        summary = engine.summary(idx)
        balances = []
        for asset in self._assets:
            total, reserved, available = engine.balance(idx, asset)
            if total or reserved:
                balances.append(BalanceView(asset, str(total), str(reserved), str(available)))
        positions = [p for p in (self._position(idx, s) for s in self._perps) if p is not None]
        ratio = summary["margin_ratio"]
        state = self._effective_state(idx)
        if isinstance(ratio, Decimal) and ratio >= MARGIN_CALL and state == "ACTIVE":
            log.warning("account %s is over its maintenance margin: reduce-only", account)
            engine.set_trading_state(TradingState.REDUCING, idx)
            state = "REDUCING"
        self._snapshot_seq += 1
        return AccountSnapshot(
            account=account,
            seq=self._snapshot_seq,
            trading_state=state,
            balances=balances,
            positions=positions,
            equity=str(summary["equity"]),
            initial_margin=str(summary["position_initial_margin"]),
            maintenance_margin=str(summary["maintenance_margin"]),
            available_margin=str(summary["available"]),
            margin_ratio=_text(ratio) if isinstance(ratio, Decimal) else None,
            unrealized_pnl=str(summary["unrealized_pnl"]),
            limits={k: str(v) for k, v in engine.limits(idx).items()},
            ts_ns=time.time_ns(),
        )

    def _effective_state(self, idx: int) -> TradingStateName:
        own = int(self.engine.trading_state(idx))
        every = int(self.engine.trading_state(None))
        return TRADING_STATE_NAMES[max(own, every)]

    def _position(self, idx: int, symbol: str) -> PositionView | None:
        inst_idx = self._instrument[symbol]
        p = self.engine.position(idx, inst_idx)
        qty = p["qty"]
        if not qty and not p["realized_pnl"]:
            return None
        inst = self.registry.get(symbol)
        mark_ticks = self._marks.get(symbol)
        mark = inst.ticks_to_price(mark_ticks) if mark_ticks else None
        entry = p["entry_price"]
        assert qty is not None
        notional = abs(qty) * mark if mark is not None else Decimal(0)
        upnl = qty * (mark - entry) if mark is not None and entry is not None else Decimal(0)
        leverage = self._leverage.get((idx, inst_idx), 1)
        return PositionView(
            symbol=symbol,
            qty=str(qty),
            entry_price=_text(entry),
            mark_price=_text(mark),
            notional=_text(notional) or "0",
            unrealized_pnl=_text(upnl) or "0",
            realized_pnl=str(p["realized_pnl"]),
            initial_margin=_text(notional / leverage) or "0",
            maintenance_margin=_text(oms_core.maintenance_margin(inst, notional)) or "0",
            leverage=leverage,
            liquidation_price=_text(p["liquidation_price"]),
        )


__all__ = ["RiskService"]
