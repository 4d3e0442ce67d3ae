"""Systems the generator can start itself: `oms up` (embedded) or the four services (distributed).

Both reuse the end-to-end suite's process wrappers (``tests/e2e/server.py``). The distributed
system runs on the local Kafka, Redis and FerretDB (``deploy/local/services.sh up``) in a
namespace of its own, so it never touches another run's topics, database or keys; the servers
themselves are left running.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from benches.loadgen.workload import write_accounts
from tests.e2e.server import OmsCluster, OmsProcess

Mode = Literal["embedded", "distributed"]

KAFKA_URL = os.environ.get("OMS_TEST_KAFKA", "kafka://127.0.0.1:9092")
MONGO_URL = os.environ.get("OMS_TEST_MONGO", "mongodb://127.0.0.1:27017/")
REDIS_URL = os.environ.get("OMS_BENCH_REDIS", "redis://127.0.0.1:6379/13")


@contextmanager
def started_system(
    mode: Mode, data_dir: Path, traders: int
) -> Iterator[tuple[str, Path, dict[str, int]]]:
    """Start a fresh system with ``traders`` bench accounts; yields (url, accounts file, pids)."""
    accounts = data_dir / "accounts.toml"
    write_accounts(accounts, traders)
    server: OmsProcess | OmsCluster
    if mode == "embedded":
        server = OmsProcess(data_dir)
    else:
        server = OmsCluster(data_dir, KAFKA_URL, MONGO_URL, REDIS_URL)
    server.start()
    try:
        if isinstance(server, OmsProcess):
            assert server.proc is not None
            pids = {"oms": server.proc.pid}
        else:
            pids = {role: proc.pid for role, proc in server.procs.items()}
        yield server.url, accounts, pids
    finally:
        server.stop()
