"""A JSON Schema (draft 2020-12) per published event type, generated from the event
classes, so the documentation cannot drift from what the relay sends."""

from __future__ import annotations

import json
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.kafka.messages import (
    HOLDER_KEPT,
    PERSONAL_FIELDS,
    event_classes,
    payload_fields,
)

SCHEMA_ID = "https://zorgid-cards.example/schemas/events/"


def _schema(hint: Any) -> dict[str, Any]:
    if hint is str:
        return {"type": "string"}
    if hint is int:
        return {"type": "integer"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is datetime:
        return {"type": "string", "format": "date-time"}
    if hint is date:
        return {"type": "string", "format": "date"}
    if hint is UUID:
        return {"type": "string", "format": "uuid"}
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        return {"type": "array", "items": _schema(item)}
    if origin is dict:
        _, item = typing.get_args(hint)
        return {"type": "object", "additionalProperties": _schema(item)}
    return {}


ACTOR = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["person", "system"]},
        "name": {"type": "string", "x-personal-data": True},
        "uzi_number": {"type": "string", "pattern": "^[0-9]{9}$", "x-personal-data": True},
        "role": {"type": "string"},
        "card_type": {"enum": ["Z", "N", "M", "S"]},
        "ura": {"type": "string", "pattern": "^[0-9]{8}$"},
    },
    "required": ["kind"],
    "additionalProperties": False,
}


def event_schema(kind: str) -> dict[str, Any]:
    cls = event_classes()[kind]
    personal = PERSONAL_FIELDS.get(kind, frozenset())
    properties: dict[str, Any] = {}
    for name, hint in payload_fields(cls).items():
        properties[name] = _schema(hint)
        if name in personal:
            properties[name]["x-personal-data"] = True
    if "holder" in properties:
        properties["holder"]["description"] = (
            f"Only {', '.join(HOLDER_KEPT)} where the topic carries no personal data.")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID}{kind}.json",
        "title": kind,
        "description": f"The {kind} event as published on Kafka (event class version "
                       f"{cls.class_version}).",
        "type": "object",
        "properties": {
            "position": {"type": "integer", "minimum": 1,
                         "description": "Place in the store's total order; drop duplicates by it."},
            "id": {"type": "string", "format": "uuid",
                   "description": "Stable id of the event (the same when republished)."},
            "type": {"const": kind},
            "version": {"const": cls.class_version},
            "originator_id": {"type": "string", "format": "uuid"},
            "originator_version": {"type": "integer", "minimum": 1},
            "timestamp": {"type": "string", "format": "date-time"},
            "actor": ACTOR,
            "payload": {
                "type": "object",
                "properties": properties,
                "required": sorted(set(properties) - personal),
                "additionalProperties": False,
            },
        },
        "required": ["position", "id", "type", "version", "originator_id",
                     "originator_version", "timestamp", "actor", "payload"],
        "additionalProperties": False,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    return {kind: event_schema(kind) for kind in sorted(event_classes())}


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, schema in all_schemas().items():
        path = directory / f"{kind}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
