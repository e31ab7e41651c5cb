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
from domain.errors import RuleViolation
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

    class EmailAddressSet(Event):
        """Where reminders reach this person (R17): personal data, as the whole of Person."""

        TOPIC = "zorgid:Person.EmailAddressSet"
        email: str

        def apply(self, person: Person) -> None:
            person.email = self.email

    class EmailAddressRemoved(Event):
        TOPIC = "zorgid:Person.EmailAddressRemoved"

        def apply(self, person: Person) -> None:
            person.email = None

    class ReminderSending(Event):
        """R17: this reminder is handed to the mail server now. Appended before the
        sending, so no run sends it again, whatever happens after."""

        TOPIC = "zorgid:Person.ReminderSending"
        card_id: UUID
        days_before: int
        message_id: str

        def apply(self, person: Person) -> None:
            person.reminders[reminder_key(self.card_id, self.days_before)] = "sending"

    class ReminderSent(Event):
        """The mail server accepted the reminder."""

        TOPIC = "zorgid:Person.ReminderSent"
        card_id: UUID
        days_before: int

        def apply(self, person: Person) -> None:
            person.reminders[reminder_key(self.card_id, self.days_before)] = "sent"

    class ReminderFailed(Event):
        """The mail server refused it or did not answer: nothing was delivered, so the
        next run may try again."""

        TOPIC = "zorgid:Person.ReminderFailed"
        card_id: UUID
        days_before: int
        detail: str

        def apply(self, person: Person) -> None:
            person.reminders[reminder_key(self.card_id, self.days_before)] = "failed"

    def __init__(self, uzi_number: str, actor: dict[str, Any]) -> None:
        self.uzi_number = uzi_number
        self.manager_roles: dict[str, str] = {}
        self.active_card_id: UUID | None = None
        self.active_card_expires_at: datetime | None = None
        self.email: str | None = None
        self.reminders: dict[str, str] = {}  # card:days -> sending, sent or failed

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

    # e-mail and reminders (R17)

    def set_email(self, email: str, actor: Actor, now: datetime) -> None:
        if email != self.email:
            self.trigger_event(self.EmailAddressSet, email=email, actor=actor.to_dict(),
                               timestamp=now)

    def remove_email(self, actor: Actor, now: datetime) -> None:
        if self.email is not None:
            self.trigger_event(self.EmailAddressRemoved, actor=actor.to_dict(), timestamp=now)

    def reminder_status(self, card_id: UUID, days_before: int) -> str | None:
        return self.reminders.get(reminder_key(card_id, days_before))

    def claim_reminder(self, card_id: UUID, days_before: int, message_id: str, actor: Actor,
                       now: datetime) -> None:
        """Once per card and threshold: again only after a failure the server reported."""
        if self.email is None:
            raise RuleViolation("no_email_address", "this person left no e-mail address")
        if self.reminder_status(card_id, days_before) not in (None, "failed"):
            raise RuleViolation("reminder_already_sent", "this reminder was sent already")
        self.trigger_event(self.ReminderSending, card_id=card_id, days_before=days_before,
                           message_id=message_id, actor=actor.to_dict(), timestamp=now)

    def confirm_reminder(self, card_id: UUID, days_before: int, delivered: bool, detail: str,
                         actor: Actor, now: datetime) -> None:
        if self.reminder_status(card_id, days_before) != "sending":
            raise RuleViolation("reminder_not_sending", "this reminder is not being sent")
        if delivered:
            self.trigger_event(self.ReminderSent, card_id=card_id, days_before=days_before,
                               actor=actor.to_dict(), timestamp=now)
        else:
            self.trigger_event(self.ReminderFailed, card_id=card_id, days_before=days_before,
                               detail=detail[:500], actor=actor.to_dict(), timestamp=now)


def reminder_key(card_id: UUID, days_before: int) -> str:
    return f"{card_id}:{days_before}"
