"""No secret in git: detect-secrets over every tracked file finds nothing that is not in the
audited ``.secrets.baseline`` (where each finding is marked ``is_secret: false``: test
fixtures, setting names, public values; see docs/SECURITY.md).

A scan compared with the baseline by (file, hashed value, type), not ``detect-secrets-hook``:
the hook rewrites the baseline whenever a line number moves, which would fail every run after
an unrelated edit. To accept a new false positive, audit it and re-create the baseline:
``detect-secrets scan --baseline .secrets.baseline $(git ls-files)``, then set
``is_secret: false`` on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from detect_secrets import SecretsCollection
from detect_secrets.core import baseline
from detect_secrets.settings import transient_settings

ROOT = Path(__file__).parents[2]
BASELINE = ROOT / ".secrets.baseline"


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 (git from PATH, as every developer runs it)
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def new_secrets(files: list[str]) -> list[tuple[str, int | None, str]]:
    """Findings in ``files`` (relative to the root) that the baseline does not hold (by file,
    hashed value and type: line numbers may move)."""
    recorded = baseline.load_from_file(str(BASELINE))
    with transient_settings(recorded):  # the baseline's plugins and file filters
        known = baseline.load(recorded, str(BASELINE))
        found = SecretsCollection(root=str(ROOT))
        found.scan_files(*files)
    audited = {(name, secret.secret_hash, secret.type) for name, secret in known}
    return sorted(
        (name, secret.line_number, secret.type)
        for name, secret in found
        if (name, secret.secret_hash, secret.type) not in audited and name != BASELINE.name
    )


def test_every_tracked_file_is_free_of_unaudited_secrets() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert new_secrets(tracked_files()) == []


def test_a_new_secret_would_be_found(tmp_path: Path) -> None:
    leak = tmp_path / "settings.py"
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8aG4kTr9"  # pragma: allowlist secret (a probe)
    leak.write_text(f'aws_secret_access_key = "{key}"\n')
    assert [finding[2] for finding in new_secrets([str(leak)])] != []
