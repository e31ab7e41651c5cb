"""Card: one ZORG-ID Smartcard, from blank to revoked or expired.

Person-bound (R7): the holder is fixed at creation; practices link and unlink.
Final states are revoked and expired (R6); expiry is a fact at `expires_at`
even before the `Expired` event is appended (R11).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, natural_id
from domain.clock import add_years, end_of_day, utc_day_start
from domain.errors import InvalidValue, NotAllowed, NotFound, RuleViolation
from domain.identity import Actor, CardHolder, CardSerial, Ura, UziPass
from domain.text import plain_text

CARD_VALIDITY_YEARS = 3  # R4
# A personalisation that has not reported back within this time is taken as
# abandoned (reader agent crashed, workstation switched off): the blank card may
# be started again, and the abandoned attempt is recorded as a failure.
PERSONALISATION_TIMEOUT = timedelta(minutes=30)
# how long the pairing code of a card creation can be typed into a workstation helper
PAIRING_TIMEOUT = timedelta(minutes=15)
# how long a claimed PIN service may take at the workstation before it must be started again
PIN_SERVICE_TIMEOUT = timedelta(minutes=30)


class CardStatus(StrEnum):
    BLANK = "blank"
    PERSONALISING = "personalising"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class RevocationReason(StrEnum):
    """After the UZI-register CPS section 4.9.1. Employment ended is not among them:
    for ZORG-ID that is an unlink (R7)."""

    LOSS_OR_THEFT = "loss_or_theft"
    DEFECT = "defect"
    KEY_COMPROMISE = "key_compromise"  # (suspected) compromise of the private key
    PIN_OR_PUK_DISCLOSED = "pin_or_puk_disclosed"
    PUK_BLOCKED = "puk_blocked"
    ORGANISATION_CEASED = "organisation_ceased"
    DATA_INCORRECT = "data_incorrect"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    SUPERSEDED = "superseded"  # reserved for R5, recorded by the system

    @classmethod
    def parse(cls, value: object) -> RevocationReason:
        text = str(value).strip().lower()
        if text == "employment_ended":
            raise RuleViolation(
                "employment_ended_is_unlink",
                "a card is person-bound: when an employee leaves, unlink the card from the "
                "practice instead of revoking it",
            )
        try:
            reason = cls(text)
        except ValueError:
            allowed = ", ".join(r.value for r in cls if r is not cls.SUPERSEDED)
            raise InvalidValue(
                "invalid_revocation_reason", f"{value!r} is not a revocation reason ({allowed})"
            ) from None
        if reason is cls.SUPERSEDED:
            raise InvalidValue(
                "reserved_revocation_reason",
                "'superseded' is recorded by the system when a new card is activated",
            )
        return reason


class GuestUseEndReason(StrEnum):
    ENDED_EARLY = "ended_early"
    CARD_REVOKED = "card_revoked"
    CARD_EXPIRED = "card_expired"


@dataclass(frozen=True)
class GuestUse:
    id: UUID
    host_ura: str
    starts_on: date
    ends_on: date
    ended_at: datetime | None = None
    end_reason: str | None = None

    def end(self) -> datetime:
        """The first moment the guest use no longer holds."""
        natural_end = end_of_day(self.ends_on)
        return min(natural_end, self.ended_at) if self.ended_at else natural_end

    def is_current(self, now: datetime) -> bool:
        return utc_day_start(self.starts_on) <= now < self.end()

    def is_open(self, now: datetime) -> bool:
        """Current or still to come: what revocation or an early end cuts short."""
        return now < self.end()

    def overlaps(self, starts_on: date, ends_on: date) -> bool:
        last_day = self.ends_on if self.ended_at is None else self.ended_at.date()
        return self.starts_on <= ends_on and starts_on <= last_day


def workstation_label(workstation: str) -> str:
    """What a workstation helper calls itself, as one line of at most 64 characters."""
    label = " ".join(workstation.split())[:64]
    if not label:
        raise InvalidValue("invalid_workstation", "a workstation names itself")
    return label


def renewal_opens_on(expires_at: datetime, window: timedelta) -> date:
    """R14: the first day a card ending at `expires_at` may start its own successor."""
    return (expires_at - window).date()


@dataclass(frozen=True)
class PinService:
    """A PIN unblock the holder started in the portal, until it is done or replaced."""

    service_id: UUID
    started_at: datetime
    workstation: str | None = None  # set once a workstation helper has claimed it


# PIV's card management key algorithms (SP 800-78-4) and their key lengths in bytes
MANAGEMENT_KEY_ALGORITHMS = {"TDES": 24, "AES128": 16, "AES192": 24, "AES256": 32}


def management_key_algorithm(value: object) -> str:
    text = str(value).strip().upper().replace("-", "").replace("3DES", "TDES")
    if text not in MANAGEMENT_KEY_ALGORITHMS:
        raise InvalidValue("invalid_key_algorithm",
                           f"{value!r} is not one of {', '.join(MANAGEMENT_KEY_ALGORITHMS)}")
    return text


@dataclass(frozen=True)
class IssuedCertificate:
    """What the card CA issued for one key slot; the certificate itself lives in the CA."""

    slot: str  # PIV slot: 9A authentication, 9C signature
    serial_number: str  # hex
    sha256: str  # fingerprint of the DER
    not_after: datetime

    @classmethod
    def of(cls, slot: str, serial_number: int, der: bytes, not_after: datetime) \
            -> IssuedCertificate:
        """From an X.509 certificate's serial, DER encoding and notAfter."""
        return cls(slot, format(serial_number, "x"), hashlib.sha256(der).hexdigest(),
                   not_after)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "serial_number": self.serial_number,
            "sha256": self.sha256,
            "not_after": self.not_after.isoformat(),
        }


class Card(Aggregate):
    TOPIC = "zorgid:Card"

    class Event(DomainEvent):
        pass

    class ShippedToPractice(Event, Aggregate.Created):
        """A blank card left the warehouse for a practice (part of an order's shipment)."""

        TOPIC = "zorgid:Card.ShippedToPractice"
        # Version 1 had no chip identity nor key algorithm: every card then was our own
        # supplier's, its serial in data object 5FFF01, its blank key AES-128.
        class_version = 2
        serial: str
        order_id: UUID
        practice_ura: str
        chip_id: str | None
        management_key_algorithm: str | None  # as the supplier's card list says

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["chip_id"] = None
            state["management_key_algorithm"] = None

    Created = ShippedToPractice

    class CreationStarted(Event):
        TOPIC = "zorgid:Card.CreationStarted"
        # Version 1 knew one identity proof only, the UZI pass; version 2 names the proof
        # (R14: a renewal by the still-valid card counts, R15 a Dezi statement) and how
        # many renewals by card came since the last fresh proof.
        class_version = 2
        job_id: UUID
        holder: dict[str, str]  # uzi_number, name, given_name, surname, ura, role, agb
        identity_proof: str  # uzi_pass, card_renewal (R14) or dezi (R15)
        renewals_since_proof: int  # 0 after a fresh proof; +1 per renewal by card
        renews: UUID | None  # the card this one renews

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["identity_proof"] = "uzi_pass"
            state["renewals_since_proof"] = 0
            state["renews"] = None

        def apply(self, card: Card) -> None:
            card.renewals_since_proof = self.renewals_since_proof
            card.status = CardStatus.PERSONALISING
            card.holder = dict(self.holder)
            card.job_id = self.job_id
            card.creation_started_at = self.timestamp
            card.certificates = []
            card.job_claimed = False

    class JobClaimed(Event):
        """A workstation helper took the running personalisation job with its pairing
        code: from now on that helper is the job's only agent (no other can claim it)."""

        TOPIC = "zorgid:Card.JobClaimed"
        job_id: UUID
        workstation: str  # what the helper calls itself, for the holder and the auditor

        def apply(self, card: Card) -> None:
            card.job_claimed = True

    class CertificatesIssued(Event):
        TOPIC = "zorgid:Card.CertificatesIssued"
        certificates: list[dict[str, Any]]
        not_before: datetime
        not_after: datetime

        def apply(self, card: Card) -> None:
            card.certificates = list(self.certificates)
            card.not_before = self.not_before
            card.not_after = self.not_after

    class Activated(Event):
        TOPIC = "zorgid:Card.Activated"
        activated_at: datetime
        expires_at: datetime

        def apply(self, card: Card) -> None:
            card.status = CardStatus.ACTIVE
            card.activated_at = self.activated_at
            card.expires_at = self.expires_at

    class PersonalisationFailed(Event):
        TOPIC = "zorgid:Card.PersonalisationFailed"
        job_id: UUID
        step: str
        detail: str

        def apply(self, card: Card) -> None:
            # Nothing of the failed attempt stays: the blank card can be tried again.
            card.status = CardStatus.BLANK
            card.holder = None
            card.job_id = None
            card.certificates = []
            card.failed_attempts += 1

    class LinkedToPractice(Event):
        TOPIC = "zorgid:Card.LinkedToPractice"
        ura: str

        def apply(self, card: Card) -> None:
            card.links.add(self.ura)
            card.link_requests.discard(self.ura)  # a request approved is a request no more

    class LinkRequested(Event):
        """The holder asked to be linked to a practice (R7); a manager approves or not."""

        TOPIC = "zorgid:Card.LinkRequested"
        ura: str

        def apply(self, card: Card) -> None:
            card.link_requests.add(self.ura)

    class LinkRequestEnded(Event):
        """A link request ended without a link: declined by the practice, or withdrawn by
        the holder."""

        TOPIC = "zorgid:Card.LinkRequestEnded"
        ura: str
        outcome: str  # "declined" or "withdrawn"

        def apply(self, card: Card) -> None:
            card.link_requests.discard(self.ura)

    class UnlinkedFromPractice(Event):
        TOPIC = "zorgid:Card.UnlinkedFromPractice"
        ura: str

        def apply(self, card: Card) -> None:
            card.links.discard(self.ura)

    class GuestUseGranted(Event):
        TOPIC = "zorgid:Card.GuestUseGranted"
        guest_use_id: UUID
        host_ura: str
        starts_on: date
        ends_on: date

        def apply(self, card: Card) -> None:
            card.guest_uses[self.guest_use_id] = GuestUse(
                self.guest_use_id, self.host_ura, self.starts_on, self.ends_on
            )

    class GuestUseEnded(Event):
        TOPIC = "zorgid:Card.GuestUseEnded"
        guest_use_id: UUID
        reason: str

        def apply(self, card: Card) -> None:
            use = card.guest_uses[self.guest_use_id]
            card.guest_uses[self.guest_use_id] = replace(
                use, ended_at=self.timestamp, end_reason=self.reason
            )

    class Suspended(Event):
        TOPIC = "zorgid:Card.Suspended"
        reason: str

        def apply(self, card: Card) -> None:
            card.status = CardStatus.SUSPENDED
            card.suspension_reason = self.reason

    class Resumed(Event):
        TOPIC = "zorgid:Card.Resumed"

        def apply(self, card: Card) -> None:
            card.status = CardStatus.ACTIVE
            card.suspension_reason = None

    class Revoked(Event):
        TOPIC = "zorgid:Card.Revoked"
        reason: str

        def apply(self, card: Card) -> None:
            card.status = CardStatus.REVOKED
            card.revoked_at = self.timestamp
            card.revocation_reason = self.reason
            card.pin_service = None

    class Expired(Event):
        TOPIC = "zorgid:Card.Expired"

        def apply(self, card: Card) -> None:
            card.status = CardStatus.EXPIRED

    class PinServiceStarted(Event):
        """The holder asked in the portal to unblock the card's PIN with the PUK at a
        workstation (PIN forgotten or blocked); the portal shows a pairing code for it."""

        TOPIC = "zorgid:Card.PinServiceStarted"
        service_id: UUID

        def apply(self, card: Card) -> None:
            card.pin_service = PinService(self.service_id, self.timestamp)

    class PinServiceClaimed(Event):
        """A workstation helper took the PIN service with its pairing code, once."""

        TOPIC = "zorgid:Card.PinServiceClaimed"
        service_id: UUID
        workstation: str

        def apply(self, card: Card) -> None:
            service = card.pin_service
            if service is not None:
                card.pin_service = replace(service, workstation=self.workstation)

    class PinUnblocked(Event):
        """R16: the PIN was unblocked with the PUK and a new PIN chosen, at the
        workstation. Neither the PUK nor any PIN is known here: only that it happened."""

        TOPIC = "zorgid:Card.PinUnblocked"
        service_id: UUID
        workstation: str

        def apply(self, card: Card) -> None:
            card.pin_service = None

    def __init__(
        self, serial: str, order_id: UUID, practice_ura: str, actor: dict[str, Any],
        chip_id: str | None = None, management_key_algorithm: str | None = None,
    ) -> None:
        self.serial = serial
        self.chip_id = chip_id
        self.management_key_algorithm = management_key_algorithm
        self.order_id = order_id
        self.shipped_to_ura = practice_ura
        self.status = CardStatus.BLANK
        self.holder: dict[str, str] | None = None
        self.job_id: UUID | None = None
        self.creation_started_at: datetime | None = None
        self.job_claimed = False
        self.certificates: list[dict[str, Any]] = []
        self.not_before: datetime | None = None
        self.not_after: datetime | None = None
        self.activated_at: datetime | None = None
        self.expires_at: datetime | None = None
        self.links: set[str] = set()
        self.link_requests: set[str] = set()  # URAs the holder asked to be linked to
        self.guest_uses: dict[UUID, GuestUse] = {}
        self.suspension_reason: str | None = None
        self.revoked_at: datetime | None = None
        self.revocation_reason: str | None = None
        self.failed_attempts = 0
        self.pin_service: PinService | None = None
        self.renewals_since_proof = 0  # R14: renewals by card since the last fresh proof

    @staticmethod
    def create_id(serial: str) -> UUID:
        return natural_id("card", CardSerial(serial))

    @classmethod
    def ship(
        cls, serial: CardSerial, order_id: UUID, practice_ura: Ura, actor: Actor, now: datetime,
        chip_id: str | None = None, management_key_algorithm: str | None = None,
    ) -> Card:
        return cls._create(
            cls.ShippedToPractice,
            id=cls.create_id(serial),
            serial=str(serial),
            order_id=order_id,
            practice_ura=str(practice_ura),
            chip_id=chip_id,
            management_key_algorithm=management_key_algorithm,
            actor=actor.to_dict(),
            timestamp=now,
        )

    # queries

    def status_at(self, now: datetime) -> CardStatus:
        """The status as it holds at `now`: past `expires_at` it is expired (R11)."""
        if (
            self.status in (CardStatus.ACTIVE, CardStatus.SUSPENDED)
            and self.expires_at is not None
            and now >= self.expires_at
        ):
            return CardStatus.EXPIRED
        return self.status

    @property
    def card_holder(self) -> CardHolder | None:
        return CardHolder.from_event(self.holder) if self.holder else None

    @property
    def holder_uzi_number(self) -> str | None:
        return self.holder["uzi_number"] if self.holder else None

    def is_holder(self, actor: Actor) -> bool:
        return actor.uzi_number is not None and actor.uzi_number == self.holder_uzi_number

    def current_guest_uses(self, now: datetime) -> list[GuestUse]:
        return [g for g in self.guest_uses.values() if g.is_current(now)]

    def open_guest_uses(self, now: datetime) -> list[GuestUse]:
        return [g for g in self.guest_uses.values() if g.ended_at is None and g.is_open(now)]

    # guards

    def check_not_final(self, now: datetime) -> None:
        """R6: a revoked or expired card takes no further command."""
        status = self.status_at(now)
        if status is CardStatus.REVOKED:
            raise RuleViolation("card_revoked", "this card has been revoked and takes no commands")
        if status is CardStatus.EXPIRED:
            raise RuleViolation("card_expired", "this card has expired and takes no commands")

    def check_issued(self, now: datetime) -> None:
        """Active or suspended: personalised, and not in a final state."""
        self.check_not_final(now)
        if self.status not in (CardStatus.ACTIVE, CardStatus.SUSPENDED):
            raise RuleViolation(
                "card_not_active", f"this card is {self.status.value}, not yet in use"
            )

    def check_active(self, now: datetime) -> None:
        self.check_issued(now)
        if self.status is CardStatus.SUSPENDED:
            raise RuleViolation("card_suspended", "this card is suspended")

    def check_personalising(self, job_id: UUID | None = None) -> None:
        if self.status is not CardStatus.PERSONALISING:
            raise RuleViolation(
                "card_not_personalising",
                f"this card is {self.status.value}; no personalisation is running for it",
            )
        if job_id is not None and job_id != self.job_id:
            raise RuleViolation(
                "stale_personalisation_job", "this personalisation job is no longer current"
            )

    # commands: creation and personalisation

    def start_creation(self, holder: UziPass, job_id: UUID, actor: Actor, now: datetime,
                       proof: str = "uzi_pass", renewals_since_proof: int = 0,
                       renews: UUID | None = None) -> None:
        """R3: an employee creates their own card from a blank card shipped to their practice."""
        if self.status is CardStatus.PERSONALISING:
            assert self.creation_started_at is not None
            if now - self.creation_started_at < PERSONALISATION_TIMEOUT:
                raise RuleViolation(
                    "card_in_personalisation",
                    "this card is being personalised right now; wait or try again in "
                    f"{PERSONALISATION_TIMEOUT.seconds // 60} minutes",
                )
            self.abandon_personalisation(actor, now)
        if self.status is not CardStatus.BLANK:
            raise RuleViolation("card_not_blank", "this card has already been used")
        if holder.ura != self.shipped_to_ura:
            raise RuleViolation(
                "blank_card_not_for_practice",
                "this blank card was shipped to another practice than the one on your UZI pass",
            )
        self.trigger_event(
            self.CreationStarted,
            job_id=job_id,
            holder=CardHolder.of_pass(holder).to_event(),
            identity_proof=proof,
            renewals_since_proof=renewals_since_proof,
            renews=renews,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def claim_job(self, job_id: UUID, workstation: str, actor: Actor, now: datetime) -> None:
        """A workstation helper takes the job (its pairing code typed in): once, while
        the job is new, before it has certificates."""
        self.check_personalising(job_id)
        if self.job_claimed:
            raise RuleViolation("job_already_claimed", "another workstation already took "
                                "this card creation; start a new one in the portal")
        assert self.creation_started_at is not None
        if self.certificates or now - self.creation_started_at > PAIRING_TIMEOUT:
            raise RuleViolation("pairing_expired", "this pairing code is no longer valid; "
                                "start the card creation again in the portal")
        self.trigger_event(self.JobClaimed, job_id=job_id,
                           workstation=workstation_label(workstation),
                           actor=actor.to_dict(), timestamp=now)

    def abandon_personalisation(self, actor: Actor, now: datetime) -> None:
        """The running personalisation reported nothing in time (agent crashed,
        workstation off): recorded as failed, so its certificates go on the CRL."""
        self.fail_personalisation(self.job_id, "abandoned", "no result reported within "
                                  f"{PERSONALISATION_TIMEOUT.seconds // 60} minutes", actor, now)

    def certificate_validity(self, now: datetime,
                             job_id: UUID | None = None) -> tuple[datetime, datetime]:
        """R4: the validity the CA must give the certificates: from now, three calendar years.
        With the job: also that this job may still have certificates issued, so the CA
        signs nothing the store would then refuse to record."""
        self.check_personalising(job_id)
        if job_id is not None and self.certificates:
            raise RuleViolation(
                "certificates_already_issued", "certificates were already issued for this job"
            )
        start = now.replace(microsecond=0)  # X.509 times have whole seconds
        return start, add_years(start, CARD_VALIDITY_YEARS)

    def record_certificates(
        self,
        job_id: UUID,
        certificates: list[IssuedCertificate],
        not_before: datetime,
        actor: Actor,
        now: datetime,
    ) -> None:
        self.check_personalising(job_id)
        if self.certificates:
            raise RuleViolation(
                "certificates_already_issued", "certificates were already issued for this job"
            )
        not_after = add_years(not_before, CARD_VALIDITY_YEARS)
        if not certificates:
            raise InvalidValue("no_certificates", "at least one certificate is required")
        for cert in certificates:
            if cert.not_after != not_after:
                raise RuleViolation(
                    "certificate_validity_mismatch",
                    f"certificate for slot {cert.slot} ends {cert.not_after.isoformat()}, "
                    f"the card ends {not_after.isoformat()} (R4)",
                )
        self.trigger_event(
            self.CertificatesIssued,
            certificates=[c.to_dict() for c in certificates],
            not_before=not_before,
            not_after=not_after,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def activate(self, job_id: UUID, actor: Actor, now: datetime) -> None:
        self.check_personalising(job_id)
        if not self.certificates or self.not_before is None or self.not_after is None:
            raise RuleViolation(
                "certificates_not_issued", "the card cannot be activated before its certificates "
                "are issued and written"
            )
        assert self.holder is not None
        # R4: the card is valid from the start of its certificates' validity for exactly
        # three calendar years, so card and certificates end at the same moment.
        self.trigger_event(
            self.Activated,
            activated_at=self.not_before,
            expires_at=self.not_after,
            actor=actor.to_dict(),
            timestamp=now,
        )
        self.trigger_event(
            self.LinkedToPractice, ura=self.holder["ura"], actor=actor.to_dict(), timestamp=now
        )

    def fail_personalisation(
        self, job_id: UUID | None, step: str, detail: str, actor: Actor, now: datetime
    ) -> None:
        self.check_personalising(job_id)
        self.trigger_event(
            self.PersonalisationFailed,
            job_id=self.job_id,
            step=step,
            detail=detail[:500],
            actor=actor.to_dict(),
            timestamp=now,
        )

    # commands: practices and guest use

    def link(self, ura: Ura, actor: Actor, now: datetime) -> None:
        self.check_issued(now)
        if ura in self.links:
            raise RuleViolation("already_linked", "this card is already linked to that practice")
        self.trigger_event(
            self.LinkedToPractice, ura=str(ura), actor=actor.to_dict(), timestamp=now
        )

    def request_link(self, ura: Ura, actor: Actor, now: datetime) -> None:
        """R7: the holder's half of a link's consent."""
        self.check_issued(now)
        if ura in self.links:
            raise RuleViolation("already_linked", "this card is already linked to that practice")
        if ura in self.link_requests:
            raise RuleViolation("link_already_requested",
                                "you already asked to be linked to that practice; a manager "
                                "there approves or declines it")
        self.trigger_event(self.LinkRequested, ura=str(ura), actor=actor.to_dict(),
                           timestamp=now)

    def end_link_request(self, ura: Ura, outcome: str, actor: Actor, now: datetime) -> None:
        if ura not in self.link_requests:
            raise RuleViolation("no_link_request",
                                "there is no open request to link this card to that practice")
        self.trigger_event(self.LinkRequestEnded, ura=str(ura), outcome=outcome,
                           actor=actor.to_dict(), timestamp=now)

    def unlink(self, ura: Ura, actor: Actor, now: datetime) -> None:
        # R7: unlinking (the employee leaves) never revokes the card.
        self.check_issued(now)
        if ura not in self.links:
            raise RuleViolation("not_linked", "this card is not linked to that practice")
        self.trigger_event(
            self.UnlinkedFromPractice, ura=str(ura), actor=actor.to_dict(), timestamp=now
        )

    def grant_guest_use(
        self,
        guest_use_id: UUID,
        host_ura: Ura,
        starts_on: date,
        ends_on: date,
        actor: Actor,
        now: datetime,
    ) -> None:
        """R8: guest use at a host practice for a bounded period of whole (UTC) days."""
        self.check_active(now)
        if host_ura in self.links:
            raise RuleViolation(
                "already_linked", "the card is linked to this practice; guest use is not needed"
            )
        if ends_on < starts_on:
            raise InvalidValue("invalid_period", "the guest use ends before it starts")
        if end_of_day(ends_on) <= now:
            raise InvalidValue("period_in_past", "the guest use would end in the past")
        assert self.expires_at is not None
        if utc_day_start(ends_on) >= self.expires_at:
            raise RuleViolation(
                "guest_use_beyond_card_expiry",
                f"the card expires on {self.expires_at.date().isoformat()}; "
                "guest use cannot run past that",
            )
        for use in self.guest_uses.values():
            if use.host_ura == host_ura and use.overlaps(starts_on, ends_on):
                raise RuleViolation(
                    "guest_use_overlaps",
                    f"there is already guest use at this practice from "
                    f"{use.starts_on.isoformat()} to {use.ends_on.isoformat()}",
                )
        self.trigger_event(
            self.GuestUseGranted,
            guest_use_id=guest_use_id,
            host_ura=str(host_ura),
            starts_on=starts_on,
            ends_on=ends_on,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def guest_use(self, guest_use_id: UUID) -> GuestUse:
        try:
            return self.guest_uses[guest_use_id]
        except KeyError:
            raise NotFound("guest_use_not_found", "this card has no such guest use") from None

    def end_guest_use(self, guest_use_id: UUID, actor: Actor, now: datetime) -> None:
        self.check_not_final(now)
        use = self.guest_use(guest_use_id)
        if use.ended_at is not None or not use.is_open(now):
            raise RuleViolation("guest_use_ended", "this guest use has already ended")
        self.trigger_event(
            self.GuestUseEnded,
            guest_use_id=guest_use_id,
            reason=GuestUseEndReason.ENDED_EARLY.value,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def _end_open_guest_uses(self, reason: GuestUseEndReason, actor: Actor, now: datetime) -> None:
        for use in self.open_guest_uses(now):
            self.trigger_event(
                self.GuestUseEnded,
                guest_use_id=use.id,
                reason=reason.value,
                actor=actor.to_dict(),
                timestamp=now,
            )

    # commands: suspension, revocation, expiry

    def suspend(self, reason: str, actor: Actor, now: datetime) -> None:
        """R13: reversible, for a card that may turn up again."""
        self.check_active(now)
        text = plain_text(reason, "reason")
        self.trigger_event(self.Suspended, reason=text, actor=actor.to_dict(), timestamp=now)

    def resume(self, actor: Actor, now: datetime) -> None:
        self.check_issued(now)
        if self.status is not CardStatus.SUSPENDED:
            raise RuleViolation("card_not_suspended", "this card is not suspended")
        self.trigger_event(self.Resumed, actor=actor.to_dict(), timestamp=now)

    def revoke(self, reason: RevocationReason, actor: Actor, now: datetime) -> None:
        """R6: final. A suspended card can still be revoked (R13)."""
        self.check_issued(now)
        self._end_open_guest_uses(GuestUseEndReason.CARD_REVOKED, actor, now)
        self.trigger_event(
            self.Revoked, reason=reason.value, actor=actor.to_dict(), timestamp=now
        )

    # renewal (R14)

    def renewal_opens_on(self, window: timedelta) -> date | None:
        return renewal_opens_on(self.expires_at, window) if self.expires_at else None

    def check_renewable(self, actor: Actor, now: datetime, window: timedelta,
                        max_renewals: int) -> None:
        """R14: by its holder, logged in with this very card, in its last `window`, and
        not more than `max_renewals` times in a row since a fresh identity proof."""
        self.check_active(now)
        if not self.is_holder(actor):
            raise NotAllowed("not_holder", "only the card's holder can renew it")
        opens = self.renewal_opens_on(window)
        assert opens is not None
        if now.date() < opens:
            raise RuleViolation("renewal_window_not_open", "this card can be renewed from "
                                f"{opens.isoformat()} on, {window.days} days before it ends")
        if self.renewals_since_proof >= max_renewals:
            raise RuleViolation("fresh_identity_required", "this card was renewed by card "
                                f"{self.renewals_since_proof} time(s) in a row already; "
                                "make the next one with your UZI pass or a Dezi statement")

    # PIN services (R16)

    def start_pin_service(self, service_id: UUID, actor: Actor, now: datetime) -> None:
        """The holder starts a PIN unblock for a card in use (active or suspended);
        a newer request replaces one not yet finished."""
        self.check_issued(now)
        if not self.is_holder(actor):
            raise NotAllowed("not_holder", "only the card's holder can unblock its PIN")
        self.trigger_event(self.PinServiceStarted, service_id=service_id,
                           actor=actor.to_dict(), timestamp=now)

    def pending_pin_service(self, service_id: UUID) -> PinService:
        service = self.pin_service
        if service is None or service.service_id != service_id:
            raise RuleViolation("pin_service_not_open", "this PIN service has ended or was "
                                "replaced; start it again in the portal")
        return service

    def claim_pin_service(self, service_id: UUID, workstation: str, actor: Actor,
                          now: datetime) -> None:
        """A workstation helper takes the PIN service (its pairing code typed in): once,
        within the pairing time, while the card is in use."""
        self.check_issued(now)
        service = self.pending_pin_service(service_id)
        if service.workstation is not None:
            raise RuleViolation("job_already_claimed", "another workstation already took "
                                "this PIN service; start a new one in the portal")
        if now - service.started_at > PAIRING_TIMEOUT:
            raise RuleViolation("pairing_expired", "this pairing code is no longer valid; "
                                "start the PIN service again in the portal")
        self.trigger_event(self.PinServiceClaimed, service_id=service_id,
                           workstation=workstation_label(workstation),
                           actor=actor.to_dict(), timestamp=now)

    def _claimed_pin_service(self, service_id: UUID, now: datetime) -> PinService:
        self.check_issued(now)
        service = self.pending_pin_service(service_id)
        if service.workstation is None:
            raise RuleViolation("pin_service_not_claimed", "no workstation took this PIN "
                                "service yet")
        if now - service.started_at > PIN_SERVICE_TIMEOUT:
            raise RuleViolation("pin_service_not_open", "this PIN service took too long; "
                                "start it again in the portal")
        return service

    def record_pin_unblock(self, service_id: UUID, actor: Actor, now: datetime) -> None:
        """R16: the workstation unblocked the PIN with the PUK."""
        service = self._claimed_pin_service(service_id, now)
        self.trigger_event(self.PinUnblocked, service_id=service_id,
                           workstation=service.workstation, actor=actor.to_dict(),
                           timestamp=now)

    def record_puk_blocked(self, service_id: UUID, actor: Actor, now: datetime) -> None:
        """R16: the PUK is blocked too, so the card can never be used again: revoked
        with reason puk_blocked (even while suspended), and its holder may make a new one."""
        self._claimed_pin_service(service_id, now)
        self.revoke(RevocationReason.PUK_BLOCKED, actor, now)

    def expire(self, actor: Actor, now: datetime) -> None:
        if self.status_at(now) is not CardStatus.EXPIRED or self.status is CardStatus.EXPIRED:
            raise RuleViolation("card_not_due", "this card is not past its end")
        self._end_open_guest_uses(GuestUseEndReason.CARD_EXPIRED, actor, now)
        self.trigger_event(self.Expired, actor=actor.to_dict(), timestamp=now)
