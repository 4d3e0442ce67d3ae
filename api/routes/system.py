"""The process itself: liveness, readiness, metrics and the API's own documentation."""

from __future__ import annotations

from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import HTMLResponse, Response

from api.docs_page import DOCS_HTML
from api.errors import ApiError
from api.routing import JSON, Call, Endpoint, json_response
from oms.client import ErrorBody, Health


async def healthz(call: Call) -> Response:
    return json_response({"status": "ok"})


async def readyz(call: Call) -> Response:
    if not call.api.runtime.ready():
        raise ApiError("NOT_READY", "the OMS is starting or stopping")
    return json_response({"status": "ready"})


async def metrics(call: Call) -> Response:
    return Response(call.request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def openapi(call: Call) -> Response:
    return Response(call.request.app.state.openapi, media_type=JSON)


async def docs(call: Call) -> Response:
    return HTMLResponse(DOCS_HTML)


ENDPOINTS: Final = (
    Endpoint(
        "GET", "/healthz", healthz, "The process is alive", "system", "public", None,
        {200: Health}, rate_limited=False,
    ),
    Endpoint(
        "GET", "/readyz", readyz, "Every service is up and serving", "system", "public", None,
        {200: Health, 503: ErrorBody}, rate_limited=False,
    ),
    Endpoint(
        "GET", "/metrics", metrics, "Prometheus metrics", "system", "public", None, {200: None},
        media_type="text/plain", rate_limited=False,
    ),
    Endpoint(
        "GET", "/openapi.json", openapi, "This document", "system", "public", None, {200: None},
    ),
    Endpoint(
        "GET", "/docs", docs, "Interactive API documentation", "system", "public", None,
        {200: None}, media_type="text/html",
    ),
)  # fmt: skip

__all__ = ["ENDPOINTS"]
