"""Our events as Kafka messages, and back.

Key: the aggregate id, so one card's (or practice's) events stay in order in one
partition. Value: JSON {position, id, type, version, originator_id,
originator_version, timestamp, actor, payload}. Headers: type, position and whether
personal data is in it.

Personal data (names, UZI numbers, AGB codes) is published only on topics configured
for it. Elsewhere those fields are left out, and Person events, keyed by a
pseudonym of the UZI number and only restating facts published elsewhere, are
not published at all.
"""

from __future__ import annotations

import functools
import json
import typing
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

from domain.base import DomainEvent, event_type, natural_id
from domain.card import Card
from domain.chip import Chip
from domain.mandate import Mandate
from domain.order import BlankCardOrder
from domain.person import Person
from domain.picture import jsonable
from domain.practice import Practice

AGGREGATES = (Practice, BlankCardOrder, Card, Mandate, Person, Chip)
BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic", "actor")

# Payload fields that identify a person, per event type.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "Practice.Registered": frozenset({"administrator_uzi_number", "administrator_name"}),
    "Practice.ManagerAppointed": frozenset({"uzi_number", "name"}),
    "Practice.ManagerDismissed": frozenset({"uzi_number"}),
    "Practice.LinkInvitationSent": frozenset({"uzi_number"}),
    "Practice.LinkInvitationEnded": frozenset({"uzi_number"}),
    "Mandate.Granted": frozenset({"grantor_uzi_number", "grantor_name", "mandatee_uzi_number"}),
}
# Inside nested objects (the card holder, the actor): what may stay without personal data.
HOLDER_KEPT = ("ura", "role")
ACTOR_KEPT = ("kind", "role", "card_type", "ura")


@functools.cache
def event_classes() -> dict[str, type[DomainEvent]]:
    """Every published event type, by its short type name (Card.Revoked)."""
    found: dict[str, type[DomainEvent]] = {}
    for aggregate in AGGREGATES:
        for value in vars(aggregate).values():
            topic = getattr(value, "TOPIC", None)
            if isinstance(value, type) and topic and topic != aggregate.TOPIC:
                found[event_type(topic)] = cast(type[DomainEvent], value)
    return found


@functools.cache
def payload_fields(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {name: hints[name] for name in fields if name not in BASE_FIELDS}


def event_id(originator_id: UUID, originator_version: int) -> UUID:
    """Stable across republishing: a duplicate carries the same id."""
    return natural_id("event", originator_id, originator_version)




@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    position: int


def to_message(position: int, topic: str, event: Any, personal_data: bool) -> Message | None:
    """The message for one stored event, or None where it is not published."""
    kind = event_type(topic)
    if not personal_data and kind.startswith("Person."):
        return None
    cls: type = type(event)
    payload = {name: jsonable(getattr(event, name)) for name in payload_fields(cls)}
    actor = dict(getattr(event, "actor", {}))
    if not personal_data:
        for name in PERSONAL_FIELDS.get(kind, ()):
            payload.pop(name, None)
        if "holder" in payload:
            payload["holder"] = {k: v for k, v in payload["holder"].items() if k in HOLDER_KEPT}
        if actor.get("kind") == "person":
            actor = {k: v for k, v in actor.items() if k in ACTOR_KEPT}
    value = {
        "position": position,
        "id": str(event_id(event.originator_id, event.originator_version)),
        "type": kind,
        "version": type(event).class_version,
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "timestamp": event.timestamp.isoformat(),
        "actor": actor,
        "payload": payload,
    }
    return Message(
        key=str(event.originator_id).encode(),
        value=json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(),
        headers=[("type", kind.encode()), ("position", str(position).encode()),
                 ("personal-data", b"included" if personal_data else b"omitted")],
        position=position,
    )


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is UUID:
        return UUID(value)
    return value


def from_value(value: dict[str, Any]) -> SimpleNamespace:
    """An event object with the attributes the projections read, typed as in the store."""
    cls = event_classes()[value["type"]]
    fields = payload_fields(cls)
    event = SimpleNamespace(
        originator_id=UUID(value["originator_id"]),
        originator_version=value["originator_version"],
        timestamp=datetime.fromisoformat(value["timestamp"]),
        actor=value["actor"],
    )
    for name, raw in value["payload"].items():
        setattr(event, name, _typed(fields.get(name), raw))
    return event
