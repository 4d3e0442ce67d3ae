"""A full disk under the embedded OMS: a clear, retryable refusal, no corruption, and service
again once there is room.

The data directory is a small tmpfs of its own (mounting needs root, which this machine's
sessions and CI have); the test fills it with a ballast file while the OMS runs.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from oms.client import OmsApiError
from tests.e2e.conftest import ACCOUNTS, PERP, client_for, eventually, mid, on_grid
from tests.e2e.server import OmsProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(  # noqa: S603 (fixed arguments, a path of our own)
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # noqa: S603, S607


def _fill(path: Path) -> None:
    """Write zeros until the file system refuses (ENOSPC)."""
    chunk = b"\0" * (256 * 1024)
    with path.open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(chunk)
            f.flush()


async def test_a_full_disk_refuses_orders_retryably_and_recovers(
    small_disk: Path, tmp_path: Path
) -> None:
    (small_disk / "accounts.toml").write_text(ACCOUNTS)
    server = OmsProcess(small_disk)
    server.log_path = tmp_path / "oms.log"  # the log must not need the full disk
    server.start()
    try:
        async with client_for(server, "alice") as alice:
            price = on_grid(await mid(alice, PERP) * Decimal("0.97"), "0.1")
            before = await alice.place_order(PERP, "BUY", "LIMIT", "0.002", price)

            ballast = small_disk / "ballast"
            _fill(ballast)
            codes = set()
            for i in range(5):
                try:
                    await alice.place_order(
                        PERP, "BUY", "LIMIT", "0.002", price, client_order_id=f"full-{i}"
                    )
                except OmsApiError as exc:
                    codes.add((exc.status, exc.code))
            # Refused as a retryable server condition, never a 500 and never a 2xx it cannot keep.
            assert codes, "orders were acknowledged on a full disk"
            assert all(status == 503 for status, _ in codes), codes

            ballast.unlink()

            async def accepted_again() -> None:
                try:
                    order = await alice.place_order(
                        PERP, "BUY", "LIMIT", "0.002", price, client_order_id="after-1"
                    )
                except OmsApiError as exc:
                    raise AssertionError(exc.code) from exc
                assert (await alice.get_order(order.order_id)).status == "NEW"

            await eventually(accepted_again, timeout=30)
            assert (await alice.get_order(before.order_id)).status == "NEW"
            stored = {o.client_order_id async for o in alice.iter_orders(page_size=500)}
            assert not stored & {f"full-{i}" for i in range(5)}  # refusals left nothing behind
            # A client retrying a refused order with its clientOrderId gets it placed now.
            retried = await alice.place_order(
                PERP, "BUY", "LIMIT", "0.002", price, client_order_id="full-0"
            )
            assert (await alice.get_order(retried.order_id)).client_order_id == "full-0"
    finally:
        server.stop()
    for name in ("oms.db", "bus.db"):
        db = sqlite3.connect(small_disk / name)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            db.close()
