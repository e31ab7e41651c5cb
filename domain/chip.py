"""A blank card's chip, by its own identity: the Yubico-style serial its applet reports, or
the CHUID GUID the supplier wrote. The fulfilment service records it per shipped card, so
a reader agent finds which printed serial a factory-fresh card is without borrowing one of
the card's data objects (SP 800-73-4 leaves the serial to the chip)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, natural_id
from domain.errors import InvalidValue
from domain.identity import Actor

CHIP_ID = re.compile(r"(yubico:[0-9]{1,10}|chuid:[0-9a-f]{32}|cplc:[0-9a-f]{16})")


def chip_id(value: object) -> str:
    """`yubico:<serial>`, `chuid:<GUID, 32 hex>` or `cplc:<IC fabricator, type and serial,
    16 hex>`, in lower case."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if not CHIP_ID.fullmatch(text):
        raise InvalidValue("invalid_chip_id", f"{value!r} is not a chip identity "
                           "(yubico:<serial>, chuid:<32 hex digits> or cplc:<16 hex digits>)")
    return text


class Chip(Aggregate):
    TOPIC = "zorgid:Chip"

    class Event(DomainEvent):
        pass

    class Registered(Event, Aggregate.Created):
        TOPIC = "zorgid:Chip.Registered"
        chip_id: str
        serial: str

    Created = Registered

    def __init__(self, chip_id: str, serial: str, actor: dict[str, Any]) -> None:
        self.chip_id = chip_id
        self.serial = serial

    @staticmethod
    def create_id(chip_id: str) -> UUID:
        return natural_id("chip", chip_id)

    @classmethod
    def register(cls, chip_id: str, serial: str, actor: Actor, now: datetime) -> Chip:
        return cls._create(cls.Registered, id=cls.create_id(chip_id), chip_id=chip_id,
                           serial=serial, actor=actor.to_dict(), timestamp=now)
