"""A lean HTTP/1.1 client for load generation: keep-alive connections on raw asyncio protocols.

httpx costs tens of microseconds per request in Python, which on a 2-core machine shared with the
OMS caps the generator well below the rates under test. Here a request is a pre-built byte
string written to an idle connection, and the answer is parsed only as far as the status line,
``Content-Length`` and the body. One request is in flight per connection (no pipelining); when
every connection is busy the pool opens another, up to its maximum, then queues. Latency is
measured by the caller from its own schedule, so time spent queued here is counted, not hidden.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import cast

from oms.client import sign

Callback = Callable[[int, bytes], None]
"""Called with (HTTP status, body) when the answer is complete; status 0: the connection broke."""

_HEADER_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"


def signed_request(
    host: str,
    method: str,
    path: str,
    body: bytes,
    key: str,
    secret: bytes,
    timestamp: str,
) -> bytes:
    """The bytes of one request signed like ``oms.client`` signs it (same HMAC)."""
    signature = sign(secret, timestamp, method, path, body)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nX-OMS-KEY: {key}\r\n"
        f"X-OMS-TIMESTAMP: {timestamp}\r\nX-OMS-SIGNATURE: {signature}\r\n"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode() + body
    return (head + "\r\n").encode()


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection; answers one request at a time."""

    __slots__ = ("_buffer", "_callback", "_pool", "transport")

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._buffer = bytearray()
        self._callback: Callback | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._pool.connected(self)

    def send(self, request: bytes, callback: Callback) -> None:
        assert self.transport is not None
        self._callback = callback
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(_HEADER_END)
            if end < 0:
                return
            status = int(buffer[9:12])
            head = bytes(buffer[:end]).lower()
            at = head.find(_CONTENT_LENGTH)
            length = 0
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + len(_CONTENT_LENGTH) : stop if stop >= 0 else None])
            total = end + 4 + length
            if len(buffer) < total:
                return
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            callback = self._callback
            self._callback = None
            self._pool.release(self)
            if callback is not None:
                callback(status, body)

    def connection_lost(self, exc: Exception | None) -> None:
        callback = self._callback
        self._callback = None
        self._pool.discard(self)
        if callback is not None:
            callback(0, b"")


class ConnectionPool:
    """Keep-alive connections to one host; ``submit`` never blocks the caller.

    Args:
        host, port: the server (loopback).
        max_connections: the most connections open at once; beyond, requests queue.
    """

    def __init__(self, host: str, port: int, *, max_connections: int = 512) -> None:
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self._idle: list[HttpConnection] = []
        self._open = 0
        self._connecting = 0
        self._waiting: deque[tuple[bytes, Callback]] = deque()
        self.connect_errors = 0
        self.peak_open = 0
        self.peak_queued = 0

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def queued(self) -> int:
        return len(self._waiting)

    async def warm(self, count: int) -> None:
        """Open ``count`` idle connections before the run, so set-up is not measured."""
        await asyncio.gather(*(self._connect() for _ in range(count)))
        await asyncio.sleep(0.01)  # let every connection_made run

    def submit(self, request: bytes, callback: Callback) -> None:
        if self._idle:
            self._idle.pop().send(request, callback)
            return
        self._waiting.append((request, callback))
        self.peak_queued = max(self.peak_queued, len(self._waiting))
        if self._open + self._connecting < self.max_connections and self._connecting < len(
            self._waiting
        ):
            asyncio.get_running_loop().create_task(self._connect())

    def release(self, connection: HttpConnection) -> None:
        if self._waiting:
            request, callback = self._waiting.popleft()
            connection.send(request, callback)
        else:
            self._idle.append(connection)

    def discard(self, connection: HttpConnection) -> None:
        if connection in self._idle:
            self._idle.remove(connection)
        self._open -= 1

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        self._connecting += 1
        try:
            await loop.create_connection(lambda: HttpConnection(self), self.host, self.port)
        except OSError:
            self.connect_errors += 1
            if self._waiting and self._open == 0:
                _, callback = self._waiting.popleft()
                callback(0, b"")
            return
        finally:
            self._connecting -= 1

    def connected(self, connection: HttpConnection) -> None:
        """A new connection is ready (uvloop may report it after ``create_connection``)."""
        self._open += 1
        self.peak_open = max(self.peak_open, self._open)
        self.release(connection)

    def close(self) -> None:
        for connection in list(self._idle):
            if connection.transport is not None:
                connection.transport.close()
        self._idle.clear()
