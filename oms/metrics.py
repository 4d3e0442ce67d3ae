"""The trading metrics of risk and the processor, on every process's ``/metrics``.

The API counts what it answers; these say what happened to the orders after that: how long
risk took to decide (from the API's stamp on the command, so it includes the bus), what it
decided and why, how orders ended, fills, and how many orders are open. Children are bound
once per label value: an order pays a dictionary lookup and an increment, not a label parse.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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

_ACCEPTED = DECISIONS.labels("accepted", "")
_rejected: dict[str, Counter] = {}
_finished: dict[str, Counter] = {}
_executions: dict[str, Counter] = {}


def decided(submitted_ns: int, decided_ns: int, reject_reason: str | None) -> None:
    """Count one decision; ``reject_reason`` is None for an acceptance."""
    if submitted_ns > 0:
        DECISION_SECONDS.observe(max(0, decided_ns - submitted_ns) / 1e9)
    if reject_reason is None:
        _ACCEPTED.inc()
        return
    child = _rejected.get(reject_reason)
    if child is None:
        child = _rejected[reject_reason] = DECISIONS.labels("rejected", reject_reason)
    child.inc()


def finished(status: str) -> None:
    child = _finished.get(status)
    if child is None:
        child = _finished[status] = ORDERS_FINISHED.labels(status)
    child.inc()


def executed(symbol: str) -> None:
    child = _executions.get(symbol)
    if child is None:
        child = _executions[symbol] = EXECUTIONS.labels(symbol)
    child.inc()


__all__ = [
    "DECISIONS",
    "DECISION_SECONDS",
    "EXECUTIONS",
    "OPEN_ORDERS",
    "ORDERS_FINISHED",
    "decided",
    "executed",
    "finished",
]
