"""The ASGI application: ``create_app`` is the factory granian serves.

Given a ``Runtime`` (tests), the app uses it; otherwise its lifespan enters
``oms.runtime.create_runtime(settings)`` and leaves it on shutdown. Either way the WebSocket
gateway starts once the runtime is up and stops before it goes down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, WebSocketRoute

from api import openapi
from api.admission import Admission, open_admission_store
from api.auth import Authenticator
from api.context import ApiContext
from api.dashboard import Dashboard
from api.errors import ApiError, handle_exception
from api.gateway import Gateway
from api.headers import (
    CORS_EXPOSED,
    CORS_HEADERS,
    CORS_METHODS,
    SecurityHeadersMiddleware,
    cors_origins,
)
from api.instruments import Catalog
from api.metrics import ApiMetrics, MetricsMiddleware
from api.routes import ENDPOINTS
from api.routing import starlette_route
from api.stream import stream_endpoint
from oms.bus import BusUnavailableError
from oms.client import STREAM_PATH
from oms.config import Settings
from oms.idempotency import IdempotencyUnavailableError
from oms.ids import OrderIdGenerator
from oms.runtime import Runtime
from oms.store import StoreUnavailableError


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    *,
    heartbeat_s: float | None = None,
    ws_queue_limit: int | None = None,
) -> Starlette:
    """Build the API.

    Args:
        settings: defaults to the runtime's, else read from the environment.
        runtime: an OMS already running (tests); None enters ``create_runtime`` at startup.
        heartbeat_s: seconds between WebSocket heartbeats (default: the settings').
        ws_queue_limit: per-connection buffer of private messages and book diffs (default:
            the settings').
    """
    if settings is None:
        settings = runtime.settings if runtime is not None else Settings()
    heartbeat_s = heartbeat_s if heartbeat_s is not None else settings.ws_heartbeat_s
    ws_queue_limit = ws_queue_limit if ws_queue_limit is not None else settings.ws_queue_limit
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if runtime is not None:
                running = runtime
            else:
                from oms.runtime import create_runtime  # the whole OMS; only when serving

                running = await stack.enter_async_context(create_runtime(settings))
            catalog = Catalog(running.registry)
            gateway = Gateway(
                running, catalog, metrics, heartbeat_s=heartbeat_s, queue_limit=ws_queue_limit
            )
            await gateway.start()
            stack.push_async_callback(gateway.stop)
            admission_store = open_admission_store(settings)
            stack.push_async_callback(admission_store.close)
            auth = Authenticator(running.accounts, settings.signature_window_s)
            app.state.api = ApiContext(
                runtime=running,
                settings=settings,
                catalog=catalog,
                auth=auth,
                ids=OrderIdGenerator(settings.node_id),
                gateway=gateway,
                metrics=metrics,
                accounts={a.name: a for a in running.accounts},
                admission=Admission(admission_store, settings, auth.window_ms),
            )
            try:
                yield
            finally:
                del app.state.api

    routes: list[BaseRoute] = [starlette_route(e) for e in ENDPOINTS]
    routes.append(WebSocketRoute(STREAM_PATH, stream_endpoint))
    middleware = [
        Middleware(MetricsMiddleware, metrics=metrics),
        Middleware(SecurityHeadersMiddleware),
    ]
    if origins := cors_origins(settings.cors_origins):
        # Without configured origins there is no CORS at all: browsers keep to same-origin.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSED,
                max_age=600,
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            ApiError: handle_exception,
            HTTPException: handle_exception,
            BusUnavailableError: handle_exception,
            StoreUnavailableError: handle_exception,
            IdempotencyUnavailableError: handle_exception,
            Exception: handle_exception,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.router.default = Dashboard(settings.dashboard_dir)
    app.state.metrics = metrics
    app.state.openapi = openapi.render()
    return app


__all__ = ["create_app"]
