"""The newest state of recently changed orders, as the API's event stream delivers them.

Reading an order for ``GET``, cancel or amend from the store costs a query; on FerretDB v1 a
query reads the whole collection. Every order update passes through the API's gateway anyway
(it reads every partition of ``oms.events`` for the WebSocket), so the gateway keeps the
newest update of the most recently changed orders here and the routes read it first. The
cache is at most as old as the stream (the processor stores an update before publishing it),
bounded (the least recently changed order leaves first), and never the only source: a miss
reads the store. The gateway fills it with the open orders when it starts, the orders cancels
and amends name, so a restarted API does not query the store for each of them.
"""

from __future__ import annotations

from oms.events import OrderUpdate


class OrderCache:
    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._orders: dict[int, OrderUpdate] = {}

    def put(self, update: OrderUpdate) -> None:
        """Keep ``update`` unless a newer (or the same) ``seq`` of its order is kept."""
        orders = self._orders
        kept = orders.pop(update.order_id, None)
        if kept is not None and kept.seq >= update.seq:
            orders[update.order_id] = kept  # still the newest, and now the most recent
            return
        orders[update.order_id] = update
        if len(orders) > self._capacity:
            del orders[next(iter(orders))]  # dicts keep insertion order: the oldest change

    @property
    def capacity(self) -> int:
        return self._capacity

    def get(self, order_id: int) -> OrderUpdate | None:
        return self._orders.get(order_id)

    def __len__(self) -> int:
        return len(self._orders)


__all__ = ["OrderCache"]
