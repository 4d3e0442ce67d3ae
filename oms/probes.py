"""Health, readiness and metrics for the services that have no API of their own.

`oms serve risk|processor|marketdata` listens on ``OMS_PORT`` with these three routes only, so
Kubernetes probes and Prometheus treat every service alike.
"""

from __future__ import annotations

from collections.abc import Callable

import prometheus_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_probe_app(ready: Callable[[], bool], service: str) -> Starlette:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": service})

    async def readyz(request: Request) -> Response:
        if ready():
            return JSONResponse({"status": "ready", "service": service})
        return JSONResponse(
            {"code": "NOT_READY", "message": f"{service} is starting or stopping", "field": None},
            status_code=503,
        )

    async def metrics(request: Request) -> Response:
        return Response(
            prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST
        )

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ]
    )


__all__ = ["create_probe_app"]
