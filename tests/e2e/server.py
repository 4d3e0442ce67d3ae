"""Run `oms up` as a real process on a free loopback port, for the end-to-end suite."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from oms.config import AccountConfig, load_accounts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(
    proc: subprocess.Popen[bytes], url: str, timeout: float, what: str, log: Callable[[], str]
) -> None:
    """Poll ``url`` until it answers 200; fail at once, with the log, if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready within {timeout}s:\n{log()}")


class OmsProcess:
    """One `python -m oms up` with its own data directory; restartable on the same files."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "OMS_PORT": str(self.port),
            "OMS_DATA_DIR": str(data_dir),
            "OMS_LOG_FORMAT": "json",
            "OMS_SIM_INTERVAL_MS": "25",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "oms.log"

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oms", "up"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_ready(self.proc, f"{self.url}/readyz", timeout, "oms up", self.log)

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C, then wait for the graceful shutdown; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def accounts(self) -> dict[str, AccountConfig]:
        return {a.name: a for a in load_accounts(self.data_dir / "accounts.toml")}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""


ROLES = ("marketdata", "risk", "processor", "api")


class OmsCluster:
    """The four services as separate `oms serve` processes on the real Kafka, Redis and
    FerretDB, isolated from other runs by a namespace of their own (topics and consumer
    groups, the database, the Redis keys). Same face as ``OmsProcess``, plus per-service
    kill and start for the crash tests."""

    def __init__(
        self, data_dir: Path, kafka: str, mongo: str, redis: str, replicas: int = 1, **env: str
    ) -> None:
        self.data_dir = data_dir
        self.namespace = "t" + os.urandom(5).hex()
        # Risk and the processor scale by partitions: ``replicas`` of each, named "risk",
        # "risk-2", … (the first keeps the role's name, as the crash tests address it).
        self.names = [
            name
            for role in ROLES
            for name in (
                [role, *(f"{role}-{i}" for i in range(2, replicas + 1))]
                if role in ("risk", "processor")
                else [role]
            )
        ]
        base = free_port()
        self.ports = {name: free_port() if name != "api" else base for name in self.names}
        self.port = base
        self.url = f"http://127.0.0.1:{base}"
        self.env = {
            **os.environ,
            "OMS_DATA_DIR": str(data_dir),
            "OMS_LOG_FORMAT": "json",
            "OMS_SIM_INTERVAL_MS": "25",
            "OMS_BUS": f"{kafka}{'&' if '?' in kafka else '?'}namespace={self.namespace}"
            "&partitions=4",
            "OMS_STORE": f"{mongo.rstrip('/')}/{self.namespace}",
            "OMS_IDEMPOTENCY": f"{redis}?prefix={self.namespace}",
            **env,
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def log_path(self, role: str) -> Path:
        return self.data_dir / f"{role}.log"

    def start(self, timeout: float = 90.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            self.start_service(name, wait=False)
        for name in self.names:
            self._wait_ready(name, timeout)

    def start_service(self, name: str, *, wait: bool = True, timeout: float = 90.0) -> None:
        """Start the service ``name`` (a role, or a replica's name such as ``risk-2``)."""
        role = name.split("-")[0]
        log = self.log_path(name).open("ab")
        env = {**self.env, "OMS_PORT": str(self.ports[name])}
        self.procs[name] = subprocess.Popen(  # noqa: S603 (our interpreter, a fixed role)
            [sys.executable, "-m", "oms", "serve", role],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self._wait_ready(name, timeout)

    def _wait_ready(self, role: str, timeout: float) -> None:
        url = f"http://127.0.0.1:{self.ports[role]}/readyz"
        wait_ready(self.procs[role], url, timeout, f"oms serve {role}", lambda: self.log(role))

    def kill_service(self, role: str) -> None:
        proc = self.procs[role]
        proc.kill()
        proc.wait()

    def kill(self) -> None:
        for name in reversed(self.names):
            self.kill_service(name)

    def stop(self, timeout: float = 30.0) -> int:
        codes = []
        order = {"api": 0, "processor": 1, "risk": 2, "marketdata": 3}
        for name in sorted(self.names, key=lambda n: order[n.split("-")[0]]):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    codes.append(proc.wait(timeout))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    codes.append(-9)
            else:
                codes.append(proc.returncode)
        self.drop_namespace()
        return max((abs(c) for c in codes), default=0)

    def drop_namespace(self) -> None:
        """Delete what this cluster left on the shared servers (its topics, its database, its
        Redis keys), so repeated runs do not pile up partitions and data."""
        # In a thread of its own: stop() is also called from inside running event loops.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(self._drop_namespace())).result(timeout=60)

    async def _drop_namespace(self) -> None:
        from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
        from pymongo import AsyncMongoClient
        from redis.asyncio import Redis

        from oms.bus.kafka_config import KafkaConfig

        config = KafkaConfig.from_url(self.env["OMS_BUS"])
        admin = AIOKafkaAdminClient(**config.connection())
        await admin.start()
        try:
            mine = [t for t in await admin.list_topics() if t.startswith(self.namespace + ".")]
            if mine:
                await admin.delete_topics(mine)
        finally:
            await admin.close()
        store_url = self.env["OMS_STORE"]
        if store_url.startswith("mongodb"):  # a SQLite store stays with the data directory
            mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
                store_url.rsplit("/", 1)[0] + "/"
            )
            await mongo.drop_database(self.namespace)
            await mongo.close()
        redis = Redis.from_url(self.env["OMS_IDEMPOTENCY"].split("?")[0])
        keys = [k async for k in redis.scan_iter(match=f"{self.namespace}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()

    def accounts(self) -> dict[str, AccountConfig]:
        return {a.name: a for a in load_accounts(self.data_dir / "accounts.toml")}

    def log(self, role: str = "api") -> str:
        path = self.log_path(role)
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""
