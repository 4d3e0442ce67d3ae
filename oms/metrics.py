"""The trading metrics of risk and the processor, on every process's ``/metrics``.

The API counts what it answers; these say what happened to the orders after that: how long
risk took to decide (from the API's stamp on the command, so it includes the bus), what it
decided and why, how orders ended, fills, and how many orders are open; and, once a second from
risk's account snapshots, the trading states (kill switches) and the open exposure by market.
Children are bound once per label value: an order pays a dictionary lookup and an increment,
not a label parse.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from decimal import Decimal
from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from oms.events import AccountSnapshot, TradingStateName

DECISION_SECONDS = Histogram(
    "oms_order_decision_seconds",
    "New order submitted (the API's timestamp) to risk's decision",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
)
DECISIONS = Counter(
    "oms_risk_decisions_total",
    "Risk's decisions on new orders, by outcome and reject reason",
    ["outcome", "reason"],
)
ORDERS_FINISHED = Counter(
    "oms_orders_finished_total",
    "Orders that reached a terminal status, once each, when stored",
    ["status"],
)
EXECUTIONS = Counter("oms_executions_total", "Fills stored, by market", ["symbol"])
OPEN_ORDERS = Gauge("oms_open_orders", "Orders this processor holds open (not terminal)")
GLOBAL_TRADING_STATE = Gauge(
    "oms_global_trading_state", "The global kill switch: 1 for the state in force", ["state"]
)
ACCOUNT_TRADING_STATES = Gauge(
    "oms_accounts_trading_state",
    "Accounts this risk process owns, by effective trading state (the global switch included)",
    ["state"],
)
POSITION_NOTIONAL = Gauge(
    "oms_position_notional",
    "Open perpetual positions at the mark, summed over this risk process's accounts",
    ["symbol", "side"],
)

_ACCEPTED = DECISIONS.labels("accepted", "")
_children: dict[tuple[Counter, str], Counter] = {}
_exposed: set[tuple[str, str]] = set()


def _count(metric: Counter, *labels: str) -> None:
    """Increment ``metric``'s child for ``labels`` (the last varies), bound on first use."""
    key = (metric, labels[-1])
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    child.inc()


def decided(submitted_ns: int, decided_ns: int, reject_reason: str | None) -> None:
    """Count one decision; ``reject_reason`` is None for an acceptance."""
    if submitted_ns > 0:
        DECISION_SECONDS.observe(max(0, decided_ns - submitted_ns) / 1e9)
    if reject_reason is None:
        _ACCEPTED.inc()
    else:
        _count(DECISIONS, "rejected", reject_reason)


def finished(status: str) -> None:
    _count(ORDERS_FINISHED, status)


def executed(symbol: str) -> None:
    _count(EXECUTIONS, symbol)


def account_states(snapshots: Iterable[AccountSnapshot], global_state: TradingStateName) -> None:
    """Trading states and exposure from a full round of account snapshots."""
    states: Tally[str] = Tally()
    exposure: dict[tuple[str, str], Decimal] = {}
    for snap in snapshots:
        states[snap.trading_state] += 1
        for p in snap.positions:
            key = (p.symbol, "long" if Decimal(p.qty) > 0 else "short")
            exposure[key] = exposure.get(key, Decimal(0)) + abs(Decimal(p.notional))
    for state in get_args(TradingStateName):
        GLOBAL_TRADING_STATE.labels(state).set(1 if state == global_state else 0)
        ACCOUNT_TRADING_STATES.labels(state).set(states[state])
    for symbol, side in _exposed - exposure.keys():  # closed since the last round
        POSITION_NOTIONAL.labels(symbol, side).set(0)
    for (symbol, side), notional in exposure.items():
        POSITION_NOTIONAL.labels(symbol, side).set(float(notional))
    _exposed.update(exposure)


__all__ = [
    "ACCOUNT_TRADING_STATES",
    "DECISIONS",
    "DECISION_SECONDS",
    "EXECUTIONS",
    "GLOBAL_TRADING_STATE",
    "OPEN_ORDERS",
    "ORDERS_FINISHED",
    "POSITION_NOTIONAL",
    "account_states",
    "decided",
    "executed",
    "finished",
]
