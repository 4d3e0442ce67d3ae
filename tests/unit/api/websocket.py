"""A WebSocket client speaking ASGI directly to the app, in the test's own event loop."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Message


class ClosedError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class WebSocketSession:
    def __init__(self, app: ASGIApp, url: str) -> None:
        parts = urlsplit(url)
        self._scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "server": ("oms", 80),
            "client": ("test", 1),
            "root_path": "",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "headers": [],
            "subprotocols": [],
        }
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> WebSocketSession:
        await self._to_app.put({"type": "websocket.connect"})
        self._task = asyncio.create_task(
            self._app(self._scope, self._to_app.get, self._from_app.put)
        )
        accepted = await asyncio.wait_for(self._from_app.get(), 2)
        assert accepted["type"] == "websocket.accept", accepted
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        assert self._task is not None
        await asyncio.wait_for(self._task, 2)

    async def send(self, data: Any) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": orjson.dumps(data).decode()})

    async def receive(self, timeout: float = 2.0) -> dict[str, Any]:
        """The next message the server sent; ``ClosedError`` if it closed the socket."""
        message = await asyncio.wait_for(self._from_app.get(), timeout)
        if message["type"] == "websocket.close":
            raise ClosedError(message.get("code", 1000), message.get("reason", ""))
        result: dict[str, Any] = orjson.loads(message["text"])
        return result

    async def receive_type(self, kind: str, timeout: float = 2.0) -> dict[str, Any]:
        """The next message of type ``kind`` within ``timeout``, skipping any other."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.receive(timeout)
                if message["type"] == kind:
                    return message
