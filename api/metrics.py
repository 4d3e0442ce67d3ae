"""Prometheus metrics of the API, in a registry of their own (one per app, so tests can build
many apps), and the ASGI middleware that times every request by its route template."""

from __future__ import annotations

import time

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "oms_api_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "oms_api_request_seconds",
            "Time from request to the last byte of the answer, by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.orders = Counter(
            "oms_api_orders_submitted",
            "Orders made durable on the bus, by type.",
            ["type"],
            registry=self.registry,
        )
        self.rejects = Counter(
            "oms_api_rejects",
            "Requests answered with an error, and RESULT orders rejected by risk, by code.",
            ["code"],
            registry=self.registry,
        )
        self.ws_connections = Gauge(
            "oms_api_ws_connections", "Open WebSocket connections.", registry=self.registry
        )
        self.ws_dropped = Counter(
            "oms_api_ws_disconnects_slow",
            "WebSocket clients disconnected because their private queue overflowed.",
            registry=self.registry,
        )

    def count_error(self, code: str) -> None:
        self.rejects.labels(code).inc()

    def render(self) -> bytes:
        """The API's own metrics, then the process's (bus lag, dead letters, runtime)."""
        return generate_latest(self.registry) + generate_latest(REGISTRY)


class MetricsMiddleware:
    """Counts and times HTTP requests; the route label is the template, never the raw path."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(template, scope["method"], str(status)).inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - start)


__all__ = ["ApiMetrics", "MetricsMiddleware"]
