"""Mandate (mandaat): a care provider lets an employee act under their responsibility.

R9: keyed on the mandatee's UZI number, not on a card, so it holds on any card
that person holds, a replacement included. At most three years, as
the LSP's own mandates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, PersonalIds
from domain.clock import add_years
from domain.errors import InvalidValue, NotAllowed, RuleViolation
from domain.identity import Actor, Ura, UziNumber

MAX_MANDATE_YEARS = 3


def check_mandate_period(valid_from: datetime, valid_until: datetime) -> None:
    if valid_until <= valid_from:
        raise InvalidValue("invalid_period", "a mandate must end after it starts")
    if valid_until > add_years(valid_from, MAX_MANDATE_YEARS):
        raise RuleViolation(
            "mandate_too_long", f"a mandate is valid for at most {MAX_MANDATE_YEARS} years"
        )


class Mandate(Aggregate):
    TOPIC = "zorgid:Mandate"

    class Event(DomainEvent):
        pass

    class Granted(Event, Aggregate.Created):
        TOPIC = "zorgid:Mandate.Granted"
        practice_ura: str
        grantor_uzi_number: str
        grantor_name: str
        grantor_role: str
        mandatee_uzi_number: str
        valid_from: datetime
        valid_until: datetime

    Created = Granted

    class Renewed(Event):
        """The same grantor mandates the same employee again: a new period."""

        TOPIC = "zorgid:Mandate.Renewed"
        valid_from: datetime
        valid_until: datetime

        def apply(self, mandate: Mandate) -> None:
            mandate.valid_from = self.valid_from
            mandate.valid_until = self.valid_until
            mandate.revoked_at = None

    class Revoked(Event):
        TOPIC = "zorgid:Mandate.Revoked"
        reason: str

        def apply(self, mandate: Mandate) -> None:
            mandate.revoked_at = self.timestamp

    def __init__(
        self,
        practice_ura: str,
        grantor_uzi_number: str,
        grantor_name: str,
        grantor_role: str,
        mandatee_uzi_number: str,
        valid_from: datetime,
        valid_until: datetime,
        actor: dict[str, Any],
    ) -> None:
        self.practice_ura = practice_ura
        self.grantor_uzi_number = grantor_uzi_number
        self.grantor_name = grantor_name
        self.grantor_role = grantor_role
        self.mandatee_uzi_number = mandatee_uzi_number
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.revoked_at: datetime | None = None

    @staticmethod
    def create_id(practice_ura: str, grantor_uzi_number: str, mandatee_uzi_number: str,
                  ids: PersonalIds | None = None) -> UUID:
        # One mandate per (practice, care provider, employee): granting again renews it.
        return (ids or PersonalIds())(
            "mandate", Ura(practice_ura), UziNumber(grantor_uzi_number),
            UziNumber(mandatee_uzi_number),
        )

    @classmethod
    def grant(
        cls,
        practice_ura: Ura,
        grantor: Actor,
        mandatee_uzi_number: UziNumber,
        valid_until: datetime,
        now: datetime,
        ids: PersonalIds | None = None,
    ) -> Mandate:
        assert grantor.uzi_number is not None and grantor.role is not None
        check_mandate_period(now, valid_until)
        return cls._create(
            cls.Granted,
            id=cls.create_id(practice_ura, grantor.uzi_number, mandatee_uzi_number, ids),
            practice_ura=str(practice_ura),
            grantor_uzi_number=grantor.uzi_number,
            grantor_name=grantor.name,
            grantor_role=grantor.role,
            mandatee_uzi_number=str(mandatee_uzi_number),
            valid_from=now,
            valid_until=valid_until,
            actor=grantor.to_dict(),
            timestamp=now,
        )

    def is_effective(self, now: datetime) -> bool:
        return self.revoked_at is None and self.valid_from <= now < self.valid_until

    def renew(self, valid_until: datetime, actor: Actor, now: datetime) -> None:
        check_mandate_period(now, valid_until)
        self.trigger_event(
            self.Renewed, valid_from=now, valid_until=valid_until, actor=actor.to_dict(),
            timestamp=now,
        )

    def revoke(self, reason: str, actor: Actor, is_administrator: bool, now: datetime) -> None:
        if actor.uzi_number != self.grantor_uzi_number and not is_administrator:
            raise NotAllowed(
                "not_grantor",
                "only the care provider who granted this mandate or an administrator of the "
                "practice may revoke it",
            )
        if not self.is_effective(now):
            raise RuleViolation("mandate_not_effective", "this mandate has already ended")
        self.trigger_event(
            self.Revoked, reason=reason, actor=actor.to_dict(), timestamp=now
        )
