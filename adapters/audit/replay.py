"""History of one card or practice, replayed from the store (not from the views)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import CardLifecycle, LoggedEvent
from domain.base import event_type
from domain.card import Card
from domain.errors import NotFound, RuleViolation
from domain.practice import Practice


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def state_of(aggregate: Aggregate, at: datetime) -> dict[str, Any]:
    state = {"id": str(aggregate.id), "type": type(aggregate).__name__,
             "version": aggregate.version}
    state.update({k: jsonable(v) for k, v in vars(aggregate).items() if not k.startswith("_")})
    if isinstance(aggregate, Card):
        state["status_at"] = aggregate.status_at(at).value  # R11: expiry is a fact in time
    return state


def resolve(app: CardLifecycle, target: str) -> UUID:
    """A card id, a card serial, a practice id or a URA."""
    text = target.strip()
    try:
        candidate = UUID(text)
    except ValueError:
        candidate = None
    if candidate is None:
        if re.fullmatch(r"[0-9]{8}", text):
            candidate = Practice.create_id(text)
        elif re.fullmatch(r"[A-Z0-9][A-Z0-9-]{5,31}", text):
            candidate = Card.create_id(text)
    if candidate is not None:
        found = app.find(candidate)
        if isinstance(found, Card | Practice):
            return candidate
    raise NotFound("unknown_target",
                   f"{target!r} is not a card (id or serial) or practice (id or URA) in this store")


@dataclasses.dataclass
class History:
    events: list[LoggedEvent]
    at: datetime
    state: dict[str, Any]


def history(app: CardLifecycle, target: str, at: datetime | None = None) -> History:
    aggregate_id = resolve(app, target)
    stored = list(app.events.get(aggregate_id))
    moment = at or app.clock.now()
    if moment < stored[0].timestamp:
        raise RuleViolation(
            "before_first_event",
            f"{target} has no history before {stored[0].timestamp.isoformat()}")
    upto = [e for e in stored if e.timestamp <= moment]
    aggregate = app.repository.get(aggregate_id, version=upto[-1].originator_version)
    events = [LoggedEvent(
        position=0, type=event_type(type(e).TOPIC), topic=type(e).TOPIC,
        originator_id=e.originator_id, originator_version=e.originator_version,
        timestamp=e.timestamp, actor=getattr(e, "actor", {}),
        payload={k: v for k, v in vars(e).items() if k not in (
            "originator_id", "originator_version", "timestamp", "originator_topic", "actor")},
    ) for e in upto]
    return History(events, moment, state_of(aggregate, moment))
