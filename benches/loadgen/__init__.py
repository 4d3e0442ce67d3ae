"""The end-to-end open-loop load generator (``python -m benches.loadgen --help``)."""

from benches.loadgen.generator import OpenLoopRun, RunConfig, closed_loop_ceiling
from benches.loadgen.histogram import LatencyHistogram
from benches.loadgen.workload import Mix, write_accounts

__all__ = [
    "LatencyHistogram",
    "Mix",
    "OpenLoopRun",
    "RunConfig",
    "closed_loop_ceiling",
    "write_accounts",
]
