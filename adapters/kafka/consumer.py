"""Consumers: read models built from the topic, and a billing example.

A read model needs the whole stream in the store's order (invoice numbers follow
it; views look across aggregates). So `KafkaSource` puts the records of all
partitions back into position order, drops what it has already applied, and
hands the Projector the next contiguous positions: the same exactly-once runner
as on the local log, tracking the position in the views database. Kafka offsets
are committed only after the views committed, so a crash re-delivers, and the
position check drops the repeats. Each replica of the views is one consumer
group (more members of it are hot standbys); scale out with more groups.
"""

from __future__ import annotations

import heapq
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from kafka import OffsetAndMetadata, TopicPartition

from adapters.kafka.messages import from_value
from domain.errors import RuleViolation

log = logging.getLogger(__name__)
JOIN_TIMEOUT = 60.0


@dataclass(frozen=True)
class KafkaNotification:
    id: int  # the position
    topic: str  # the event's topic, as in the store (zorgid:Card.Revoked)
    value: dict[str, Any]
    partition: int
    offset: int


class KafkaSource:
    """An EventSource for projections.runner.Projector that reads the Kafka topic."""

    def __init__(self, consumer: Any, topic: str, poll_ms: int = 500,
                 idle_polls: int = 2) -> None:
        self.consumer = consumer
        self.topic = topic
        self.poll_ms = poll_ms
        self.idle_polls = idle_polls
        self._buffer: list[tuple[int, int, KafkaNotification]] = []
        self._taken: list[tuple[int, int, int]] = []  # position, partition, offset
        self._committed: dict[int, int] = {}
        self._seq = 0
        self._applied = 0
        self._join_deadline = time.monotonic() + JOIN_TIMEOUT

    def _poll(self) -> int:
        received = 0
        for partition, records in self.consumer.poll(timeout_ms=self.poll_ms).items():
            for record in records:
                value = json.loads(record.value)
                headers = dict(record.headers or [])
                if headers.get("personal-data") == b"omitted":
                    raise RuleViolation(
                        "topic_without_personal_data",
                        "read models need a topic that carries personal data (the views "
                        "hold names); relay one with --personal-data",
                    )
                notification = KafkaNotification(
                    value["position"], "zorgid:" + value["type"], value, partition.partition,
                    record.offset)
                self._seq += 1
                heapq.heappush(self._buffer, (notification.id, self._seq, notification))
                received += 1
        return received

    def select(self, after: int, limit: int) -> list[KafkaNotification]:
        """The next positions after `after`, contiguous, at most `limit` of them.

        Being asked for what follows `after` means the views committed up to it."""
        self._applied = after
        self._commit(after)
        batch: list[KafkaNotification] = []
        idle = 0
        while len(batch) < limit and idle < self.idle_polls:
            while self._buffer and self._buffer[0][0] <= after:
                dropped = heapq.heappop(self._buffer)[2]  # a duplicate, republished
                self._taken.append((dropped.id, dropped.partition, dropped.offset))
            while self._buffer and self._buffer[0][0] == after + 1 and len(batch) < limit:
                notification = heapq.heappop(self._buffer)[2]
                self._taken.append((notification.id, notification.partition,
                                    notification.offset))
                batch.append(notification)
                after = notification.id
            if len(batch) < limit and self._poll() == 0 and self._assigned():
                idle += 1
        return batch

    def _assigned(self) -> bool:
        """Quiet polls count only once the group gave us partitions (joining takes a while)."""
        if self.consumer.assignment():
            return True
        if time.monotonic() > self._join_deadline:
            raise RuleViolation("kafka_no_partitions",
                                f"the consumer got no partitions of {self.topic} in "
                                f"{JOIN_TIMEOUT:.0f} s; is the topic there?")
        return False

    def to_event(self, notification: KafkaNotification) -> Any:
        return from_value(notification.value)

    def head(self) -> int:
        return self._applied

    def _commit(self, applied: int) -> None:
        """Commit, per partition, the offsets of the records now in the views, but never
        past a record of that partition still waiting in the buffer."""
        done = [(partition, offset) for position, partition, offset in self._taken
                if position <= applied]
        self._taken = [t for t in self._taken if t[0] > applied]
        waiting: dict[int, int] = {}
        for _, _, n in self._buffer:
            waiting[n.partition] = min(waiting.get(n.partition, n.offset), n.offset)
        for _, partition, offset in self._taken:
            waiting[partition] = min(waiting.get(partition, offset), offset)
        highest: dict[int, int] = {}
        for partition, offset in done:
            highest[partition] = max(highest.get(partition, -1), offset)
        todo = {}
        for partition, offset in highest.items():
            offset = min(offset, waiting.get(partition, offset + 1) - 1)
            if offset > self._committed.get(partition, -1):
                todo[TopicPartition(self.topic, partition)] = OffsetAndMetadata(offset + 1, "",
                                                                                -1)
                self._committed[partition] = offset
        if todo and self.consumer.config.get("group_id"):
            self.consumer.commit(todo)


class BillingTotals:
    """A small billing consumer: invoice totals per practice from shipped orders.

    It needs no personal data. It keeps its totals and, per partition, the highest
    position it has counted in its own SQLite file, in one transaction per record,
    so a re-delivered record is recognised and not counted twice."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.executescript(
            "CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, ura TEXT, "
            "  quantity INTEGER, unit_price_cents INTEGER, shipping_cents INTEGER, "
            "  vat_rate_bp INTEGER);"
            "CREATE TABLE IF NOT EXISTS totals (ura TEXT PRIMARY KEY, orders INTEGER, "
            "  cards INTEGER, net_cents INTEGER, vat_cents INTEGER, total_cents INTEGER);"
            "CREATE TABLE IF NOT EXISTS seen (partition INTEGER PRIMARY KEY, position INTEGER);")

    def handle(self, partition: int, value: dict[str, Any]) -> bool:
        from domain.order import Pricing, order_lines, vat_cents

        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT position FROM seen WHERE partition = ?",
                               (partition,)).fetchone()
            if row is not None and value["position"] <= row[0]:
                conn.execute("ROLLBACK")
                return False
            payload = value["payload"]
            if value["type"] == "BlankCardOrder.Placed":
                conn.execute("INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?)",
                             (value["originator_id"], payload["practice_ura"],
                              payload["quantity"], payload["unit_price_cents"],
                              payload["shipping_cents"], payload["vat_rate_bp"]))
            elif value["type"] == "BlankCardOrder.Shipped":
                ura, quantity, unit, shipping, rate = conn.execute(
                    "SELECT ura, quantity, unit_price_cents, shipping_cents, vat_rate_bp "
                    "FROM orders WHERE order_id = ?", (value["originator_id"],)).fetchone()
                net = sum(line.amount_cents
                          for line in order_lines(quantity, Pricing(unit, shipping, rate)))
                vat = vat_cents(net, rate)
                conn.execute(
                    "INSERT INTO totals VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (ura) DO UPDATE "
                    "SET orders = orders + 1, cards = cards + excluded.cards, "
                    "net_cents = net_cents + excluded.net_cents, "
                    "vat_cents = vat_cents + excluded.vat_cents, "
                    "total_cents = total_cents + excluded.total_cents",
                    (ura, quantity, net, vat, net + vat))
            conn.execute("INSERT INTO seen VALUES (?, ?) ON CONFLICT (partition) DO UPDATE "
                         "SET position = excluded.position", (partition, value["position"]))
            conn.execute("COMMIT")
            return True
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def totals(self) -> dict[str, dict[str, int]]:
        return {row[0]: {"orders": row[1], "cards": row[2], "net_cents": row[3],
                         "vat_cents": row[4], "total_cents": row[5]}
                for row in self.conn.execute("SELECT * FROM totals ORDER BY ura")}

    def consume(self, consumer: Any, idle_seconds: float = 3.0) -> int:
        """Consume until the topic has been quiet for `idle_seconds`; commit as it goes."""
        counted, quiet_since = 0, time.monotonic()
        join_deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() - quiet_since < idle_seconds:
            batch = consumer.poll(timeout_ms=500)
            if not consumer.assignment() and time.monotonic() < join_deadline:
                quiet_since = time.monotonic()  # still joining the group
                continue
            for partition, records in batch.items():
                for record in records:
                    counted += self.handle(partition.partition, json.loads(record.value))
                quiet_since = time.monotonic()
            if batch:
                consumer.commit()
        return counted
