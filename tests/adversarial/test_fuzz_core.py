"""The core's fuzz target: the committed corpus replays on every run, then atheris searches
for ``OMS_FUZZ_SECONDS`` (default 30) from it. A crash fails the test with the input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.fuzz_core import one_input

CORPUS = Path(__file__).parent / "corpus" / "core"
SECONDS = int(os.environ.get("OMS_FUZZ_SECONDS", "30"))


def test_every_corpus_case_keeps_the_properties() -> None:
    cases = sorted(CORPUS.iterdir())
    assert len(cases) > 50
    for case in cases:
        one_input(case.read_bytes())


@pytest.mark.timeout(SECONDS + 60)
def test_fuzzing_for_a_bounded_time_finds_no_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    work = tmp_path / "corpus"
    shutil.copytree(CORPUS, work)
    run = subprocess.run(  # noqa: S603 (our interpreter, our module, fixed flags)
        [sys.executable, "-m", "tests.adversarial.fuzz_core", f"-max_total_time={SECONDS}",
         "-max_len=4096", "-timeout=10", f"-artifact_prefix={tmp_path}/", str(work)],
        capture_output=True,
        text=True,
        timeout=SECONDS + 50,
        check=False,
    )  # fmt: skip
    crashes = [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-"))]
    assert not crashes, (crashes, run.stderr[-4000:])
    assert run.returncode == 0, run.stderr[-4000:]
