"""History of one card or practice, replayed from the store (not from the views)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.application import CardLifecycle, LoggedEvent
from domain.card import Card
from domain.errors import NotFound, RuleViolation
from domain.picture import state_of
from domain.practice import Practice


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
        elif re.fullmatch(r"[A-Z0-9][A-Z0-9-]{5,31}", text, re.IGNORECASE):  # any case
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
    moment = at or app.clock.now()
    try:
        events, aggregate = app.history_at(aggregate_id, moment)
    except RuleViolation as error:
        raise RuleViolation(error.code, f"{target}: {error.message}") from None
    return History(events, moment, state_of(aggregate, moment))
