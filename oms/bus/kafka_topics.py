"""Topic administration: create the OMS's topics if they are missing, once at start-up.

Brokers here run with ``auto.create.topics.enable=false`` (as MSK should): a typo in a topic
name must fail, not create a one-partition topic that silently breaks per-key scaling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import (  # type: ignore[import-untyped]
    KafkaError,
    TopicAlreadyExistsError,
    for_code,
)

from oms.bus import BusUnavailableError
from oms.bus.kafka_config import KafkaConfig
from oms.events import ACCOUNTS, COMMANDS, DEADLETTER, EVENTS, MARKETDATA, ORDERS

OMS_TOPICS: tuple[str, ...] = (COMMANDS, ORDERS, EVENTS, ACCOUNTS, MARKETDATA, DEADLETTER)


class TopicSetupError(RuntimeError):
    """The cluster refused to create a topic for a reason retrying will not fix."""


async def ensure_topics(config: KafkaConfig, topics: Sequence[str]) -> list[str]:
    """Create those of ``topics`` that do not exist, with the configured partitions and replicas.

    Existing topics are left as they are (their partition count included).

    Returns:
        The names of the topics this call created.

    Raises:
        BusUnavailableError: the cluster did not answer in time, or answered a retriable error.
        TopicSetupError: the cluster refused a topic (invalid name, too few brokers, ...).
    """
    if not topics:
        return []
    admin = AIOKafkaAdminClient(**config.connection())
    wanted = [NewTopic(t, config.partitions, config.replication_factor) for t in topics]
    try:
        async with asyncio.timeout(2 * config.request_timeout_ms / 1000):
            await admin.start()
            response = await admin.create_topics(wanted)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise BusUnavailableError(f"cannot create Kafka topics: {exc!r}") from exc
    finally:
        await admin.close()
    created: list[str] = []
    for entry in response.topic_errors:
        name, code = str(entry[0]), int(entry[1])
        if code == 0:
            created.append(name)
        elif code != TopicAlreadyExistsError.errno:
            error = for_code(code)
            message = f"topic {name!r}: {error.__name__} {entry[2] if len(entry) > 2 else ''}"
            if error.retriable:
                raise BusUnavailableError(message)
            raise TopicSetupError(message)
    return created


__all__ = ["OMS_TOPICS", "TopicSetupError", "ensure_topics"]
