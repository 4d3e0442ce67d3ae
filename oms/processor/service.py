"""The order processor: owns orders, drives them through the state machine, talks to venues.

It reads risk's decisions and the cancel/amend requests risk passes on (``oms.orders``), and
the venues' reports; every change goes through ``oms_core.OrderTable`` (the FIX state machine),
then the batch is written to the store, published on ``oms.events`` and only then are the bus
offsets committed, so a crash replays work rather than losing it. Orders leave memory when
they reach a terminal state; the store keeps them.

Recovery after a restart: every open order in the store is rebuilt in the table (its fills
replayed, so cumulative quantities and fees match) and sent again to its venue for what is
left; the simulated venues keep no state across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import oms_core
from oms import metrics
from oms.bus import Bus, Consumer, Partition
from oms.deadletter import dead_letter
from oms.enums import (
    LIQUIDITY,
    ORDER_TYPE_NAMES,
    ORDER_TYPES,
    SIDE_NAMES,
    SIDES,
    STATUS_NAMES,
    TIME_IN_FORCE,
    TIME_IN_FORCE_NAMES,
)
from oms.events import (
    EVENTS,
    ORDERS,
    TERMINAL_STATUSES,
    AmendDecision,
    AmendOrder,
    CancelAll,
    CancelOrder,
    Execution,
    NewOrder,
    OrderAccepted,
    OrderRejected,
    OrderUpdate,
    ReplaceRejected,
    ReplaceRequested,
    encode,
    instruction_decoder,
)
from oms.retry import fetch_or_wait, until_done
from oms.store import Store
from oms.venue import (
    Acked,
    Canceled,
    CancelRejected,
    Expired,
    Filled,
    Rejected,
    Replaced,
    StopTriggered,
    Venue,
    VenueOrder,
    VenueReport,
)
from oms.venue import ReplaceRejected as VenueReplaceRejected
from oms_core import (
    InstrumentRegistry,
    OrderTable,
    OrderView,
)

log = logging.getLogger("oms.processor")

_FINISHED_MEMORY = 200_000
"""Finished order ids remembered to refuse a decision delivered again."""
# A cancel in these states waits: the venue has not confirmed the order yet, or a replace of it
# is in flight (risk or the venue has still to answer).
_CANCEL_LATER = (oms_core.OrderStatus.PENDING_NEW, oms_core.OrderStatus.PENDING_REPLACE)


def _unit_atoms(instrument: oms_core.Instrument) -> int:
    """Money atoms (1e-8) of one lot at one tick: the table's lots × ticks → quote money."""
    atoms = instrument.tick_size * instrument.lot_size * 100_000_000
    if atoms != atoms.to_integral_value():
        raise ValueError(f"{instrument.symbol}: tick × lot is finer than a money atom")
    return int(atoms)


@dataclass(slots=True)
class _Live:
    """What the table does not hold about a live order."""

    account: str
    symbol: str
    venue: str
    created_ns: int
    seq_base: int = 0
    reason: str = ""
    # A cancel that arrived while the order waited on its venue ack or on a replace: it is
    # sent once that settles, so a cancel is never lost to an amend in flight.
    cancel_deferred: bool = False


@dataclass(slots=True)
class _Batch:
    """Changes made while handling one batch of input, written and published together."""

    updates: dict[int, OrderUpdate] = field(default_factory=dict)
    published: list[tuple[str, bytes]] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.published)


class ProcessorService:
    def __init__(
        self,
        registry: InstrumentRegistry,
        accounts: Iterable[str],
        bus: Bus,
        store: Store,
        venues: Mapping[str, Venue],
        *,
        route: Mapping[str, str] | None = None,
        group: str = "processor",
        coalesce_ms: float = 2.0,
    ) -> None:
        """``route`` maps a symbol to a venue name; unlisted symbols go to the first venue."""
        if not venues:
            raise ValueError("the processor needs at least one venue")
        self.registry = registry
        self.table = OrderTable(4096)
        self._bus = bus
        self._store = store
        self._venues = dict(venues)
        self._default_venue = next(iter(self._venues))
        self._route = dict(route or {})
        self._group = group
        self._coalesce_s = coalesce_ms / 1000
        self._instrument = {s: registry.index_of(s) for s in registry.symbols()}
        self._unit_atoms = {s: _unit_atoms(registry.get(s)) for s in registry.symbols()}
        self._account = {name: i for i, name in enumerate(accounts)}
        self._live: dict[int, _Live] = {}
        self._open_by_account: dict[str, set[int]] = {}
        self._reports: list[VenueReport] = []
        self._reported = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._consumer: Consumer | None = None
        self._write_lock = asyncio.Lock()
        self._pending = _Batch()
        self._resend: list[int] = []  # recovered orders, sent once the venues run
        # Orders that left memory: a decision delivered again (a publish that timed out and
        # landed anyway, a replay) must not bring one back to life.
        self._finished: deque[int] = deque()
        self._finished_ids: set[int] = set()
        for venue in self._venues.values():
            venue.connect(self._on_reports)

    # --- recovery ----------------------------------------------------------------------------

    async def recover(self, accounts: Iterable[str] | None = None) -> int:
        """Rebuild the open orders (of ``accounts``, or all) from the store; they go to their
        venue again once it runs. Orders already live here are left alone."""
        if accounts is None:
            orders = await self._store.open_orders()
        else:
            orders = [o for a in accounts for o in await self._store.open_orders(a)]
        rebuilt = 0
        for o in orders:
            if o.order_id in self._live:
                continue
            fills: list[Execution] = []
            cursor: int | None = None
            while True:
                page, cursor = await self._store.list_executions(
                    o.account, order_id=o.order_id, limit=1000, cursor=cursor
                )
                fills += page
                if cursor is None:
                    break
            self._rebuild(o, list(reversed(fills)))
            rebuilt += 1
        return rebuilt

    async def _on_assigned(self, gained: frozenset[Partition]) -> None:
        """Take over the accounts whose orders now come here: rebuild and resend their open
        orders (after a restart, or from a replica that died)."""
        partitions = {p for topic, p in gained if topic == ORDERS}
        accounts = [a for a in self._account if self._bus.partition_for(ORDERS, a) in partitions]
        rebuilt = await self.recover(accounts)
        self._send_recovered()
        log.info("processor took %d accounts (%d open orders)", len(accounts), rebuilt)

    async def _on_revoked(self, lost: frozenset[Partition]) -> None:
        """Another replica owns these accounts now: forget their orders here (their reports
        from this process's venue are ignored from now on)."""
        partitions = {p for topic, p in lost if topic == ORDERS}
        for account, ids in self._open_by_account.items():
            if self._bus.partition_for(ORDERS, account) in partitions:
                for order_id in list(ids):
                    self._forget(order_id)

    def _rebuild(self, o: OrderUpdate, fills: Sequence[Execution]) -> None:
        if o.account not in self._account or o.symbol not in self._instrument:
            log.error("stored order %d has an unknown account or symbol", o.order_id)
            return
        t = self.table
        self._add(o)
        t.risk_accept(o.order_id)
        if o.status != "PENDING_NEW":
            t.venue_ack(o.order_id)
        if o.triggered:
            t.trigger_stop(o.order_id)
        for e in fills:
            t.fill(e.order_id, e.exec_id, e.qty, e.price, e.fee, LIQUIDITY[e.liquidity])
        view = t.get(o.order_id)
        assert view is not None
        live = _Live(o.account, o.symbol, self._venue_for(o.symbol), o.created_ns)
        live.seq_base = o.seq - view.seq
        live.cancel_deferred = o.status == "PENDING_CANCEL"
        self._live[o.order_id] = live
        self._open_by_account.setdefault(o.account, set()).add(o.order_id)
        self._resend.append(o.order_id)

    # --- running -----------------------------------------------------------------------------

    def _send_recovered(self) -> None:
        for order_id in self._resend:
            view = self.table.get(order_id)
            if view is not None and order_id in self._live:
                self._send(view, self._live[order_id])
        self._resend.clear()

    async def start(self) -> None:
        """Start the venues, then read instructions; the open orders of the accounts this
        member is given are rebuilt from the store before their first instruction."""
        for venue in self._venues.values():
            await venue.start()
        self._send_recovered()
        self._consumer = self._bus.consumer(
            self._group, [ORDERS], on_assigned=self._on_assigned, on_revoked=self._on_revoked
        )
        self._tasks = [
            asyncio.create_task(self._run_instructions(self._consumer), name="processor-orders"),
            asyncio.create_task(self._run_reports(), name="processor-reports"),
        ]

    async def stop(self) -> None:
        """Stop taking instructions, let reports in flight land, then close the venues."""
        self._stopping.set()
        self._reported.set()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("processor stopped with work it could not write")
        for venue in self._venues.values():
            await venue.stop()
        if self._reports:
            try:
                await self._handle_reports()
            except Exception:
                log.exception("processor could not write the last venue reports")
        if self._consumer is not None:
            await self._consumer.close()

    async def _run_instructions(self, consumer: Consumer) -> None:
        while not self._stopping.is_set():
            records = await fetch_or_wait(consumer, "processor", self._stopping)
            if not records:
                continue
            batch = self._pending
            for r in records:
                try:
                    self._on_instruction(instruction_decoder.decode(r.value), batch)
                except Exception as exc:
                    await dead_letter(self._bus, "processor", r, exc)
            # The venues acknowledge within about their latency: waiting that long lets an
            # order's acceptance and its ack be stored as one write instead of two.
            await asyncio.sleep(self._coalesce_s)
            await self._flush()
            await until_done(consumer.commit, "processor: committing offsets", self._stopping)

    async def _run_reports(self) -> None:
        while not self._stopping.is_set():
            await self._reported.wait()
            self._reported.clear()
            if self._reports:
                await self._handle_reports()

    def _on_reports(self, reports: Sequence[VenueReport]) -> None:
        self._reports.extend(reports)
        self._reported.set()

    async def _handle_reports(self) -> None:
        reports, self._reports = self._reports, []
        batch = self._pending
        for report in reports:
            try:
                self._on_report(report, batch)
            except oms_core.OmsError as exc:
                log.warning("venue report %r not applied: %s", report, exc)
        await self._flush()

    async def _flush(self) -> None:
        """Write and publish every change made so far; durable when this returns.

        Instructions and venue reports add their changes to one pending batch, and one flush
        at a time takes all of it: while a write is out, the next batch grows, so an order's
        changes in between (accepted, then acked, then filled) are stored once, as the last.
        Whoever took our changes held the lock before us, so once we hold it they are stored.
        """
        async with self._write_lock:
            batch, self._pending = self._pending, _Batch()
            if not batch:
                return

            async def write_and_publish() -> None:
                await self._store.write(list(batch.updates.values()), batch.executions)
                await self._bus.publish_many(EVENTS, batch.published)

            # While the store or the bus is down, processing waits here; nothing is dropped.
            await until_done(write_and_publish, "processor: storing order changes", self._stopping)
        for order_id, update in batch.updates.items():
            if update.status in TERMINAL_STATUSES and order_id in self._live:
                self._forget(order_id)
                metrics.finished(update.status)
        for execution in batch.executions:
            metrics.executed(execution.symbol)
        metrics.OPEN_ORDERS.set(len(self._live))

    # --- instructions ------------------------------------------------------------------------

    def _on_instruction(self, msg: object, batch: _Batch) -> None:
        if isinstance(msg, OrderAccepted | OrderRejected):
            self._on_decision(msg, batch)
        elif isinstance(msg, CancelOrder):
            self._cancel(msg.order_id, msg.account, batch)
        elif isinstance(msg, CancelAll):
            for order_id in sorted(self._open_by_account.get(msg.account, ())):
                live = self._live[order_id]
                if msg.symbol is None or live.symbol == msg.symbol:
                    self._cancel(order_id, msg.account, batch)
        elif isinstance(msg, AmendOrder):
            self._amend(msg, batch)
        elif isinstance(msg, AmendDecision):
            self._on_amend_decision(msg, batch)

    def _on_decision(self, msg: OrderAccepted | OrderRejected, batch: _Batch) -> None:
        o = msg.order
        if o.order_id in self._finished_ids:
            log.warning("decision for finished order %d ignored (delivered again)", o.order_id)
            return
        if o.account not in self._account or o.symbol not in self._instrument:
            log.error("order %d for an unknown account or symbol dropped", o.order_id)
            return
        try:
            self._add(o)
        except (oms_core.DuplicateOrder, oms_core.InvalidArgument) as exc:
            # A decision delivered again after a restart, or a reused live client order id.
            log.warning("order %d not added: %s", o.order_id, exc)
            return
        live = _Live(o.account, o.symbol, self._venue_for(o.symbol), o.ts_ns or time.time_ns())
        self._live[o.order_id] = live
        self._open_by_account.setdefault(o.account, set()).add(o.order_id)
        if isinstance(msg, OrderRejected):
            live.reason = msg.reason
            self.table.risk_reject(
                o.order_id,
                oms_core.REJECT_REASONS.index(msg.reason)
                if msg.reason in oms_core.REJECT_REASONS
                else 0,
            )
            self._emit(o.order_id, batch)
            return
        self.table.risk_accept(o.order_id)
        view = self._emit(o.order_id, batch)
        self._send(view, live)

    def _add(self, o: NewOrder | OrderUpdate) -> None:
        """Put an order into the table as PENDING_NEW (a new one, or one being rebuilt)."""
        self.table.add(
            o.order_id,
            o.client_order_id,
            self._account[o.account],
            self._instrument[o.symbol],
            SIDES[o.side],
            ORDER_TYPES[o.order_type],
            TIME_IN_FORCE[o.time_in_force],
            o.qty,
            o.price,
            o.stop_price,
            o.reduce_only,
        )

    def _send(self, view: OrderView, live: _Live) -> None:
        order_type = ORDER_TYPE_NAMES[int(view.order_type)]
        if view.triggered:
            order_type = "MARKET" if order_type == "STOP_MARKET" else "LIMIT"
        self._venues[live.venue].submit(
            VenueOrder(
                view.order_id,
                live.account,
                live.symbol,
                SIDE_NAMES[int(view.side)],
                order_type,
                TIME_IN_FORCE_NAMES[int(view.time_in_force)],
                view.leaves_qty,
                view.price,
                view.stop_price,
                view.reduce_only,
            )
        )

    def _cancel(self, order_id: int, account: str, batch: _Batch) -> None:
        live = self._live.get(order_id)
        if live is None or live.account != account:
            return
        status = self.table.status(order_id)
        if status in _CANCEL_LATER:
            live.cancel_deferred = True
            return
        try:
            self.table.cancel_request(order_id)
        except oms_core.InvalidTransition:
            return  # already pending cancel, or done
        self._emit(order_id, batch)
        self._venues[live.venue].cancel(order_id)

    def _amend(self, msg: AmendOrder, batch: _Batch) -> None:
        live = self._live.get(msg.order_id)
        if live is None or live.account != msg.account:
            return
        try:
            self.table.replace_request(msg.order_id, msg.qty, msg.price)
        except (
            oms_core.InvalidTransition,
            oms_core.InvalidArgument,
            oms_core.InvalidQuantity,
            oms_core.InvalidPrice,
        ) as exc:
            live.reason = getattr(exc, "code", "AMEND_REJECTED")
            log.info("amend of %d refused: %s", msg.order_id, exc)
            self._emit(msg.order_id, batch, force=True)
            return
        view = self._emit(msg.order_id, batch)
        batch.published.append(
            (
                live.account,
                encode(
                    ReplaceRequested(
                        msg.order_id,
                        live.account,
                        live.symbol,
                        ORDER_TYPE_NAMES[int(view.order_type)],
                        msg.qty - view.cum_qty,
                        msg.price,
                        msg.ts_ns,
                    )
                ),
            )
        )

    def _on_amend_decision(self, msg: AmendDecision, batch: _Batch) -> None:
        live = self._live.get(msg.order_id)
        view = self.table.get(msg.order_id)
        if live is None or view is None or view.pending_replace is None:
            return
        if msg.accepted:
            qty, price = view.pending_replace
            self._venues[live.venue].amend(msg.order_id, qty - view.cum_qty, price)
            return
        live.reason = msg.reason
        self.table.replace_reject(msg.order_id)
        self._emit(msg.order_id, batch)
        self._cancel_deferred(msg.order_id, live, batch)

    # --- venue reports -----------------------------------------------------------------------

    def _on_report(self, report: VenueReport, batch: _Batch) -> None:
        order_id = report.order_id
        live = self._live.get(order_id)
        if live is None:
            return  # an order recovered as terminal, or a report for another process
        t = self.table
        if isinstance(report, Filled):
            applied = t.fill(
                order_id,
                report.exec_id,
                report.qty,
                report.price,
                report.fee,
                LIQUIDITY[report.liquidity],
            )
            if applied == oms_core.Applied.DUPLICATE:
                return
            batch.executions.append(
                Execution(
                    report.exec_id,
                    order_id,
                    live.account,
                    live.symbol,
                    SIDE_NAMES[int(t.get(order_id).side)],  # type: ignore[union-attr]
                    report.qty,
                    report.price,
                    report.fee,
                    report.liquidity,
                    live.venue,
                    report.ts_ns,
                )
            )
            batch.published.append((live.account, encode(batch.executions[-1])))
        elif isinstance(report, Acked):
            if t.status(order_id) != oms_core.OrderStatus.PENDING_NEW:
                return  # a recovered order sent again
            t.venue_ack(order_id)
            if live.cancel_deferred:
                self._emit(order_id, batch)
                self._cancel_deferred(order_id, live, batch)
                return
        elif isinstance(report, Rejected):
            live.reason = report.reason
            t.venue_reject(order_id, 0)
        elif isinstance(report, Canceled):
            t.cancel_ack(order_id)
        elif isinstance(report, CancelRejected):
            if t.status(order_id) != oms_core.OrderStatus.PENDING_CANCEL:
                return
            t.cancel_reject(order_id)
        elif isinstance(report, Replaced):
            t.replace_ack(order_id)
            live.reason = ""
        elif isinstance(report, VenueReplaceRejected):
            t.replace_reject(order_id)
            live.reason = report.reason
            view = t.get(order_id)
            assert view is not None
            if view.leaves_qty > 0:
                batch.published.append(
                    (
                        live.account,
                        encode(
                            ReplaceRejected(
                                order_id,
                                live.account,
                                live.symbol,
                                SIDE_NAMES[int(view.side)],
                                ORDER_TYPE_NAMES[int(view.order_type)],
                                view.leaves_qty,
                                view.price,
                                view.stop_price,
                                view.reduce_only,
                            )
                        ),
                    )
                )
        elif isinstance(report, Expired):
            t.expire(order_id)
        elif isinstance(report, StopTriggered):
            t.trigger_stop(order_id)
        self._emit(order_id, batch)
        if isinstance(report, Replaced | VenueReplaceRejected):
            self._cancel_deferred(order_id, live, batch)

    def _cancel_deferred(self, order_id: int, live: _Live, batch: _Batch) -> None:
        """Send the cancel that waited for the venue ack or a replace to settle."""
        if live.cancel_deferred and order_id in self._live:
            live.cancel_deferred = False
            self._cancel(order_id, live.account, batch)

    # --- output ------------------------------------------------------------------------------

    def _emit(self, order_id: int, batch: _Batch, *, force: bool = False) -> OrderView:
        """Queue the order's current state for the store and ``oms.events``."""
        view = self.table.get(order_id)
        live = self._live[order_id]
        assert view is not None
        update = self._update_of(view, live, force)
        batch.updates[order_id] = update
        batch.published.append((live.account, encode(update)))
        return view

    def _update_of(self, v: OrderView, live: _Live, force: bool) -> OrderUpdate:
        status = STATUS_NAMES[int(v.status)]
        if force:
            live.seq_base += 1  # a refused request is news too: give it its own seq
        return OrderUpdate(
            order_id=v.order_id,
            account=live.account,
            client_order_id=v.client_order_id,
            symbol=live.symbol,
            side=SIDE_NAMES[int(v.side)],
            order_type=ORDER_TYPE_NAMES[int(v.order_type)],
            time_in_force=TIME_IN_FORCE_NAMES[int(v.time_in_force)],
            qty=v.qty,
            price=v.price,
            stop_price=v.stop_price,
            reduce_only=v.reduce_only,
            status=status,
            cum_qty=v.cum_qty,
            leaves_qty=v.leaves_qty,
            cum_notional=v.cum_notional * self._unit_atoms[live.symbol],
            fees=v.fees,
            seq=v.seq + live.seq_base,
            created_ns=live.created_ns,
            updated_ns=time.time_ns(),
            last_qty=v.last_qty,
            last_price=v.last_price,
            reject_reason=live.reason,
            triggered=v.triggered,
        )

    def _forget(self, order_id: int) -> None:
        self._finished.append(order_id)
        self._finished_ids.add(order_id)
        if len(self._finished) > _FINISHED_MEMORY:
            self._finished_ids.discard(self._finished.popleft())
        live = self._live.pop(order_id)
        self._open_by_account.get(live.account, set()).discard(order_id)
        with contextlib.suppress(oms_core.UnknownOrder):
            self.table.evict(order_id)

    def _venue_for(self, symbol: str) -> str:
        return self._route.get(symbol, self._default_venue)

    def open_order_count(self) -> int:
        return len(self._live)


__all__ = ["ProcessorService"]
