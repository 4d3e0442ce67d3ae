"""The dashboard's static files at ``/``, behind every API route (the router's fallback).

Paths without a file extension that match no file get ``index.html``, so the dashboard's
client-side routes survive a reload. Without a built dashboard, ``/`` is a page linking the
docs. API paths (``/v1/...``) and other methods than GET and HEAD are never static: 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from api.docs_page import INDEX_HTML

DEFAULT_DASHBOARD = Path("frontend/dist")


class Dashboard:
    def __init__(self, directory: Path | None) -> None:
        if directory is None and DEFAULT_DASHBOARD.is_dir():
            directory = DEFAULT_DASHBOARD
        self.directory = directory if directory is not None and directory.is_dir() else None
        self._files = StaticFiles(directory=self.directory) if self.directory else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(404)
        if path.startswith("/v1/") or path == "/v1":
            raise HTTPException(404)
        if self._files is None or self.directory is None:
            if path != "/":
                raise HTTPException(404)
            await HTMLResponse(INDEX_HTML)(scope, receive, send)
            return
        try:
            await self._files(scope, receive, send)
        except HTTPException as exc:
            index = self.directory / "index.html"
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1] or not index.is_file():
                raise
            await FileResponse(index)(scope, receive, send)


__all__ = ["DEFAULT_DASHBOARD", "Dashboard"]
