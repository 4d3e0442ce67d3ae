"""The deployment checks fail on real mistakes: each test breaks one thing in a copy of deploy/
and terraform/ and runs `deploy/checks/run.sh <check> --root <copy>`, which must fail, naming
the mistake. The untouched copy passes (so a failure below is the mistake's, not the copy's).

run.sh installs its tools on first use (minutes, once per machine; `make deploy-check` runs
first in `make test`), then each run takes seconds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "deploy/checks/run.sh"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("deploy/docker", "deploy/k8s", "terraform"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    return tmp_path


def run_check(root: Path, check: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own script)
        [str(RUN), check, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=900,  # a first run installs the tools
        check=False,
    )


def replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}: update this test with the file"
    path.write_text(text.replace(old, new, count))


def test_untouched_copy_passes_every_check(copy: Path) -> None:
    result = run_check(copy, "all")
    assert result.returncode == 0, result.stdout + result.stderr


# (check, file, text, replacement, what the failing output must name)
MISTAKES = {
    "apt package without a version pin": (
        "docker", "deploy/docker/Dockerfile",
        "python3=3.11.* python3-venv=3.11.*", "python3 python3-venv", "DL3008",
    ),
    "image runs as root": (
        "docker", "deploy/docker/Dockerfile", "USER 10001:10001\n", "", "CKV_DOCKER_3",
    ),
    "port given as a string": (
        "k8s", "deploy/k8s/base/processor.yaml",
        "containerPort: 8080", 'containerPort: "8080"', "kubernetes-validate",
    ),
    "misspelt field": (
        "k8s", "deploy/k8s/base/risk.yaml",
        "imagePullPolicy: Always", "imagePullPolicyy: Always", "kubernetes-validate",
    ),
    "writable root filesystem": (
        "k8s", "deploy/k8s/base/marketdata.yaml",
        "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "CKV_K8S_22",
    ),
    "container may escalate privileges": (
        "k8s", "deploy/k8s/base/api.yaml",
        "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "CKV_K8S_20",
    ),
    "overlay patches a resource that does not exist": (
        "k8s", "deploy/k8s/overlays/prod/sizes.yaml", "  name: api\n", "  name: apii\n",
        "kustomize build deploy/k8s/overlays/prod",
    ),
    "misspelt ServiceMonitor field": (
        "k8s", "deploy/k8s/base/monitoring/servicemonitor.yaml",
        "scrapeTimeout: 5s", "scrapeTimout: 5s", 'unknown field "scrapeTimout"',
    ),
    "misspelt ExternalSecret field": (
        "k8s", "deploy/k8s/base/external-secrets.yaml",
        "refreshInterval: 1h", "refreshIntervall: 1h", 'unknown field "refreshIntervall"',
    ),
    "alert expression does not parse": (
        "monitoring", "deploy/k8s/base/monitoring/prometheusrule.yaml",
        "> 0.2\n", "> > 0.2\n", "OmsOrderLatencyP99High",
    ),
    "alert with a misspelt key": (
        "monitoring", "deploy/k8s/base/monitoring/prometheusrule.yaml",
        "          for: 5m\n", "          fro: 5m\n", "fro",
    ),
    "dashboard query does not parse": (
        "monitoring", "deploy/k8s/base/monitoring/dashboards/oms.json",
        "sum by (status) (oms:api_requests:rate1m)", "sum by (status (oms:api_requests:rate1m)",
        "parse error",
    ),
    "unformatted Terraform": (
        "terraform", "terraform/modules/redis/main.tf",
        "  engine                     = \"redis\"", "  engine = \"redis\"", "tofu fmt",
    ),
    "module call passes an undeclared variable": (
        "terraform", "terraform/envs/prod/main.tf",
        "  replicas                  = 1\n",
        "  replicas                  = 1\n  replica_count             = 2\n",
        "passes replica_count, which redis does not declare",
    ),
    "module call misses a required variable": (
        "terraform", "terraform/envs/dev/main.tf",
        "  connection_secret_name    = \"${local.secrets_prefix}msk\"\n", "",
        "does not pass required variable connection_secret_name",
    ),
    "reference to an output that does not exist": (
        "terraform", "terraform/envs/prod/outputs.tf",
        "module.vpc.vpc_cidr", "module.vpc.cidr", "module.vpc.cidr: vpc has no such output",
    ),
    "variable without a description": (
        "terraform", "terraform/modules/kms/variables.tf",
        '  description = "Tags for every resource."\n', "",
        "variable tags has no description",
    ),
    "public S3 bucket": (
        "terraform", "terraform/modules/s3/main.tf",
        "  block_public_acls       = true", "  block_public_acls       = false", "CKV_AWS_53",
    ),
    "Redis without TLS in transit": (
        "terraform", "terraform/modules/redis/main.tf",
        "  transit_encryption_enabled = true", "  transit_encryption_enabled = false",
        "CKV_AWS_30",
    ),
}  # fmt: skip


@pytest.mark.parametrize("mistake", MISTAKES)
def test_check_fails_on(mistake: str, copy: Path) -> None:
    check, relpath, old, new, expected = MISTAKES[mistake]
    replace(copy / relpath, old, new)
    result = run_check(copy, check)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the {check} check passed despite: {mistake}\n{output}"
    assert expected in output, output
