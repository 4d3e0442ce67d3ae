"""Integration tests run against the real servers `deploy/local/services.sh up` starts.

A server that does not answer is a skip on a laptop, and a failure with ``CI=true``: CI must
never pass by testing nothing.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

KAFKA_URL = os.environ.get("OMS_TEST_KAFKA", "kafka://127.0.0.1:9092")
REDIS_URL = os.environ.get("OMS_TEST_REDIS", "redis://127.0.0.1:6379/15")
MONGO_URL = os.environ.get("OMS_TEST_MONGO", "mongodb://127.0.0.1:27017/")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_server(name: str, url: str, default_port: int) -> str:
    """``url`` if the server answers; otherwise skip, or fail under ``CI=true``."""
    if _reachable(url, default_port):
        return url
    message = f"{name} is not reachable at {url}: run `make services-up`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_url() -> str:
    return require_server("Kafka", KAFKA_URL, 9092)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_server("Redis", REDIS_URL, 6379)


@pytest.fixture(scope="session")
def mongo_url() -> str:
    return require_server("FerretDB", MONGO_URL, 27017)
