"""The published contract, the process endpoints and the fallbacks around the API routes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from api import openapi
from api.app import create_app
from api.errors import ERRORS
from api.routes import ENDPOINTS
from oms.runtime import Runtime

COMMITTED = Path(__file__).parents[3] / "api" / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    assert COMMITTED.read_bytes() == openapi.render(), (
        "api/openapi.json is stale: run `python -m api.openapi > api/openapi.json`"
    )


def test_openapi_lists_every_endpoint_and_error_code() -> None:
    document = openapi.document()
    operations = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert operations == {(e.method, e.path) for e in ENDPOINTS}
    assert all(f"`{code}`" in document["info"]["description"] for code in ERRORS)


async def test_openapi_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.content == COMMITTED.read_bytes()


async def test_docs_page_loads_the_spec(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")
    assert "/openapi.json" in response.text


async def test_health_and_readiness(http: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).json() == {"status": "ready"}
    object.__setattr__(runtime, "ready", lambda: False)
    not_ready = await http.get("/readyz")
    assert (not_ready.status_code, not_ready.json()["code"]) == (503, "NOT_READY")


async def test_metrics_count_requests_and_errors(http: httpx.AsyncClient) -> None:
    await http.get("/v1/markets")
    await http.get("/v1/markets/NOPE/book")
    text = (await http.get("/metrics")).text
    assert 'oms_api_requests_total{method="GET",route="/v1/markets",status="200"}' in text
    assert 'oms_api_rejects_total{code="UNKNOWN_SYMBOL"} 1.0' in text
    assert "oms_api_request_seconds_bucket" in text
    assert "oms_api_ws_connections 0.0" in text


async def test_index_without_a_dashboard_links_the_docs(http: httpx.AsyncClient) -> None:
    response = await http.get("/")
    assert (response.status_code, 'href="/docs"' in response.text) == (200, True)


async def test_dashboard_files_are_served_behind_the_api(runtime: Runtime, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<div id=root></div>")
    (dist / "assets" / "app.js").write_text("run()")
    app = create_app(runtime.settings.model_copy(update={"dashboard_dir": dist}), runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
            assert (await http.get("/assets/app.js")).text == "run()"
            assert (await http.get("/orders/history")).text == "<div id=root></div>"
            assert (await http.get("/assets/missing.js")).json()["code"] == "NOT_FOUND"
            assert (await http.get("/v1/markets")).status_code == 200


async def test_requests_before_startup_are_not_ready(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
        response = await http.get("/v1/markets")
    assert (response.status_code, response.json()["code"]) == (503, "NOT_READY")


@pytest.fixture
def app_without_runtime() -> Starlette:
    return create_app()


def test_app_builds_without_a_runtime(app_without_runtime: Starlette) -> None:
    assert app_without_runtime.state.openapi == COMMITTED.read_bytes()
