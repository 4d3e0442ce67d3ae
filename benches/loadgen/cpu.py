"""Where the machine's CPU goes during a measured window, per process group.

On a machine where the generator, the OMS and its servers share two cores, the question "why
does it not go faster" is answered by CPU time per order: if the processes together spend
``x`` ms of CPU per order, no tuning of queues or batches gets past ``cores * 1000 / x``
orders/s. The figures come from ``/proc`` (Linux only): each process's user + system time,
summed over its threads, and the machine's idle time from ``/proc/stat``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
_SERVERS = {"postgres": "postgres", "ferretdb": "ferretdb", "redis-server": "redis"}


@dataclass(frozen=True, slots=True)
class Sample:
    """CPU seconds used so far, per process group, and the machine's busy and idle seconds."""

    by_group: dict[str, float]
    busy_s: float
    idle_s: float


def _group(pid: int, comm: str, named: dict[int, str]) -> str:
    if pid in named:
        return named[pid]
    if comm in _SERVERS:
        return _SERVERS[comm]
    if comm == "java":
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return "other"
        return "kafka" if b"kafka" in cmdline else "other"
    return "other"


def sample(named: dict[int, str]) -> Sample:
    """Read every process's CPU time; ``named`` maps pids to their group (the OMS roles)."""
    by_group: Counter[str] = Counter()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # comm is in parentheses and may hold spaces; the fields after it are fixed.
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        by_group[_group(pid, comm, named)] += ticks * _TICK_S
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) * _TICK_S for v in cpu]
    idle = values[3] + values[4]  # idle, iowait
    return Sample(dict(by_group), busy_s=sum(values[:8]) - idle, idle_s=idle)


def summary(before: Sample, after: Sample, *, orders: int, seconds: float) -> dict[str, Any]:
    """CPU per order and share of the machine for each group between two samples."""
    groups = sorted(set(before.by_group) | set(after.by_group))
    used = {g: after.by_group.get(g, 0.0) - before.by_group.get(g, 0.0) for g in groups}
    busy = after.busy_s - before.busy_s
    idle = after.idle_s - before.idle_s
    per_order = {g: round(1000 * s / orders, 3) for g, s in used.items() if s > 0} if orders else {}
    return {
        "seconds": round(seconds, 2),
        "orders": orders,
        "cores_busy": round(busy / seconds, 2) if seconds else 0.0,
        "idle_pct": round(100 * idle / (busy + idle), 1) if busy + idle else 0.0,
        "cpu_s": {g: round(s, 2) for g, s in used.items() if s > 0},
        "cpu_ms_per_order": dict(sorted(per_order.items(), key=lambda kv: -kv[1])),
        "cpu_ms_per_order_total": round(sum(per_order.values()), 3),
    }


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB, or None once it is gone."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return round(pages * _PAGE / 2**20, 1)


_PAGE = os.sysconf("SC_PAGE_SIZE")

__all__ = ["Sample", "rss_mb", "sample", "summary"]
