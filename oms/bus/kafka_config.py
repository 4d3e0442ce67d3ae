"""The Kafka bus's settings, read from one URL so a deployment configures it with ``OMS_BUS``.

``kafka://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...][?NAME=VALUE&...]``; the port defaults
to 9092, and the user and password (percent-encoded) are the SASL credentials. Parameters:

=========================  ===========  =======================================================
name                       default      meaning
=========================  ===========  =======================================================
``partitions``             6            partitions of the topics the bus creates
``replication_factor``     1            replicas of the topics the bus creates (3 on MSK)
``client_id``              ``oms``      client id in broker logs, quotas and metrics
``linger_ms``              0            how long the producer waits to fill a batch (see below)
``fetch_min_bytes``        1            a fetch answers once this much is there (see below)
``fetch_max_wait_ms``      500          ... or after this long
``request_timeout_ms``     5000         one request to a broker, and connecting the producer
``delivery_timeout_ms``    5000         a publish gives up (``BusUnavailableError``) after this
``session_timeout_ms``     10000        a silent group member loses its partitions after this
``heartbeat_interval_ms``  2000         how often a member tells the coordinator it is alive
``max_poll_interval_ms``   300000       a member that does not fetch for this long is removed
``lag_interval_ms``        5000         how often each consumer refreshes its lag gauge
``security_protocol``      PLAINTEXT    PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
``sasl_mechanism``         PLAIN        PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
``ssl_cafile``             (system)     CA bundle for SSL/SASL_SSL; the system's CAs otherwise
``ssl_check_hostname``     true         verify the broker's certificate name
``namespace``              (none)       prefix of every topic and group (``NS.oms.commands``):
                                        several OMS instances, or test runs, on one cluster
=========================  ===========  =======================================================

``linger_ms`` is 0 because aiokafka keeps one request in flight per broker: messages published
while it is out wait and leave together in the next one, so batches grow with the load by
themselves, and any linger only adds to every publish's latency (measured here: 1 ms of linger
moved the median single publish from 0.4 to 1.7 ms with no gain in throughput).

``fetch_min_bytes=1`` answers a consumer's fetch as soon as one record is there: the lowest
latency, at the price of up to one fetch request per record and consumer group when records
trickle in. Raising it (with a short ``fetch_max_wait_ms``, e.g. ``65536`` and ``5``) makes the
broker gather records for at most that long: fewer requests for a busy broker, up to that
wait added to each hop.

On MSK, use the TLS listener (port 9094, ``security_protocol=SSL``) or SASL/SCRAM (port 9096,
``security_protocol=SASL_SSL&sasl_mechanism=SCRAM-SHA-512`` with the secret's user and
password in the URL); Amazon's certificates verify against the system CAs.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_PORT = 9092

_PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})
_MECHANISMS = frozenset({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
_NOT_PARAMETERS = frozenset({"bootstrap_servers", "sasl_username", "sasl_password"})
"""Given by the URL's address and user info, never by a parameter."""


class KafkaUrlError(ValueError):
    """The ``kafka://`` URL cannot be used; the message names the part that is wrong."""


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    """Everything the bus needs to reach the cluster and shape its clients."""

    bootstrap_servers: tuple[str, ...]
    partitions: int = 6
    replication_factor: int = 1
    client_id: str = "oms"
    linger_ms: int = 0
    fetch_min_bytes: int = 1
    fetch_max_wait_ms: int = 500
    request_timeout_ms: int = 5000
    delivery_timeout_ms: int = 5000
    session_timeout_ms: int = 10000
    heartbeat_interval_ms: int = 2000
    max_poll_interval_ms: int = 300000
    lag_interval_ms: int = 5000
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    ssl_check_hostname: bool = True
    namespace: str = ""

    @classmethod
    def from_url(cls, url: str) -> KafkaConfig:
        """Parse ``url``; unknown parameters are errors, so a typo cannot pass unnoticed."""
        parts = urlsplit(url)
        if parts.scheme != "kafka":
            raise KafkaUrlError(f"{url!r}: the scheme must be kafka://")
        userinfo, _, hosts = parts.netloc.rpartition("@")
        servers = tuple(_server(h) for h in hosts.split(",") if h)
        if not servers:
            raise KafkaUrlError(f"{url!r}: no broker address")
        values: dict[str, Any] = {"bootstrap_servers": servers}
        if userinfo:
            user, _, password = userinfo.partition(":")
            values["sasl_username"] = unquote(user)
            values["sasl_password"] = unquote(password)
        types = {f.name: f.type for f in fields(cls)}
        for name, raw in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
            if name not in types or name in _NOT_PARAMETERS:
                raise KafkaUrlError(f"{url!r}: unknown parameter {name!r}")
            values[name] = _convert(name, raw, types[name])
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        if self.security_protocol not in _PROTOCOLS:
            raise KafkaUrlError(f"security_protocol must be one of {sorted(_PROTOCOLS)}")
        if self.sasl_mechanism not in _MECHANISMS:
            raise KafkaUrlError(f"sasl_mechanism must be one of {sorted(_MECHANISMS)}")
        if self.security_protocol.startswith("SASL") and not self.sasl_username:
            raise KafkaUrlError(f"{self.security_protocol} needs USER:PASSWORD@ in the URL")
        if self.namespace and not all(c.isalnum() or c in "-_" for c in self.namespace):
            raise KafkaUrlError("namespace may hold letters, digits, '-' and '_' only")
        if self.heartbeat_interval_ms * 3 > self.session_timeout_ms:
            raise KafkaUrlError("heartbeat_interval_ms must be at most a third of the session")

    def topic(self, name: str) -> str:
        """The cluster's name of the OMS topic ``name``."""
        return f"{self.namespace}.{name}" if self.namespace else name

    def group(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    def logical(self, topic: str) -> str:
        """The OMS name of the cluster's ``topic`` (the namespace taken off)."""
        if self.namespace and topic.startswith(self.namespace + "."):
            return topic[len(self.namespace) + 1 :]
        return topic

    def connection(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client takes to reach the cluster."""
        options: dict[str, Any] = {
            "bootstrap_servers": list(self.bootstrap_servers),
            "client_id": self.client_id,
            "request_timeout_ms": self.request_timeout_ms,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            context = ssl.create_default_context(cafile=self.ssl_cafile)
            context.check_hostname = self.ssl_check_hostname
            options["ssl_context"] = context
        if self.security_protocol.startswith("SASL"):
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password
        return options


def _server(address: str) -> str:
    host, sep, port = address.rpartition(":")
    if not sep:
        return f"{address}:{DEFAULT_PORT}"
    if not host or not port.isdigit():
        raise KafkaUrlError(f"broker address {address!r} is not HOST[:PORT]")
    return address


def _convert(name: str, raw: str, kind: object) -> int | bool | str:
    if kind in ("int", int):
        try:
            number = int(raw)
        except ValueError:
            raise KafkaUrlError(f"{name} must be an integer, not {raw!r}") from None
        if number < 0 or (number == 0 and name != "linger_ms"):
            raise KafkaUrlError(f"{name} must be positive, not {raw!r}")
        return number
    if kind in ("bool", bool):
        if raw.lower() not in ("true", "false", "1", "0"):
            raise KafkaUrlError(f"{name} must be true or false, not {raw!r}")
        return raw.lower() in ("true", "1")
    if not raw:
        raise KafkaUrlError(f"{name} must not be empty")
    return raw


__all__ = ["DEFAULT_PORT", "KafkaConfig", "KafkaUrlError"]
