"""Order ids: unique across restarts and API replicas, increasing in time, 63 bits.

``milliseconds since 2024-01-01 (41 bits) | node (10 bits) | counter (12 bits)``: 4,096 ids per
millisecond per node. The REST API writes them as decimal strings, since JavaScript numbers lose
integers above 2**53.
"""

from __future__ import annotations

import time

_EPOCH_MS = 1_704_067_200_000
_NODE_BITS = 10
_SEQ_BITS = 12
_SEQ_MASK = (1 << _SEQ_BITS) - 1


class OrderIdGenerator:
    def __init__(self, node_id: int = 0) -> None:
        if not 0 <= node_id < 1 << _NODE_BITS:
            raise ValueError(f"node id {node_id} is outside 0..{(1 << _NODE_BITS) - 1}")
        self._node = node_id << _SEQ_BITS
        self._last_ms = 0
        self._seq = 0

    def next_id(self) -> int:
        now = time.time_ns() // 1_000_000 - _EPOCH_MS
        if now <= self._last_ms:
            # Same millisecond (or the clock stepped back): keep counting from the last one.
            now = self._last_ms
            self._seq = (self._seq + 1) & _SEQ_MASK
            if self._seq == 0:
                now += 1
        else:
            self._seq = 0
        self._last_ms = now
        return (now << (_NODE_BITS + _SEQ_BITS)) | self._node | self._seq


__all__ = ["OrderIdGenerator"]
