"""Sampling the OMS processes with py-spy while a step runs, and naming their top costs.

py-spy is not a project dependency: pass its path (``--py-spy /tmp/pyspy/bin/py-spy``). Each
process is recorded in py-spy's ``raw`` format (collapsed stacks, one line per distinct stack
with its sample count); the summary ranks functions by self time (the leaf frame) and the
project's own functions (``oms/``, ``api/``) by total time (anywhere on the stack). A leaf in
the event loop's ``run`` is time in native code under it (uvloop, granian, the driver's C parts)
and, since recording is ``--nonblocking``, can include waiting in the poller.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

_PROJECT_DIRS = ("oms/", "api/")
_PROJECT_SUFFIXES = ("(oms/__main__.py)",)
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def start_recording(
    py_spy: str, pids: dict[str, int], seconds: float, out_dir: Path, tag: str
) -> dict[str, tuple[subprocess.Popen[bytes], Path]]:
    """Start one ``py-spy record`` per process; returns the recorders and their output files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recorders = {}
    for role, pid in pids.items():
        out = out_dir / f"profile-{tag}-{role}.txt"
        proc = subprocess.Popen(  # noqa: S603 (a binary the user named, fixed arguments)
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, int(seconds))),
                "--rate",
                "100",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        recorders[role] = (proc, out)
    return recorders


def _frame_name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['func']} ({file})"


def summarize(path: Path, top: int = 8) -> dict[str, Any]:
    """Top functions by self and by total samples in one raw py-spy recording."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    project: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
            if name.endswith(_PROJECT_SUFFIXES) or any(f"({d}" in name for d in _PROJECT_DIRS):
                project[name] += count

    def ranked(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "samples": n, "pct": round(100 * n / samples, 1)}
            for name, n in counter.most_common(top)
        ]

    return {
        "samples": samples,
        "self": ranked(own),
        "total": ranked(total),
        "project_total": ranked(project),
    }


def finish_recording(
    recorders: dict[str, tuple[subprocess.Popen[bytes], Path]], timeout: float
) -> dict[str, Any]:
    """Wait for the recorders and summarize what each captured."""
    profiles: dict[str, Any] = {}
    for role, (proc, out) in recorders.items():
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        if out.exists():
            profiles[role] = {"file": str(out), **summarize(out)}
        else:
            profiles[role] = {"error": stderr.decode(errors="replace")[-500:]}
    return profiles
