"""Reading the notification log: every event in the order it was stored (positions 1..N),
decoded for auditors, jobs and projections; and an aggregate's history up to a moment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, event_type
from domain.errors import NotFound, RuleViolation

_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


def topic_of(event: object) -> str:
    """The stable topic every event class of ours declares (`zorgid:Card.Revoked`)."""
    return str(type(event).TOPIC)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LoggedEvent:
    """One entry of the notification log, decoded, for auditors."""

    position: int
    type: str
    topic: str
    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: dict[str, Any]
    payload: dict[str, Any]


def decode(app: Application[UUID], position: int, stored: Any) -> LoggedEvent:
    event = cast(DomainEvent, app.mapper.to_domain_event(stored))
    fields = vars(event)
    return LoggedEvent(
        position=position,
        type=event_type(stored.topic),
        topic=stored.topic,
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        timestamp=event.timestamp,
        actor=fields.get("actor", {}),
        payload={k: v for k, v in fields.items() if k not in _BASE_FIELDS},
    )


def read_log(app: Application[UUID], after: int = 0, limit: int | None = None,
             topics: list[str] | None = None, page_size: int = 1000) -> Iterator[LoggedEvent]:
    """The events after position `after`, in the order they were stored, decoded."""
    remaining = limit
    position = after
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        page = app.recorder.select_notifications(
            position, size, topics=topics or (), inclusive_of_start=False
        )
        if not page:
            return
        for notification in page:
            yield decode(app, notification.id, notification)
        position = page[-1].id
        if remaining is not None:
            remaining -= len(page)


def head(app: Application[UUID]) -> int:
    """The position of the last event stored (0 for an empty store)."""
    return app.recorder.max_notification_id() or 0


def history_at(app: Application[UUID], aggregate_id: UUID,
               at: datetime) -> tuple[list[LoggedEvent], Aggregate]:
    """An aggregate's events up to `at`, and its state then, replayed from the store."""
    stored = cast(list[DomainEvent], list(app.events.get(aggregate_id)))
    if not stored:
        raise NotFound("not_found", "there is nothing with that id in the store")
    if at < stored[0].timestamp:
        raise RuleViolation("before_first_event",
                            f"there is no history before {stored[0].timestamp.isoformat()}")
    upto = [e for e in stored if e.timestamp <= at]
    aggregate: Aggregate = app.repository.get(aggregate_id,
                                              version=upto[-1].originator_version)
    events = [LoggedEvent(
        position=0, type=event_type(topic_of(e)), topic=topic_of(e),
        originator_id=e.originator_id, originator_version=e.originator_version,
        timestamp=e.timestamp, actor=getattr(e, "actor", {}),
        payload={k: v for k, v in vars(e).items() if k not in _BASE_FIELDS},
    ) for e in upto]
    return events, aggregate
