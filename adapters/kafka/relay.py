"""The relay: follows the notification log and publishes every event to Kafka.

At-least-once and in order: a page of events is sent with an idempotent producer
(acks=all), flushed, and every send confirmed before the page's last position is
recorded as acknowledged, in the views database's tracking table like every other
follower of the log. After a crash the relay resumes from that position, so it may
publish a page twice, never skip one, and never reorder one aggregate's events
(they share a key, hence a partition). Consumers drop duplicates by position.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError

from adapters.kafka.messages import to_message

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "zorgid.events"
PAGE_SIZE = 1000


class RelayTracking:
    """The relay's acknowledged position, a row in the views database's tracking table."""

    def __init__(self, conn: sqlite3.Connection, topic: str) -> None:
        self.conn = conn
        self.name = f"kafka:{topic}"
        conn.execute("CREATE TABLE IF NOT EXISTS projection_tracking "
                     "(view TEXT PRIMARY KEY, position INTEGER)")
        conn.execute("INSERT OR IGNORE INTO projection_tracking VALUES (?, 0)", (self.name,))

    def position(self) -> int:
        row = self.conn.execute("SELECT position FROM projection_tracking WHERE view = ?",
                                (self.name,)).fetchone()
        return int(row[0])

    def advance(self, position: int) -> None:
        self.conn.execute("UPDATE projection_tracking SET position = ? WHERE view = ? "
                          "AND position < ?", (position, self.name, position))


@dataclass
class RelayStats:
    published: int = 0
    skipped: int = 0
    position: int = 0


class Relay:
    def __init__(self, app: Any, producer: Any, tracking: RelayTracking, topic: str,
                 personal_data: bool, page_size: int = PAGE_SIZE) -> None:
        self.app = app
        self.producer = producer
        self.tracking = tracking
        self.topic = topic
        self.personal_data = personal_data
        self.page_size = page_size
        self.stats = RelayStats(position=tracking.position())

    def publish_page(self) -> int:
        """Publish the next page; return how many notifications it covered (0: caught up)."""
        after = self.tracking.position()
        page = self.app.recorder.select_notifications(after, self.page_size,
                                                      inclusive_of_start=False)
        if not page:
            return 0
        futures = []
        for notification in page:
            event = self.app.mapper.to_domain_event(notification)
            message = to_message(notification.id, notification.topic, event, self.personal_data)
            if message is None:
                self.stats.skipped += 1
                continue
            futures.append(self.producer.send(self.topic, key=message.key, value=message.value,
                                              headers=message.headers))
        self.producer.flush()
        for future in futures:
            future.get()  # raises if Kafka did not acknowledge: the position stays put
        self.tracking.advance(page[-1].id)
        self.stats.published += len(futures)
        self.stats.position = page[-1].id
        return len(page)

    def run(self, until_caught_up: bool, poll_seconds: float = 0.5,
            should_stop: Callable[[], bool] = lambda: False) -> RelayStats:
        head = self.app.head() if until_caught_up else None
        backoff = 0.5
        while not should_stop():
            try:
                count = self.publish_page()
                backoff = 0.5
            except KafkaError as error:
                # Never a silent drop: nothing past the acknowledged position is recorded;
                # wait and publish the same page again.
                log.warning("publishing failed (%s); retrying in %.1f s", error, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            if head is not None and self.tracking.position() >= head:
                break
            if count == 0:
                time.sleep(poll_seconds)
        return self.stats
