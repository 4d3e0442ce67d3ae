"""The deployment checks: the container, the Kubernetes manifests, the monitoring rules and
dashboard, and the Terraform code, each by the real tool for it.

Run through ``deploy/checks/run.sh`` (which installs the tools first and says where they are in
``OMS_TOOL_*``); ``run.sh all`` is what ``make deploy-check`` runs. Every check takes
``--root``, the repository to check, so the tests in tests/deploy can break a copy and see the
check fail.

    docker      hadolint, then checkov (framework dockerfile) on deploy/docker/Dockerfile
    k8s         kustomize build of every overlay; every built-in object validated (strict) against
                the Kubernetes JSON schemas of KUBERNETES_VERSION (kubernetes-validate); every
                custom resource decoded strictly into its operator's Go types (omscheck crds);
                checkov (framework kubernetes) on the rendered manifests
    monitoring  the PrometheusRule through Prometheus's rule-file parser (omscheck rules), the
                Grafana dashboard's queries through the PromQL parser (omscheck exprs)
    terraform   tofu fmt -check; every file parsed by python-hcl2 and the structural rules of
                terraform_structure.py; checkov (framework terraform)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import terraform_structure

KUBERNETES_VERSION = "1.34.0"  # the EKS version of terraform/envs/*/main.tf
OVERLAYS = ("dev", "prod")
HERE = Path(__file__).resolve().parent


class CheckError(Exception):
    pass


def tool(name: str) -> str:
    """A tool that run.sh installed: OMS_TOOL_<NAME> (the Go builds) or the tools venv's bin."""
    path = os.environ.get(f"OMS_TOOL_{name.upper().replace('-', '_')}") or str(
        Path(sys.executable).parent / name
    )
    if not Path(path).exists():
        raise CheckError(f"{name} is not installed: run deploy/checks/run.sh, which installs it")
    return path


def run(title: str, argv: Sequence[str], *, cwd: Path | None = None) -> str:
    """Run one tool; its output is shown on failure (and kept quiet on success)."""
    start = time.monotonic()
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(  # noqa: S603
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        raise CheckError(f"{title}: exit {proc.returncode}")
    print(f"  ok  {title} ({took:.1f} s)", flush=True)
    return proc.stdout


def checkov(title: str, framework: str, targets: Sequence[str], root: Path) -> None:
    argv = [
        tool("checkov"),
        "--framework", framework,
        "--quiet", "--compact",
        "--skip-download",
        "--config-file", str(HERE / "checkov.yaml"),
    ]  # fmt: skip
    for target in targets:
        argv += ["-f" if Path(target).is_file() else "-d", target]
    run(title, argv, cwd=root)


# ---- the checks ------------------------------------------------------------------------------


def run_all(steps: Sequence[Callable[[], None]]) -> None:
    """Run independent steps all, so one report names every problem; fail if any failed."""
    failures = []
    for step in steps:
        try:
            step()
        except CheckError as exc:
            print(f"  FAILED {exc}", file=sys.stderr, flush=True)
            failures.append(str(exc))
    if failures:
        raise CheckError("; ".join(failures))


def check_docker(root: Path, workdir: Path) -> None:
    dockerfile = root / "deploy/docker/Dockerfile"

    def dockerignore() -> None:
        if not (root / ".dockerignore").is_file():
            raise CheckError(".dockerignore is missing: the build context would hold everything")

    run_all(
        [
            lambda: run(
                "hadolint deploy/docker/Dockerfile",
                [tool("hadolint"), "--config", str(HERE / "hadolint.yaml"), str(dockerfile)],
            ),
            dockerignore,
            lambda: checkov("checkov dockerfile", "dockerfile", [str(dockerfile)], root),
        ]
    )


def render_overlays(root: Path, workdir: Path) -> list[Path]:
    rendered = []
    for overlay in OVERLAYS:
        out = run(
            f"kustomize build deploy/k8s/overlays/{overlay}",
            [tool("kustomize"), "build", str(root / "deploy/k8s/overlays" / overlay)],
        )
        path = workdir / "rendered" / overlay / "manifests.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out)
        rendered.append(path)
    return rendered


def check_k8s(root: Path, workdir: Path) -> None:
    rendered = render_overlays(root, workdir)
    for path in rendered:
        overlay = path.parent.name
        out = run(
            f"kubernetes-validate --strict ({KUBERNETES_VERSION}) {overlay}",
            [
                tool("kubernetes-validate"),
                "--strict",
                "--no-warn",
                f"--kubernetes-version={KUBERNETES_VERSION}",
                str(path),
            ],
        )
        if "passed" not in out:
            raise CheckError(f"kubernetes-validate validated nothing in {overlay}:\n{out}")
        run(f"omscheck crds {overlay}", [tool("omscheck"), "crds", str(path)])
    checkov(
        "checkov kubernetes (rendered overlays)",
        "kubernetes",
        [str(p.parent) for p in rendered],
        root,
    )


def check_monitoring(root: Path, workdir: Path) -> None:
    monitoring = root / "deploy/k8s/base/monitoring"
    run(
        "omscheck rules (PrometheusRule)",
        [tool("omscheck"), "rules", str(monitoring / "prometheusrule.yaml")],
    )
    dashboards = sorted(str(p) for p in (monitoring / "dashboards").glob("*.json"))
    if not dashboards:
        raise CheckError("no Grafana dashboard under deploy/k8s/base/monitoring/dashboards")
    run("omscheck exprs (Grafana dashboards)", [tool("omscheck"), "exprs", *dashboards])


def check_terraform(root: Path, workdir: Path) -> None:
    terraform = root / "terraform"

    def structure() -> None:
        problems = terraform_structure.check(terraform)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        if problems:
            raise CheckError(f"terraform structure: {len(problems)} problem(s)")
        print("  ok  terraform structure (hcl2: every file parsed, modules wired)", flush=True)

    run_all(
        [
            lambda: run(
                "tofu fmt -check",
                [tool("tofu"), "fmt", "-check", "-recursive", "-diff", str(terraform)],
            ),
            structure,
            lambda: checkov("checkov terraform", "terraform", [str(terraform)], root),
        ]
    )


CHECKS: dict[str, Callable[[Path, Path], None]] = {
    "docker": check_docker,
    "k8s": check_k8s,
    "monitoring": check_monitoring,
    "terraform": check_terraform,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checks", nargs="*", choices=[*CHECKS, "all"], default=["all"])
    parser.add_argument("--root", type=Path, default=HERE.parent.parent)
    args = parser.parse_args(argv)
    names = list(CHECKS) if "all" in args.checks else args.checks
    root = args.root.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="oms-deploy-check-"))
    failed = []
    try:
        for name in names:
            print(f"{name}:", flush=True)
            try:
                CHECKS[name](root, workdir)
            except CheckError as exc:
                print(f"  FAILED {name}: {exc}", file=sys.stderr, flush=True)
                failed.append(name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        print(f"deploy checks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"deploy checks passed: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
