"""Connecting to Kafka: producers, consumers and topics, with retries and clear errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from domain.errors import DomainError

log = logging.getLogger(__name__)
T = TypeVar("T")


class KafkaUnavailable(DomainError):
    def __init__(self, bootstrap: str, attempts: int, cause: Exception) -> None:
        super().__init__(
            "kafka_unreachable",
            f"no Kafka broker answered at {bootstrap} after {attempts} attempts "
            f"({type(cause).__name__}); check --bootstrap and the network",
        )


CONNECT_ATTEMPTS = 5
BOOTSTRAP_TIMEOUT_MS = 5000


def with_retries(what: str, bootstrap: str, action: Callable[[], T],
                 attempts: int = CONNECT_ATTEMPTS, first_delay: float = 0.5) -> T:
    """Retry with exponential backoff (0.5 s, 1 s, 2 s, ...), then fail loudly."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except KafkaError as error:
            if attempt == attempts:
                raise KafkaUnavailable(bootstrap, attempts, error) from error
            log.warning("%s: %s; retrying in %.1f s", what, error, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30)
    raise AssertionError("unreachable")


def producer(bootstrap: str, attempts: int = CONNECT_ATTEMPTS,
             **overrides: Any) -> KafkaProducer:
    settings: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        "acks": "all",
        "enable_idempotence": True,  # no duplicates or reordering from the producer's retries
        "linger_ms": 5,
        "batch_size": 64 * 1024,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": 120_000,
        "client_id": "zorgid-relay",
    }
    settings.update(overrides)
    return with_retries("connecting the producer", bootstrap, lambda: KafkaProducer(**settings),
                        attempts)


def consumer(bootstrap: str, group: str | None, topic: str, attempts: int = CONNECT_ATTEMPTS,
             **overrides: Any) -> KafkaConsumer:
    settings: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 2000,
        "client_id": "zorgid-consumer",
    }
    settings.update(overrides)

    def connect() -> KafkaConsumer:
        created = KafkaConsumer(**settings)
        created.subscribe([topic])
        return created

    return with_retries("connecting the consumer", bootstrap, connect, attempts)


def ensure_topic(bootstrap: str, topic: str, partitions: int, replication_factor: int,
                 config: dict[str, str] | None = None,
                 attempts: int = CONNECT_ATTEMPTS) -> bool:
    """Create the topic when it is missing; True when it was created."""

    def create() -> bool:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="zorgid-admin",
                                 bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS)
        try:
            if topic in admin.list_topics():
                return False
            try:
                admin.create_topics([NewTopic(topic, partitions, replication_factor,
                                              topic_configs=config or {})])
            except TopicAlreadyExistsError:
                return False
            return True
        finally:
            admin.close()

    return with_retries(f"creating topic {topic}", bootstrap, create, attempts)
