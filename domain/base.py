"""What every aggregate of ours shares: stable topics, an actor on every event,
explicit event versions, and ids derived from natural keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

# Fixed forever: every aggregate id is uuid5(NAMESPACE, "<kind>/<natural key>"),
# so any adapter can address an aggregate without a lookup table.
NAMESPACE = UUID("5d3a6f5e-2b1c-4f57-9c1e-0a9e2b7c4d10")


def natural_id(kind: str, *parts: object) -> UUID:
    return uuid5(NAMESPACE, "/".join([kind, *map(str, parts)]))


class DomainEvent(Aggregate.Event):
    """Base of our events. Every event records who did it (DESIGN.md section 3).

    ``class_version`` is explicit on every event class; a change of payload
    shape raises it and adds a static ``upcast_vN_vN+1`` (see BlankCardOrder.Placed).
    """

    class_version = 1
    actor: dict[str, Any]


def event_type(topic: str) -> str:
    """`zorgid:Card.Revoked` -> `Card.Revoked`: the short type auditors read."""
    return topic.partition(":")[2] or topic
