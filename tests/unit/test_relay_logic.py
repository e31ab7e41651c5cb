"""The relay's delivery rule with a fake producer: the acknowledged position moves
only after Kafka confirmed every send of a page; a failure means the page again."""

from __future__ import annotations

import sqlite3

import pytest
from kafka.errors import KafkaTimeoutError

from adapters.kafka.relay import Relay, RelayTracking
from tests.support import make_app, ready_practice


class Future:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self) -> None:
        if self.error is not None:
            raise self.error


class FlakyProducer:
    """Fails every send while `failing` is set; records what it delivered."""

    def __init__(self) -> None:
        self.failing = False
        self.delivered: list[int] = []

    def send(self, topic, key, value, headers):
        if self.failing:
            return Future(KafkaTimeoutError("broker gone"))
        self.delivered.append(int(dict(headers)["position"]))
        return Future(None)

    def flush(self) -> None:
        pass


def test_a_failed_page_is_not_acknowledged_and_is_sent_again():
    app = make_app()
    ready_practice(app)
    producer = FlakyProducer()
    tracking = RelayTracking(sqlite3.connect(":memory:", isolation_level=None), "t")
    relay = Relay(app, producer, tracking, "t", personal_data=True, page_size=4)
    assert relay.publish_page() == 4 and tracking.position() == 4
    producer.failing = True
    with pytest.raises(KafkaTimeoutError):
        relay.publish_page()
    assert tracking.position() == 4  # nothing past the acknowledged position
    producer.failing = False
    while relay.publish_page():
        pass
    assert tracking.position() == app.head()
    assert sorted(set(producer.delivered)) == list(range(1, app.head() + 1))


def test_run_retries_with_backoff_instead_of_dropping(monkeypatch):
    app = make_app()
    ready_practice(app)
    producer = FlakyProducer()
    producer.failing = True
    tracking = RelayTracking(sqlite3.connect(":memory:", isolation_level=None), "t")
    relay = Relay(app, producer, tracking, "t", personal_data=False)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            producer.failing = False  # the broker comes back

    monkeypatch.setattr("adapters.kafka.relay.time.sleep", sleep)
    stats = relay.run(until_caught_up=True)
    assert sleeps[:3] == [0.5, 1.0, 2.0]
    assert tracking.position() == app.head()
    assert stats.skipped > 0  # Person events stay off a topic without personal data
    published = {e.position for e in app.read_log() if not e.type.startswith("Person.")}
    assert set(producer.delivered) == published
