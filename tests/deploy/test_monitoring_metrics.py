"""The alert rules and the Grafana dashboard query only metrics the services really export: the
metric names their PromQL selects (parsed by Prometheus's own parser, `omscheck metrics`) are
checked against the /metrics of the four services of a running distributed OMS, on the local
Kafka, Redis and FerretDB (skipped without them, a failure under CI=true)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import start_cluster
from tests.e2e.server import OmsCluster

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy/k8s/base/monitoring"
# Series that Prometheus and kube-state-metrics make, not the services.
FROM_THE_PLATFORM = {"up", "kube_pod_status_ready"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OmsCluster]:
    server = start_cluster(tmp_path_factory.mktemp("metrics"))
    yield server
    assert server.stop() == 0, server.log()


def exported_names(text: str) -> set[str]:
    """Every series name a /metrics page can hold, samples or not (a labelled metric with no
    child yet shows only its HELP and TYPE)."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def queried_names() -> set[str]:
    env = subprocess.run(  # noqa: S603 (our own script)
        [str(ROOT / "deploy/checks/run.sh"), "install"],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    omscheck = env.stdout.split()[-1]
    out = subprocess.run(  # noqa: S603 (the tool run.sh built)
        [omscheck, "metrics", str(MONITORING / "prometheusrule.yaml"),
         *map(str, sorted((MONITORING / "dashboards").glob("*.json")))],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(out.stdout.split())


def test_rules_and_dashboard_query_only_exported_metrics(cluster: OmsCluster) -> None:
    exported: set[str] = set()
    for name, port in cluster.ports.items():
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert response.status_code == 200, name
        exported |= exported_names(response.text)
    queried = queried_names()
    assert "oms_bus_consumer_lag" in queried  # the extraction works: a name we know is used
    missing = sorted(queried - exported - FROM_THE_PLATFORM)
    assert not missing, f"queried but exported by no service: {missing}"
