"""What every aggregate of ours shares: stable topics, an actor on every event,
explicit event versions, and ids derived from natural keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

# Fixed forever: every aggregate id is uuid5(NAMESPACE, "<kind>/<natural key>"),
# so any adapter can address an aggregate without a lookup table.
NAMESPACE = UUID("5d3a6f5e-2b1c-4f57-9c1e-0a9e2b7c4d10")


def natural_id(kind: str, *parts: object) -> UUID:
    return uuid5(NAMESPACE, "/".join([kind, *map(str, parts)]))


class PersonalIds:
    """Ids of aggregates whose natural key is personal data (a UZI number).

    A uuid5 over a public namespace can be inverted by trying every nine-digit number
    (about an hour at 250,000 a second), which would read UZI numbers back out of an
    encrypted store. With a deployment key the id is an HMAC-SHA256 of the same name,
    shaped as a UUID: still derived, so every adapter addresses the aggregate without a
    lookup table, but only by whoever holds the key. Without a key (stores made before
    this, and unit tests) the ids stay uuid5, so existing stores keep their ids."""

    def __init__(self, key: bytes | None = None,
                 refusal: Callable[[], Exception] | None = None) -> None:
        self.key = key
        self.refusal = refusal  # the store needs a key this process lacks: say so when used

    def __call__(self, kind: str, *parts: object) -> UUID:
        if self.refusal is not None:
            raise self.refusal()
        if self.key is None:
            return natural_id(kind, *parts)
        name = "/".join([kind, *map(str, parts)]).encode()
        return UUID(bytes=hmac.new(self.key, name, hashlib.sha256).digest()[:16], version=4)


class DomainEvent(Aggregate.Event):
    """Base of our events. Every event records who did it (docs/architecture.md, section 3).

    ``class_version`` is explicit on every event class; a change of payload
    shape raises it and adds a static ``upcast_vN_vN+1`` (see BlankCardOrder.Placed).
    """

    class_version = 1
    actor: dict[str, Any]


def event_type(topic: str) -> str:
    """`zorgid:Card.Revoked` -> `Card.Revoked`: the short type auditors read."""
    return topic.partition(":")[2] or topic
