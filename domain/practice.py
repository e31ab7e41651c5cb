"""Practice: a huisartsenpraktijk, huisartsenpost or apotheek, one per URA (R1),
with its administrators and beheerders (R2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, natural_id
from domain.errors import NotAllowed, RuleViolation
from domain.identity import Actor, Ura, UziNumber, parse_choice
from domain.text import plain_text


class PracticeKind(StrEnum):
    GP_PRACTICE = "huisartsenpraktijk"
    GP_POST = "huisartsenpost"
    PHARMACY = "apotheek"

    @classmethod
    def parse(cls, value: object) -> PracticeKind:
        return parse_choice(cls, value, "invalid_practice_kind", "a kind of practice")


class ManagerRole(StrEnum):
    ADMINISTRATOR = "administrator"
    BEHEERDER = "beheerder"

    @classmethod
    def parse(cls, value: object) -> ManagerRole:
        return parse_choice(cls, value, "invalid_manager_role", "a manager role")


@dataclass(frozen=True)
class Manager:
    uzi_number: str
    name: str
    role: ManagerRole


class Practice(Aggregate):
    TOPIC = "zorgid:Practice"

    class Event(DomainEvent):
        pass

    class Registered(Event, Aggregate.Created):
        TOPIC = "zorgid:Practice.Registered"
        ura: str
        name: str
        kind: str
        administrator_uzi_number: str
        administrator_name: str

    Created = Registered

    class ManagerAppointed(Event):
        TOPIC = "zorgid:Practice.ManagerAppointed"
        uzi_number: str
        name: str
        role: str

        def apply(self, practice: Practice) -> None:
            practice.managers[self.uzi_number] = Manager(
                self.uzi_number, self.name, ManagerRole(self.role)
            )

    class ManagerDismissed(Event):
        TOPIC = "zorgid:Practice.ManagerDismissed"
        uzi_number: str

        def apply(self, practice: Practice) -> None:
            del practice.managers[self.uzi_number]

    class LinkInvitationSent(Event):
        """A manager invited a person (by UZI number) to link their card to the practice
        (R7); the link exists once the holder accepts."""

        TOPIC = "zorgid:Practice.LinkInvitationSent"
        uzi_number: str

        def apply(self, practice: Practice) -> None:
            practice.invitations[self.uzi_number] = self.timestamp

    class LinkInvitationEnded(Event):
        TOPIC = "zorgid:Practice.LinkInvitationEnded"
        uzi_number: str
        outcome: str  # "accepted", "declined" (by the person) or "withdrawn" (by a manager)

        def apply(self, practice: Practice) -> None:
            practice.invitations.pop(self.uzi_number, None)

    def __init__(
        self,
        ura: str,
        name: str,
        kind: str,
        administrator_uzi_number: str,
        administrator_name: str,
        actor: dict[str, Any],
    ) -> None:
        self.ura = ura
        self.name = name
        self.kind = PracticeKind(kind)
        # R2: the representative who registers becomes the first administrator.
        self.managers: dict[str, Manager] = {
            administrator_uzi_number: Manager(
                administrator_uzi_number, administrator_name, ManagerRole.ADMINISTRATOR
            )
        }
        self.invitations: dict[str, datetime] = {}  # UZI number -> invited at

    @staticmethod
    def create_id(ura: str) -> UUID:
        return natural_id("practice", Ura(ura))

    @classmethod
    def register(
        cls, ura: Ura, name: str, kind: PracticeKind, representative: Actor, now: datetime
    ) -> Practice:
        assert representative.uzi_number is not None
        return cls._create(
            cls.Registered,
            id=cls.create_id(ura),
            ura=str(ura),
            name=plain_text(name, "practice_name"),
            kind=kind.value,
            administrator_uzi_number=representative.uzi_number,
            administrator_name=representative.name,
            actor=representative.to_dict(),
            timestamp=now,
        )

    # queries

    def role_of(self, uzi_number: str) -> ManagerRole | None:
        manager = self.managers.get(uzi_number)
        return manager.role if manager else None

    def is_manager(self, uzi_number: str | None) -> bool:
        return uzi_number is not None and uzi_number in self.managers

    def is_invited(self, uzi_number: str | None) -> bool:
        return uzi_number is not None and uzi_number in self.invitations

    def invite_to_link(self, uzi_number: str, actor: Actor, now: datetime) -> None:
        """R7: a manager's half of a link's consent, addressed to a person."""
        self.check_is_manager(actor)
        if uzi_number in self.invitations:
            raise RuleViolation("already_invited",
                                "this person has already been invited to link their card")
        self.trigger_event(self.LinkInvitationSent, uzi_number=uzi_number,
                           actor=actor.to_dict(), timestamp=now)

    def end_invitation(self, uzi_number: str, outcome: str, actor: Actor,
                       now: datetime) -> None:
        if uzi_number not in self.invitations:
            raise RuleViolation("no_link_invitation",
                                "there is no open invitation for this person to link a card")
        self.trigger_event(self.LinkInvitationEnded, uzi_number=uzi_number, outcome=outcome,
                           actor=actor.to_dict(), timestamp=now)

    def administrators(self) -> list[Manager]:
        return [m for m in self.managers.values() if m.role is ManagerRole.ADMINISTRATOR]

    # guards

    def check_is_administrator(self, actor: Actor) -> None:
        role = self.role_of(actor.uzi_number) if actor.uzi_number else None
        if role is not ManagerRole.ADMINISTRATOR:
            raise NotAllowed(
                "not_administrator", f"only an administrator of {self.name} may do this"
            )

    def check_is_manager(self, actor: Actor) -> None:
        if not self.is_manager(actor.uzi_number):
            raise NotAllowed(
                "not_manager", f"only an administrator or beheerder of {self.name} may do this"
            )

    # commands

    def appoint_manager(
        self, uzi_number: UziNumber, name: str, role: ManagerRole, actor: Actor, now: datetime
    ) -> None:
        self.check_is_administrator(actor)
        current = self.managers.get(uzi_number)
        if current is not None and current.role is role:
            raise RuleViolation(
                "already_manager", f"{current.name} is already {role.value} of {self.name}"
            )
        if current is not None and current.role is ManagerRole.ADMINISTRATOR:
            self._check_keeps_an_administrator(uzi_number)
        self.trigger_event(
            self.ManagerAppointed,
            uzi_number=str(uzi_number),
            name=plain_text(name, "manager_name"),
            role=role.value,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def dismiss_manager(self, uzi_number: UziNumber, actor: Actor, now: datetime) -> None:
        self.check_is_administrator(actor)
        if uzi_number not in self.managers:
            raise RuleViolation(
                "not_a_manager", f"{uzi_number} is not an administrator or beheerder of {self.name}"
            )
        self._check_keeps_an_administrator(uzi_number)
        self.trigger_event(
            self.ManagerDismissed, uzi_number=str(uzi_number), actor=actor.to_dict(), timestamp=now
        )

    def _check_keeps_an_administrator(self, leaving: str) -> None:
        # R2: a practice always keeps at least one administrator.
        if [m.uzi_number for m in self.administrators()] == [leaving]:
            raise RuleViolation(
                "last_administrator",
                f"{self.name} must keep at least one administrator; appoint another first",
            )
