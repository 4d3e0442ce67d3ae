"""The Kafka bus URL: every documented parameter is read, and anything else is refused."""

from __future__ import annotations

import ssl

import pytest

from oms.bus.kafka_config import KafkaConfig, KafkaUrlError


def test_a_bare_url_gets_the_default_port_and_settings() -> None:
    config = KafkaConfig.from_url("kafka://127.0.0.1")
    assert config.bootstrap_servers == ("127.0.0.1:9092",)
    assert (config.partitions, config.linger_ms, config.security_protocol) == (6, 0, "PLAINTEXT")
    assert "ssl_context" not in config.connection()


def test_parameters_and_several_brokers_are_read() -> None:
    config = KafkaConfig.from_url(
        "kafka://b1:9094,b2?partitions=12&replication_factor=3&client_id=risk-0"
        "&linger_ms=3&session_timeout_ms=6000&heartbeat_interval_ms=1000&ssl_check_hostname=false"
        "&fetch_min_bytes=65536&fetch_max_wait_ms=5"
    )
    assert (config.fetch_min_bytes, config.fetch_max_wait_ms) == (65536, 5)
    assert config.bootstrap_servers == ("b1:9094", "b2:9092")
    assert (config.partitions, config.replication_factor, config.client_id) == (12, 3, "risk-0")
    assert (config.linger_ms, config.session_timeout_ms, config.heartbeat_interval_ms) == (
        3,
        6000,
        1000,
    )
    assert config.ssl_check_hostname is False


def test_scram_over_tls_takes_the_credentials_from_the_user_info() -> None:
    config = KafkaConfig.from_url(
        "kafka://oms:p%40ss@b-1.msk.example:9096"
        "?security_protocol=SASL_SSL&sasl_mechanism=SCRAM-SHA-512"
    )
    options = config.connection()
    assert options["sasl_plain_username"] == "oms"
    assert options["sasl_plain_password"] == "p@ss"  # noqa: S105 (a test value, percent-decoded)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert isinstance(options["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:9092",
        "kafka://",
        "kafka://host:port",
        "kafka://h?partitons=3",
        "kafka://h?partitions=0",
        "kafka://h?partitions=many",
        "kafka://h?sasl_password=x",
        "kafka://h?security_protocol=TLS",
        "kafka://h?security_protocol=SASL_SSL",
        "kafka://h?session_timeout_ms=6000&heartbeat_interval_ms=3000",
    ],
)
def test_a_url_the_bus_cannot_use_is_refused_with_a_reason(url: str) -> None:
    with pytest.raises(KafkaUrlError):
        KafkaConfig.from_url(url)
