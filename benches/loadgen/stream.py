"""The generator's WebSocket taps: one authenticated stream per sampled account.

Each message is handed over with the monotonic time it was read, so the generator can work out
submit → risk decision (the first order update past PENDING_NEW) and submit → first fill (the
first execution) against each order's scheduled send time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import orjson
from websockets.asyncio.client import ClientConnection, connect

from benches.loadgen.workload import Trader
from oms.client import STREAM_PATH, now_ms, sign

OnMessage = Callable[[dict[str, object], float], None]


class StreamTaps:
    """Streams of ``orders`` and ``executions`` for some accounts, read until closed."""

    def __init__(self, url: str, on_order: OnMessage, on_execution: OnMessage) -> None:
        self._url = "ws" + url.rstrip("/").removeprefix("http") + STREAM_PATH
        self._on_order = on_order
        self._on_execution = on_execution
        self._sockets: list[ClientConnection] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.messages = 0
        self.disconnects = 0

    async def open(self, traders: list[Trader]) -> None:
        """Connect, authenticate and subscribe every trader's stream before the run starts."""
        self._sockets = list(await asyncio.gather(*(self._connect(t) for t in traders)))
        self._tasks = [asyncio.create_task(self._read(ws)) for ws in self._sockets]

    async def _connect(self, trader: Trader) -> ClientConnection:
        ws = await connect(self._url, max_size=2**22, compression=None, max_queue=None)
        timestamp = now_ms()
        auth = {
            "op": "auth",
            "key": trader.key,
            "timestamp": timestamp,
            "signature": sign(trader.secret, timestamp, "GET", STREAM_PATH, b""),
        }
        await ws.send(orjson.dumps(auth).decode())
        if orjson.loads(await ws.recv()).get("type") != "authenticated":
            raise RuntimeError(f"stream authentication failed for {trader.name}")
        subscribe = {"op": "subscribe", "channels": ["orders", "executions"]}
        await ws.send(orjson.dumps(subscribe).decode())
        while orjson.loads(await ws.recv()).get("type") != "subscribed":
            pass
        return ws

    async def _read(self, ws: ClientConnection) -> None:
        on_order = self._on_order
        on_execution = self._on_execution
        clock = time.perf_counter
        try:
            async for raw in ws:
                now = clock()
                self.messages += 1
                message = orjson.loads(raw)
                kind = message.get("type")
                if kind == "order":
                    on_order(message["data"], now)
                elif kind == "execution":
                    on_execution(message["data"], now)
        except Exception:  # a broken stream is counted; the run goes on
            self.disconnects += 1

    async def close(self) -> None:
        for ws in self._sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
