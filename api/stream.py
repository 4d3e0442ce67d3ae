"""``WS /v1/stream``: the protocol of one WebSocket connection (auth, subscribe, resync).

Browsers cannot set headers, so a connection authenticates with its first message
``{"op": "auth", "key", "timestamp", "signature"}`` (or the same three as query parameters),
where ``signature = hex HMAC-SHA256(secret, f"{timestamp}GET/v1/stream")``. Then
``{"op": "subscribe" | "unsubscribe", "channels": [...]}``, ``{"op": "resync", "channel":
"book:X"}`` and ``{"op": "ping"}``. Every server message is ``{"type", "channel", "data"}``.
Fan-out, buffering and heartbeats live in ``api.gateway``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from api import render
from api.auth import Principal
from api.context import ApiContext
from api.errors import ApiError, ErrorCode
from api.gateway import (
    CLOSE_AUTH_FAILED,
    CLOSE_TOO_MANY,
    MARKET_CHANNELS,
    PRIVATE_CHANNELS,
    Session,
    message,
)
from oms.client import STREAM_PATH

AUTH_TIMEOUT_S = 10.0
_TRY_AGAIN_LATER = 1013


def _error(code: ErrorCode, text: str, field: str | None = None) -> str:
    return orjson.dumps(
        {"type": "error", "channel": None, "data": {"code": code, "message": text, "field": field}}
    ).decode()


async def stream_endpoint(ws: WebSocket) -> None:
    api: ApiContext | None = getattr(ws.app.state, "api", None)
    await ws.accept()
    if api is None:
        await ws.close(_TRY_AGAIN_LATER, "not ready")
        return
    principal = await _authenticate(ws, api)
    if principal is None:
        return
    most = api.settings.ws_max_connections_per_key
    if api.gateway.connections(principal.account) >= most:  # no await until add: no race
        await _refuse(
            ws, ApiError("TOO_MANY_CONNECTIONS", f"at most {most} connections per API key")
        )
        return
    session = Session(
        principal.account,
        ws.send_text,
        ws.close,
        limit=api.gateway.queue_limit,
        heartbeat_s=api.gateway.heartbeat_s,
    )
    api.gateway.add(session)
    await ws.send_text(message("authenticated", None, {"account": principal.account}))
    writer = asyncio.create_task(session.run_writer(api.gateway.book_snapshot))
    reader = asyncio.create_task(_read(ws, api, session))
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        api.gateway.remove(session)
        for task in (writer, reader):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task


async def _authenticate(ws: WebSocket, api: ApiContext) -> Principal | None:
    """The caller, from the query string or the first message; on failure, close with 4001."""
    credentials: dict[str, Any] = dict(ws.query_params)
    if "key" not in credentials:
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_S):
                raw = await ws.receive_text()
            if len(raw) > api.settings.ws_max_message_bytes:
                await _refuse(ws, ApiError("BODY_TOO_LARGE", "the auth message is too large"))
                return None
            credentials = orjson.loads(raw)
        except TimeoutError:
            await ws.close(CLOSE_AUTH_FAILED, "authenticate within 10 s")
            return None
        except (orjson.JSONDecodeError, KeyError, WebSocketDisconnect):
            credentials = {}
        if not isinstance(credentials, dict) or credentials.get("op") != "auth":
            await _refuse(ws, ApiError("AUTH_REQUIRED", 'the first message must be {"op": "auth"}'))
            return None
    fields = [credentials.get(name) for name in ("key", "timestamp", "signature")]
    key, timestamp, signature = (v if isinstance(v, str) else "" for v in fields)
    try:
        principal = api.auth.verify(key, timestamp, signature, "GET", STREAM_PATH.encode(), b"")
    except ApiError as error:
        await _refuse(ws, await api.admission.refused_login(ws.scope, error))
        return None
    try:
        # The same signature twice is a replayed login (a URL with credentials in a log).
        await api.admission.signed(principal, timestamp, signature, changes=True)
    except ApiError as error:
        await _refuse(ws, error)
        return None
    return principal


async def _refuse(ws: WebSocket, error: ApiError) -> None:
    code = CLOSE_TOO_MANY if error.status == 429 else CLOSE_AUTH_FAILED
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await ws.send_text(_error(error.code, error.message, error.field))
        await ws.close(code, error.code)


async def _read(ws: WebSocket, api: ApiContext, session: Session) -> None:
    """Handle client operations until the client goes away."""
    limit = api.settings.ws_max_message_bytes
    while True:
        event = await ws.receive()
        if event["type"] == "websocket.disconnect":
            return
        raw = event.get("text") or event.get("bytes") or b""
        if len(raw) > limit:
            session.send_soon(_error("BODY_TOO_LARGE", f"messages are limited to {limit} bytes"))
            continue
        try:
            op = orjson.loads(raw)
        except orjson.JSONDecodeError:
            session.send_soon(_error("MALFORMED_JSON", "the message is not valid JSON"))
            continue
        if not isinstance(op, dict):
            session.send_soon(_error("INVALID_FIELD", "a message is a JSON object", "op"))
            continue
        await _apply(op, api, session)


async def _apply(op: dict[str, Any], api: ApiContext, session: Session) -> None:
    name = op.get("op")
    if name in ("subscribe", "unsubscribe"):
        channels = op.get("channels")
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            session.send_soon(_error("INVALID_FIELD", "channels is a list of strings", "channels"))
            return
        try:
            for channel in channels:
                _check_channel(channel, api)
        except ApiError as error:
            session.send_soon(_error(error.code, error.message, error.field))
            return
        gateway = api.gateway
        most = api.settings.ws_max_subscriptions
        if name == "subscribe" and len(session.channels | set(channels)) > most:
            text = f"at most {most} channels per connection"
            session.send_soon(_error("TOO_MANY_SUBSCRIPTIONS", text, "channels"))
            return
        if name == "subscribe":
            for channel in channels:
                gateway.subscribe(session, channel)
            session.send_soon(message("subscribed", None, {"channels": sorted(session.channels)}))
            await _send_account_state(channels, api, session)
        else:
            for channel in channels:
                gateway.unsubscribe(session, channel)
            session.send_soon(message("unsubscribed", None, {"channels": sorted(session.channels)}))
    elif name == "resync":
        channel = op.get("channel")
        if not isinstance(channel, str) or not channel.startswith("book:"):
            session.send_soon(_error("INVALID_FIELD", "resync takes a book channel", "channel"))
        elif channel not in session.channels:
            session.send_soon(_error("INVALID_FIELD", f"not subscribed to {channel}", "channel"))
        else:
            session.follow_book(channel.removeprefix("book:"))
    elif name == "ping":
        session.send_soon(message("pong", None, None))
    else:
        session.send_soon(
            _error("INVALID_FIELD", "op is one of subscribe, unsubscribe, resync, ping", "op")
        )


def _check_channel(channel: str, api: ApiContext) -> None:
    if channel in PRIVATE_CHANNELS:
        return
    kind, _, symbol = channel.partition(":")
    if kind not in MARKET_CHANNELS or not symbol:
        raise ApiError("INVALID_FIELD", f"unknown channel {channel[:40]!r}", "channels")
    api.catalog.get(symbol, "channels")


async def _send_account_state(channels: list[str], api: ApiContext, session: Session) -> None:
    """A new ``account`` or ``positions`` subscriber starts from the latest snapshot."""
    wanted = {"account", "positions"} & set(channels)
    if not wanted:
        return
    snapshot = await api.runtime.store.get_snapshot(session.account)
    if snapshot is None:
        return
    if "account" in wanted:
        session.send_soon(message("account", "account", render.account(snapshot)))
    if "positions" in wanted:
        positions = {"positions": [render.position(p) for p in snapshot.positions]}
        session.send_soon(message("positions", "positions", positions))


__all__ = ["AUTH_TIMEOUT_S", "stream_endpoint"]
