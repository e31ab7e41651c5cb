"""Person: everything that must be consistent per UZI number.

R5 (at most one active card per UZI number) and R12 (a manager holds no card,
a cardholder is no manager) span several aggregates. Putting the facts they
depend on in one aggregate per person makes optimistic concurrency enforce
them: two activations, or an activation and an appointment, racing for the
same person conflict on this aggregate's version and one of them re-checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, PersonalIds
from domain.identity import Actor, UziNumber


class Person(Aggregate):
    TOPIC = "zorgid:Person"

    class Event(DomainEvent):
        pass

    class Identified(Event, Aggregate.Created):
        TOPIC = "zorgid:Person.Identified"
        uzi_number: str

    Created = Identified

    class ManagerRoleAssigned(Event):
        TOPIC = "zorgid:Person.ManagerRoleAssigned"
        ura: str
        role: str

        def apply(self, person: Person) -> None:
            person.manager_roles[self.ura] = self.role

    class ManagerRoleRemoved(Event):
        TOPIC = "zorgid:Person.ManagerRoleRemoved"
        ura: str

        def apply(self, person: Person) -> None:
            person.manager_roles.pop(self.ura, None)

    class ActiveCardSet(Event):
        TOPIC = "zorgid:Person.ActiveCardSet"
        card_id: UUID
        expires_at: datetime

        def apply(self, person: Person) -> None:
            person.active_card_id = self.card_id
            person.active_card_expires_at = self.expires_at

    class ActiveCardCleared(Event):
        TOPIC = "zorgid:Person.ActiveCardCleared"
        card_id: UUID
        reason: str

        def apply(self, person: Person) -> None:
            person.active_card_id = None
            person.active_card_expires_at = None

    def __init__(self, uzi_number: str, actor: dict[str, Any]) -> None:
        self.uzi_number = uzi_number
        self.manager_roles: dict[str, str] = {}
        self.active_card_id: UUID | None = None
        self.active_card_expires_at: datetime | None = None

    @staticmethod
    def create_id(uzi_number: str, ids: PersonalIds | None = None) -> UUID:
        return (ids or PersonalIds())("person", UziNumber(uzi_number))

    @classmethod
    def identify(cls, uzi_number: str, actor: Actor, now: datetime,
                 ids: PersonalIds | None = None) -> Person:
        return cls._create(
            cls.Identified,
            id=cls.create_id(uzi_number, ids),
            uzi_number=str(UziNumber(uzi_number)),
            actor=actor.to_dict(),
            timestamp=now,
        )

    def is_manager(self) -> bool:
        return bool(self.manager_roles)

    def current_card(self, now: datetime) -> UUID | None:
        """The card this person holds that is not revoked and not past its end (R11)."""
        if self.active_card_id is None or self.active_card_expires_at is None:
            return None
        return self.active_card_id if now < self.active_card_expires_at else None

    def assign_manager_role(self, ura: str, role: str, actor: Actor, now: datetime) -> None:
        self.trigger_event(
            self.ManagerRoleAssigned, ura=ura, role=role, actor=actor.to_dict(), timestamp=now
        )

    def remove_manager_role(self, ura: str, actor: Actor, now: datetime) -> None:
        if ura in self.manager_roles:
            self.trigger_event(
                self.ManagerRoleRemoved, ura=ura, actor=actor.to_dict(), timestamp=now
            )

    def set_active_card(
        self, card_id: UUID, expires_at: datetime, actor: Actor, now: datetime
    ) -> None:
        self.trigger_event(
            self.ActiveCardSet,
            card_id=card_id,
            expires_at=expires_at,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def clear_active_card(self, card_id: UUID, reason: str, actor: Actor, now: datetime) -> None:
        if self.active_card_id == card_id:
            self.trigger_event(
                self.ActiveCardCleared,
                card_id=card_id,
                reason=reason,
                actor=actor.to_dict(),
                timestamp=now,
            )
