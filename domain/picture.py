"""A plain, JSON-able picture of an aggregate's state at a moment (for auditors and the API)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.card import Card


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
