"""Systems the generator can start itself: `oms up` (embedded) or the four services (distributed).

Both reuse the end-to-end suite's process wrappers (``tests/e2e/server.py``). The distributed
system runs on the local Kafka, Redis and FerretDB (``deploy/local/services.sh up``) in a
namespace of its own, so it never touches another run's topics, database or keys; the servers
themselves are left running.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from benches.loadgen.workload import write_accounts
from tests.e2e.server import OmsCluster, OmsProcess, free_port, wait_ready

Mode = Literal["embedded", "distributed", "reference"]

KAFKA_URL = os.environ.get("OMS_TEST_KAFKA", "kafka://127.0.0.1:9092")
MONGO_URL = os.environ.get("OMS_TEST_MONGO", "mongodb://127.0.0.1:27017/")
REDIS_URL = os.environ.get("OMS_BENCH_REDIS", "redis://127.0.0.1:6379/13")


@contextmanager
def started_system(
    mode: Mode, data_dir: Path, traders: int, replicas: int = 1, store: str | None = None
) -> Iterator[tuple[str, Path, dict[str, int]]]:
    """Start a fresh system with ``traders`` bench accounts; yields (url, accounts file, pids).

    ``store`` replaces the distributed store (FerretDB) by another URL, e.g. a SQLite file all
    the services share, to measure what the store costs.
    """
    accounts = data_dir / "accounts.toml"
    write_accounts(accounts, traders)
    if mode == "reference":
        with started_reference(accounts, data_dir) as (url, pid):
            yield url, accounts, {"reference": pid}
        return
    server: OmsProcess | OmsCluster
    if mode == "embedded":
        server = OmsProcess(data_dir)
    else:
        extra = {"OMS_STORE": store} if store else {}
        server = OmsCluster(data_dir, KAFKA_URL, MONGO_URL, REDIS_URL, replicas=replicas, **extra)
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


@contextmanager
def started_reference(accounts: Path, data_dir: Path) -> Iterator[tuple[str, int]]:
    """The bare signed endpoint (``benches/reference.py``) on a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "reference.log").open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, "-m", "benches.reference", "--accounts", str(accounts),
             "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_ready(proc, f"{url}/healthz", 30, "the reference server", lambda: _log_tail(log.name))
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _log_tail(path: str) -> str:
    return Path(path).read_text(errors="replace")[-5000:]
