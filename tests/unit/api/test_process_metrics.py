"""The API's /metrics also carries the process's own metrics (dead letters, bus lag), so an
embedded `oms up` is monitored through the one port it has."""

from __future__ import annotations

import httpx

from oms.deadletter import DEAD_LETTERS


async def test_metrics_include_the_process_registry(http: httpx.AsyncClient) -> None:
    DEAD_LETTERS.labels("test-service", "oms.commands").inc()
    text = (await http.get("/metrics")).text
    assert 'oms_dead_letters_total{service="test-service",topic="oms.commands"}' in text
    assert "oms_api_requests_total" in text  # the API's own registry is still there
