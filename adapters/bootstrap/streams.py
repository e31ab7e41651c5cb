"""What `zorgid kafka` is handed: the relay from the store to a topic, the views built
from a topic, the example billing consumer and the events' schemas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.bootstrap.store import open_lifecycle, open_views_db
from adapters.kafka import connection
from adapters.kafka.consumer import BillingTotals, KafkaSource
from adapters.kafka.relay import DEFAULT_TOPIC, PAGE_SIZE, Relay, RelayStats, RelayTracking
from adapters.kafka.schema import write_schemas
from adapters.settings import Settings
from projections.runner import Projector

CONNECT_ATTEMPTS = connection.CONNECT_ATTEMPTS

__all__ = ["CONNECT_ATTEMPTS", "DEFAULT_TOPIC", "PAGE_SIZE", "billing_totals",
           "ensure_topic", "project_from_topic", "relay_to_topic", "write_schemas"]


def ensure_topic(bootstrap: str, topic: str, partitions: int, replication_factor: int,
                 attempts: int) -> bool:
    """Create the topic when it does not exist; True when it was created."""
    return bool(connection.ensure_topic(bootstrap, topic, partitions, replication_factor,
                                        attempts=attempts))


def relay_to_topic(settings: Settings, bootstrap: str, topic: str, attempts: int,
                   personal_data: bool, page_size: int, until_caught_up: bool, poll: float,
                   stopping: Callable[[], bool]) -> RelayStats:
    """Follow the store's log and publish every event; the relay's statistics."""
    app = open_lifecycle(settings)
    views = open_views_db(settings)
    producer = connection.producer(bootstrap, attempts)
    try:
        runner = Relay(app, producer, RelayTracking(views.conn, topic), topic, personal_data,
                       page_size)
        return runner.run(until_caught_up, poll, stopping)
    finally:
        producer.close()
        app.close()
        views.conn.close()


def project_from_topic(settings: Settings, bootstrap: str, topic: str, attempts: int,
                       group: str, follow: bool, stopping: Callable[[], bool]) -> int:
    """Build the views from the topic; the position they reached."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    views = open_views_db(settings)
    consumer = connection.consumer(bootstrap, group, topic, attempts)
    try:
        projector = Projector(views)
        source = KafkaSource(consumer, topic)
        while not stopping() and (projector.run_batch(source) or follow):
            pass
        return int(projector.position())
    finally:
        consumer.close()
        views.conn.close()


def billing_totals(bootstrap: str, topic: str, attempts: int, group: str, state: Path,
                   idle: float) -> dict[str, dict[str, int]]:
    """The example billing consumer's invoice totals per practice, in integer cents."""
    totals = BillingTotals(str(state))
    consumer = connection.consumer(bootstrap, group, topic, attempts)
    try:
        totals.consume(consumer, idle)
    finally:
        consumer.close()
    return dict(totals.totals())
