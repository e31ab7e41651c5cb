"""CardLifecycle: the application. One method per command; each loads, asks the
aggregates (which enforce their own rules), and saves everything that must change
together in one atomic ``save`` call.

Beside it: the retry of a command that lost a concurrent write (`retry.py`), the
transcodings (`transcodings.py`), reading the log (`log.py`), the expiry job's scans
(`scans.py`) and the personalisation sequence (`personalisation.py`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain import log as event_log
from domain.base import PersonalIds, natural_id
from domain.card import (
    PERSONALISATION_TIMEOUT,
    Card,
    CardStatus,
    IssuedCertificate,
    RevocationReason,
    management_key_algorithm,
)
from domain.chip import Chip, chip_id
from domain.clock import Clock, SystemClock
from domain.errors import InvalidValue, NotAllowed, NotFound, RuleViolation
from domain.identity import (
    Actor,
    CardSerial,
    CardType,
    Ura,
    UziNumber,
    UziPass,
    email_address,
)
from domain.log import LoggedEvent, topic_of
from domain.mandate import Mandate
from domain.order import BlankCardOrder, Pricing
from domain.person import Person
from domain.practice import ManagerRole, Practice, PracticeKind
from domain.retry import command
from domain.scans import ExpiryScan, StalePersonalisationScan
from domain.text import plain_text
from domain.transcodings import DateAsISO

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Who a reminder of a card goes to: its holder (ura None) or a manager of a
    practice it is linked to."""

    uzi_number: str
    email: str
    ura: str | None

A = TypeVar("A", bound=Aggregate)

__all__ = ["CardLifecycle", "CreationStarted", "LoggedEvent", "Policy", "command", "topic_of"]


@dataclass(frozen=True)
class Policy:
    # R12: a manager cannot hold an active card and a cardholder cannot become a
    # manager. The current ZORG-ID policy; configurable, on by default.
    managers_hold_no_card: bool = True
    # R14: how long before its end a card can renew itself, and how many times in a row
    renewal_window_days: int = 90
    max_card_renewals: int = 1


@dataclass(frozen=True)
class CreationStarted:
    card_id: UUID
    job_id: UUID


class CardLifecycle(Application[UUID]):
    """The ZORG-ID Smartcard lifecycle (docs/architecture.md, sections 3 and 4)."""

    name = "CardLifecycle"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock | None = None,
        pricing: Pricing | None = None,
        policy: Policy | None = None,
        personal_ids: PersonalIds | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.personal_ids = personal_ids or PersonalIds()
        self.pricing = pricing or Pricing()
        self.policy = policy or Policy()
        self._expiry_scan = ExpiryScan()
        self._stale_scan = StalePersonalisationScan(PERSONALISATION_TIMEOUT)
        self._saved_listeners: list[Callable[[int], None]] = []

    def on_saved(self, listener: Callable[[int], None]) -> None:
        """Call `listener(position)` after every save of this application, in the saving
        thread, with the log position of the last event written. A listener's failure
        is logged, never the command's: the events are stored by then."""
        self._saved_listeners.append(listener)

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if not recordings or not self._saved_listeners:
            return
        position = max(r.notification.id for r in recordings)
        for listener in self._saved_listeners:
            try:
                listener(position)
            except Exception:
                log.exception("a listener of saved events failed; the events are stored")

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # loading

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, cls)
        return aggregate

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """Any aggregate by id, or None (for auditors' tools)."""
        return self._find(Aggregate, aggregate_id)

    def _load(self, cls: type[A], aggregate_id: UUID, code: str, message: str) -> A:
        aggregate = self._find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(code, message)
        return aggregate

    def get_practice(self, ura: str) -> Practice:
        ura = Ura(ura)
        return self._load(
            Practice, Practice.create_id(ura), "practice_not_found",
            f"no practice with URA {ura} is registered",
        )

    def _find_practice(self, ura: str) -> Practice | None:
        return self._find(Practice, Practice.create_id(ura))

    def _registered_practice(self, ura: str) -> Practice:
        """For rules that need a registered practice (R3, R9): a refusal, not a 404."""
        practice = self._find_practice(ura)
        if practice is None:
            raise RuleViolation(
                "practice_not_registered",
                f"the practice with URA {ura} is not registered for ZORG-ID; "
                "its representative registers it first",
            )
        return practice

    def get_card(self, card_id: UUID) -> Card:
        return self._load(Card, card_id, "card_not_found", "there is no card with that id")

    def get_card_by_serial(self, serial: str) -> Card:
        serial = CardSerial(serial)
        return self._load(
            Card, Card.create_id(serial), "card_not_found",
            f"no blank card with serial {serial} has been shipped",
        )

    def get_order(self, order_id: UUID) -> BlankCardOrder:
        return self._load(BlankCardOrder, order_id, "order_not_found", "there is no such order")

    def get_mandate(self, mandate_id: UUID) -> Mandate:
        return self._load(Mandate, mandate_id, "mandate_not_found", "there is no such mandate")

    def find_person(self, uzi_number: str) -> Person | None:
        return self._find(Person, Person.create_id(uzi_number, self.personal_ids))

    def _person(self, uzi_number: str, actor: Actor, now: datetime) -> Person:
        return self.find_person(uzi_number) or Person.identify(
            uzi_number, actor, now, self.personal_ids)

    def _authenticated(self, by: UziPass) -> tuple[Actor, datetime]:
        now = self.clock.now()
        by.check_usable(now)
        return by.actor(), now

    # practices (R1, R2, R12)

    @command
    def register_practice(
        self, ura: str, name: str, kind: str, representative: UziPass
    ) -> UUID:
        ura, practice_kind = Ura(ura), PracticeKind.parse(kind)
        name = plain_text(name, "practice_name")
        actor, now = self._authenticated(representative)
        if representative.card_type not in (CardType.CARE_PROVIDER, CardType.NAMED_EMPLOYEE):
            raise NotAllowed(
                "uzi_card_type_not_allowed",
                "register a practice with a personal UZI pass (zorgverlenerpas or "
                "medewerkerpas op naam)",
            )
        if representative.ura != ura:
            raise NotAllowed(
                "ura_mismatch",
                f"your UZI pass belongs to URA {representative.ura}, not {ura} (R1)",
            )
        if self._find_practice(ura) is not None:
            raise RuleViolation(
                "practice_already_registered", f"the practice with URA {ura} is already registered"
            )
        person = self._person(representative.uzi_number, actor, now)
        self._check_may_become_manager(person, now)
        practice = Practice.register(ura, name, practice_kind, actor, now)
        person.assign_manager_role(ura, ManagerRole.ADMINISTRATOR.value, actor, now)
        self.save(practice, person)
        return practice.id

    def _check_may_become_manager(self, person: Person, now: datetime) -> None:
        if self.policy.managers_hold_no_card and person.current_card(now) is not None:
            raise RuleViolation(
                "cardholder_cannot_be_manager",
                "someone who holds a ZORG-ID smartcard cannot be administrator or beheerder; "
                "revoke the card first (R12)",
            )

    @command
    def appoint_manager(
        self, ura: str, uzi_number: str, name: str, role: str, by: UziPass
    ) -> None:
        uzi_number, manager_role = UziNumber(uzi_number), ManagerRole.parse(role)
        actor, now = self._authenticated(by)
        practice = self.get_practice(ura)
        practice.appoint_manager(uzi_number, name, manager_role, actor, now)
        person = self._person(uzi_number, actor, now)
        self._check_may_become_manager(person, now)
        person.assign_manager_role(practice.ura, manager_role.value, actor, now)
        self.save(practice, person)

    @command
    def dismiss_manager(self, ura: str, uzi_number: str, by: UziPass) -> None:
        uzi_number = UziNumber(uzi_number)
        actor, now = self._authenticated(by)
        practice = self.get_practice(ura)
        practice.dismiss_manager(uzi_number, actor, now)
        person = self._person(uzi_number, actor, now)
        person.remove_manager_role(practice.ura, actor, now)
        self.save(practice, person)

    # blank card orders (R10)

    @command
    def place_order(self, ura: str, quantity: int, idempotency_key: str, by: UziPass) -> UUID:
        actor, now = self._authenticated(by)
        practice = self.get_practice(ura)
        practice.check_is_manager(actor)
        order = BlankCardOrder.place(
            Ura(ura), quantity, self.pricing, idempotency_key, actor, now
        )
        existing = self._find(BlankCardOrder, order.id)
        if existing is not None:
            if existing.quantity != quantity:
                raise RuleViolation(
                    "idempotency_key_reused",
                    "this idempotency key was used for a different order",
                )
            return existing.id  # the same request again: the same order, nothing appended
        self.save(order)
        return order.id

    @command
    def ship_order(self, order_id: UUID, card_serials: list[str], by: Actor,
                   chip_ids: list[str | None] | None = None,
                   key_algorithms: list[str | None] | None = None) -> None:
        """The fulfilment service's shipment: the printed serials and, per card, what the
        supplier's card list says of it: the chip's own identity (factory-fresh PIV cards)
        and the management key's algorithm."""
        serials = [CardSerial(s) for s in card_serials]
        chips = [chip_id(c) if c else None for c in (chip_ids or [None] * len(serials))]
        algorithms = [management_key_algorithm(a) if a else None
                      for a in (key_algorithms or [None] * len(serials))]
        if len(chips) != len(serials) or len(algorithms) != len(serials):
            raise InvalidValue("invalid_field", "one chip identity per card, or none")
        now = self.clock.now()
        order = self.get_order(order_id)
        order.ship(serials, by, now)
        for serial in serials:
            if self._find(Card, Card.create_id(serial)) is not None:
                raise RuleViolation(
                    "card_serial_already_shipped", f"card {serial} has already been shipped"
                )
        known = [c for c in chips if c is not None]
        if len(set(known)) != len(known) or any(
                self._find(Chip, Chip.create_id(c)) is not None for c in known):
            raise RuleViolation("chip_already_shipped",
                                "a chip identity in this shipment was shipped before")
        cards = [Card.ship(s, order.id, Ura(order.practice_ura), by, now, c, a)
                 for s, c, a in zip(serials, chips, algorithms, strict=True)]
        registered = [Chip.register(c, str(s), by, now)
                      for s, c in zip(serials, chips, strict=True) if c is not None]
        self.save(order, *cards, *registered)

    def serial_of_chip(self, identity: str) -> str | None:
        """The printed serial of the blank card with this chip, when it was shipped."""
        chip = self._find(Chip, Chip.create_id(chip_id(identity)))
        return chip.serial if chip is not None else None

    @command
    def cancel_order(self, order_id: UUID, reason: str, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        order = self.get_order(order_id)
        self.get_practice(order.practice_ura).check_is_manager(actor)
        order.cancel(plain_text(reason, "reason", required=False, truncate=True), actor, now)
        self.save(order)

    # card creation and personalisation (R3, R4, R5, R12)

    @command
    def start_card_creation(self, card_serial: str, by: UziPass) -> CreationStarted:
        actor, now = self._authenticated(by)  # R3: still valid, not revoked
        if by.card_type is not CardType.NAMED_EMPLOYEE:
            raise NotAllowed(
                "uzi_pass_not_named_employee",
                "a ZORG-ID card is created with your own UZI-medewerkerspas op naam "
                f"(card type N); this is a card of type {by.card_type.value}",
            )
        if by.zorgid_card:
            raise NotAllowed(
                "uzi_pass_required",
                "a ZORG-ID card is created with your UZI-medewerkerspas op naam, not with "
                "another ZORG-ID card",
            )
        self._registered_practice(by.ura)
        card = self.get_card_by_serial(card_serial)
        person = self.find_person(by.uzi_number)
        if self.policy.managers_hold_no_card and person is not None and person.is_manager():
            raise RuleViolation(
                "manager_cannot_hold_card",
                "an administrator or beheerder cannot create a ZORG-ID smartcard (R12)",
            )
        job_id = natural_id("personalisation-job", card.id, card.version + 1)
        card.start_creation(by, job_id, actor, now)
        self.save(card)
        return CreationStarted(card.id, job_id)

    @command
    def start_renewal_on_new_card(self, card_id: UUID, card_serial: str,
                                  by: UziPass) -> CreationStarted:
        """R14: the holder, logged in with the still-valid card `card_id`, starts its
        successor on a blank card of their practice; the old card is superseded when the
        new one is activated (R5)."""
        actor, now = self._authenticated(by)
        if not by.zorgid_card:
            raise NotAllowed("card_login_required", "a renewal by card is started logged in "
                             "with the card itself, not with a UZI pass")
        card = self.get_card(card_id)
        card.check_renewable(actor, now, timedelta(days=self.policy.renewal_window_days),
                             self.policy.max_card_renewals)
        self._registered_practice(by.ura)
        blank = self.get_card_by_serial(card_serial)
        job_id = natural_id("personalisation-job", blank.id, blank.version + 1)
        blank.start_creation(by, job_id, actor, now, proof="card_renewal",
                             renewals_since_proof=card.renewals_since_proof + 1,
                             renews=card.id)
        self.save(blank)
        return CreationStarted(blank.id, job_id)

    def certificate_validity(self, card_id: UUID,
                             job_id: UUID | None = None) -> tuple[datetime, datetime]:
        """The notBefore and notAfter the card CA must put in this card's certificates (R4);
        with the job, refused unless that job may still have them issued."""
        return self.get_card(card_id).certificate_validity(self.clock.now(), job_id)

    @command
    def record_certificates_issued(
        self,
        card_id: UUID,
        job_id: UUID,
        certificates: list[IssuedCertificate],
        not_before: datetime,
        by: Actor,
    ) -> None:
        card = self.get_card(card_id)
        card.record_certificates(job_id, certificates, not_before, by, self.clock.now())
        self.save(card)

    def record_certificates_on(self, card: Card, job_id: UUID,
                               certificates: list[IssuedCertificate], not_before: datetime,
                               by: Actor) -> None:
        """`record_certificates_issued` on a card the caller just loaded (one replay, not
        two); when another writer saved the card in between, the command decides again
        on the card as it is now."""
        try:
            card.record_certificates(job_id, certificates, not_before, by, self.clock.now())
            self.save(card)
        except IntegrityError:
            self.record_certificates_issued(card.id, job_id, certificates, not_before, by)

    @command
    def activate_card(self, card_id: UUID, job_id: UUID, by: Actor) -> None:
        now = self.clock.now()
        card = self.get_card(card_id)
        card.activate(job_id, by, now)
        assert card.holder_uzi_number is not None and card.expires_at is not None
        person = self._person(card.holder_uzi_number, by, now)
        if self.policy.managers_hold_no_card and person.is_manager():
            raise RuleViolation(
                "manager_cannot_hold_card",
                "the holder became administrator or beheerder during personalisation (R12)",
            )
        superseded: Card | None = None
        previous_id = person.current_card(now)
        if previous_id is not None and previous_id != card.id:
            # R5: one active card per UZI number; the old one goes in the same save.
            superseded = self.get_card(previous_id)
            if superseded.status_at(now) in (CardStatus.ACTIVE, CardStatus.SUSPENDED):
                superseded.revoke(RevocationReason.SUPERSEDED, by, now)
        person.set_active_card(card.id, card.expires_at, by, now)
        self.save(card, superseded, person)

    @command
    def claim_personalisation_job(self, card_id: UUID, job_id: UUID, workstation: str,
                                  by: Actor) -> None:
        """A workstation helper takes a card creation's job with its pairing code."""
        card = self.get_card(card_id)
        card.claim_job(job_id, workstation, by, self.clock.now())
        self.save(card)

    # PIN services (R16)

    @command
    def start_pin_service(self, card_id: UUID, by: UziPass) -> UUID:
        """The holder, logged in, asks to unblock the card's PIN at a workstation; the
        answer names the service, whose pairing code the portal shows."""
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        service_id = natural_id("pin-service", card.id, card.version + 1)
        card.start_pin_service(service_id, actor, now)
        self.save(card)
        return service_id

    @command
    def claim_pin_service(self, card_id: UUID, service_id: UUID, workstation: str,
                          by: Actor) -> None:
        card = self.get_card(card_id)
        card.claim_pin_service(service_id, workstation, by, self.clock.now())
        self.save(card)

    @command
    def record_pin_unblock(self, card_id: UUID, service_id: UUID, by: Actor) -> None:
        card = self.get_card(card_id)
        card.record_pin_unblock(service_id, by, self.clock.now())
        self.save(card)

    @command
    def record_puk_blocked(self, card_id: UUID, service_id: UUID, by: Actor) -> None:
        """R16: revoked with reason puk_blocked; the holder's active card is cleared, so
        they may create a new one (R5)."""
        now = self.clock.now()
        card = self.get_card(card_id)
        card.record_puk_blocked(service_id, by, now)
        self.save(card, self._holder_freed(card, RevocationReason.PUK_BLOCKED.value, by, now))

    def record_personalisation_failure(
        self, card_id: UUID, job_id: UUID, step: str, detail: str, by: Actor
    ) -> None:
        card = self.get_card(card_id)
        card.fail_personalisation(job_id, step, detail, by, self.clock.now())
        self.save(card)

    # links and guest use (R7, R8)

    def _linked_practices(self, card: Card) -> list[Practice]:
        return [self.get_practice(ura) for ura in sorted(card.links)]

    def _holder_freed(self, card: Card, reason: str, actor: Actor,
                      now: datetime) -> Person | None:
        """The holder's Person with `card` no longer their active one (revoked or
        expired), to be saved with the card; None when there is no such Person."""
        person = self.find_person(card.holder_uzi_number or "")
        if person is not None:
            person.clear_active_card(card.id, reason, actor, now)
        return person

    def _check_holder_or_manager(self, card: Card, actor: Actor) -> None:
        if card.is_holder(actor):
            return
        if any(p.is_manager(actor.uzi_number) for p in self._linked_practices(card)):
            return
        raise NotAllowed(
            "not_holder_or_manager",
            "only the holder, or an administrator or beheerder of a practice the card is "
            "linked to, may do this",
        )

    # links need both sides' consent (R7): the holder asks and a manager approves, or a
    # manager invites and the holder accepts; the link exists after the second step

    @command
    def request_link(self, card_id: UUID, ura: str, by: UziPass) -> str:
        """The holder asks to link their card to a practice: "requested", or "linked" when
        that practice had invited them already."""
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        card.check_issued(now)
        if not card.is_holder(actor):
            raise NotAllowed("not_holder",
                             "only the card's holder asks to link it to a practice (R7)")
        practice = self._registered_practice(Ura(ura))
        if practice.is_invited(actor.uzi_number):
            card.link(Ura(practice.ura), actor, now)
            practice.end_invitation(str(actor.uzi_number), "accepted", actor, now)
            self.save(card, practice)
            return "linked"
        card.request_link(Ura(practice.ura), actor, now)
        self.save(card)
        return "requested"

    @command
    def invite_to_link(self, ura: str, uzi_number: str, by: UziPass) -> str:
        """A manager invites a person to link their card to the practice: "invited", or
        "linked" when that person's active card had asked already."""
        actor, now = self._authenticated(by)
        practice = self._registered_practice(Ura(ura))
        practice.check_is_manager(actor)
        invited = UziNumber(uzi_number)
        person = self.find_person(invited)
        card_id = person.current_card(now) if person is not None else None
        card = self.get_card(card_id) if card_id is not None else None
        if card is not None and Ura(practice.ura) in card.links:
            raise RuleViolation("already_linked", "this person's card is already linked to "
                                "the practice")
        if card is not None and Ura(practice.ura) in card.link_requests:
            card.link(Ura(practice.ura), actor, now)
            self.save(card)
            return "linked"
        practice.invite_to_link(invited, actor, now)
        self.save(practice)
        return "invited"

    @command
    def link_card(self, card_id: UUID, ura: str, by: UziPass) -> None:
        """The second step of a link: a manager approves the holder's request, or the
        holder accepts the practice's invitation. A manager alone never links someone
        else's card, nor a holder alone (R7)."""
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        practice = self.get_practice(ura)
        card.check_issued(now)
        if Ura(practice.ura) in card.links:
            raise RuleViolation("already_linked", "this card is already linked to that practice")
        if card.is_holder(actor):
            if not practice.is_invited(actor.uzi_number):
                raise RuleViolation(
                    "link_consent_required",
                    f"{practice.name} has not invited you; ask to be linked (a link request) "
                    "and a manager there approves it")
            card.link(Ura(practice.ura), actor, now)
            practice.end_invitation(str(actor.uzi_number), "accepted", actor, now)
            self.save(card, practice)
            return
        practice.check_is_manager(actor)
        if Ura(practice.ura) not in card.link_requests:
            raise RuleViolation(
                "link_consent_required",
                "the card's holder has not asked to be linked to this practice; invite them "
                "by UZI number and the link exists once they accept (R7)")
        card.link(Ura(practice.ura), actor, now)
        self.save(card)

    @command
    def end_link_request(self, card_id: UUID, ura: str, by: UziPass) -> None:
        """The holder withdraws their request, or a manager of the practice declines it."""
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        practice = self.get_practice(ura)
        if card.is_holder(actor):
            outcome = "withdrawn"
        else:
            practice.check_is_manager(actor)
            outcome = "declined"
        card.end_link_request(Ura(practice.ura), outcome, actor, now)
        self.save(card)

    @command
    def end_link_invitation(self, ura: str, uzi_number: str, by: UziPass) -> None:
        """The invited person declines, or a manager of the practice withdraws it."""
        actor, now = self._authenticated(by)
        practice = self.get_practice(ura)
        invited = UziNumber(uzi_number)
        if actor.uzi_number == invited:
            outcome = "declined"
        else:
            practice.check_is_manager(actor)
            outcome = "withdrawn"
        practice.end_invitation(invited, outcome, actor, now)
        self.save(practice)

    @command
    def unlink_card(self, card_id: UUID, ura: str, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        practice = self.get_practice(ura)
        if not card.is_holder(actor):
            practice.check_is_manager(actor)
        card.unlink(Ura(ura), actor, now)
        self.save(card)

    @command
    def grant_guest_use(
        self, card_id: UUID, host_ura: str, starts_on: date, ends_on: date, by: UziPass
    ) -> UUID:
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        self.get_practice(host_ura).check_is_manager(actor)
        guest_use_id = natural_id("guest-use", card.id, card.version + 1)
        card.grant_guest_use(guest_use_id, Ura(host_ura), starts_on, ends_on, actor, now)
        self.save(card)
        return guest_use_id

    @command
    def end_guest_use(self, card_id: UUID, guest_use_id: UUID, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        self.get_practice(card.guest_use(guest_use_id).host_ura).check_is_manager(actor)
        card.end_guest_use(guest_use_id, actor, now)
        self.save(card)

    # suspension and revocation (R6, R13)

    @command
    def suspend_card(self, card_id: UUID, reason: str, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        self._check_holder_or_manager(card, actor)
        card.suspend(reason, actor, now)
        self.save(card)

    @command
    def resume_card(self, card_id: UUID, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        if not any(p.is_manager(actor.uzi_number) for p in self._linked_practices(card)):
            raise NotAllowed(
                "not_manager",
                "only an administrator or beheerder of a practice the card is linked to may "
                "resume it",
            )
        card.resume(actor, now)
        self.save(card)

    @command
    def revoke_card(self, card_id: UUID, reason: str, by: UziPass) -> None:
        revocation_reason = RevocationReason.parse(reason)
        actor, now = self._authenticated(by)
        card = self.get_card(card_id)
        self._check_holder_or_manager(card, actor)
        card.revoke(revocation_reason, actor, now)
        self.save(card, self._holder_freed(card, revocation_reason.value, actor, now))

    # e-mail addresses and reminders (R17)

    @command
    def set_email(self, email: str, by: UziPass) -> None:
        """Whoever is logged in leaves (or changes) where reminders reach them."""
        address = email_address(email)
        actor, now = self._authenticated(by)
        person = self._person(by.uzi_number, actor, now)
        person.set_email(address, actor, now)
        self.save(person)

    @command
    def remove_email(self, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        person = self.find_person(by.uzi_number)
        if person is None or person.email is None:
            raise NotFound("no_email_address", "you left no e-mail address")
        person.remove_email(actor, now)
        self.save(person)

    def email_of(self, uzi_number: str) -> str | None:
        """Where this person's reminders go, if they left an address."""
        person = self.find_person(uzi_number)
        return person.email if person is not None else None

    def reminder_recipients(self, card_id: UUID) -> list[Recipient]:
        """R17: the holder and the managers of the card's linked practices, each once,
        who left an e-mail address."""
        card = self.get_card(card_id)
        wanted: dict[str, str | None] = {}
        if card.holder_uzi_number is not None:
            wanted[card.holder_uzi_number] = None
        for practice in self._linked_practices(card):
            for uzi_number in sorted(practice.managers):
                wanted.setdefault(uzi_number, practice.ura)
        found = []
        for uzi_number, ura in wanted.items():
            email = self.email_of(uzi_number)
            if email is not None:
                found.append(Recipient(uzi_number, email, ura))
        return found

    @command
    def claim_reminder(self, uzi_number: str, card_id: UUID, days_before: int,
                       message_id: str, by: Actor) -> str:
        """Before sending: "claimed" when recorded now (Person.ReminderSending: send it);
        otherwise why it is not to be sent: "sent" before, "sending" (claimed by another
        run, or one that stopped before it was confirmed), or "no_address"."""
        person = self.find_person(uzi_number)
        if person is None or person.email is None:
            return "no_address"
        status = person.reminder_status(card_id, days_before)
        if status in ("sent", "sending"):
            return status
        person.claim_reminder(card_id, days_before, message_id, by, self.clock.now())
        self.save(person)
        return "claimed"

    @command
    def confirm_reminder(self, uzi_number: str, card_id: UUID, days_before: int,
                         delivered: bool, detail: str, by: Actor) -> None:
        person = self.find_person(uzi_number)
        if person is None:
            raise NotFound("person_not_found", "there is no such person")
        person.confirm_reminder(card_id, days_before, delivered, detail, by, self.clock.now())
        self.save(person)

    # expiry (R4, R11)

    def abandon_stale_personalisations(self, by: Actor | None = None) -> list[UUID]:
        """Record `PersonalisationFailed` (step "abandoned") for every personalisation that
        reported nothing for PERSONALISATION_TIMEOUT: the reader agent crashed or the
        workstation went off. Certificates issued for it go on the CRL then, though the
        card it wrote may never come back. Idempotent, like the expiry job."""
        by = by or Actor.system("expiry-job")
        return [card_id for card_id, job_id in self._stale_scan.due(self, self.clock.now())
                if self._abandon(card_id, job_id, by)]

    @command
    def _abandon(self, card_id: UUID, job_id: UUID, by: Actor) -> bool:
        card = self.get_card(card_id)
        if card.status is not CardStatus.PERSONALISING or card.job_id != job_id:
            return False  # finished, failed or started again meanwhile
        card.abandon_personalisation(by, self.clock.now())
        self.save(card)
        return True

    def expire_cards(self, by: Actor | None = None) -> list[UUID]:
        """Append `Expired` for every card past its end that does not have it yet.

        Idempotent: a second run finds nothing to do."""
        by = by or Actor.system("expiry-job")
        return [card_id for card_id in self._expiry_scan.due(self, self.clock.now())
                if self._expire_card(card_id, by)]

    @command
    def _expire_card(self, card_id: UUID, by: Actor) -> bool:
        now = self.clock.now()
        card = self.get_card(card_id)
        if card.status_at(now) is not CardStatus.EXPIRED or card.status is CardStatus.EXPIRED:
            return False
        card.expire(by, now)
        person = self._holder_freed(card, "expired", by, now)
        self.save(card, person)
        return True

    # mandates (R9)

    @command
    def grant_mandate(
        self, ura: str, mandatee_uzi_number: str, valid_until: datetime, by: UziPass
    ) -> UUID:
        ura, mandatee = Ura(ura), UziNumber(mandatee_uzi_number)
        actor, now = self._authenticated(by)
        if by.card_type is not CardType.CARE_PROVIDER:
            raise NotAllowed(
                "not_care_provider", "only a care provider with a zorgverlenerpas (type Z) "
                "can give a mandate"
            )
        if by.ura != ura:
            raise NotAllowed(
                "ura_mismatch", f"your UZI pass belongs to URA {by.ura}, not {ura}"
            )
        if mandatee == by.uzi_number:
            raise InvalidValue("self_mandate", "a care provider does not mandate themselves")
        self._registered_practice(ura)
        existing = self._find(Mandate, Mandate.create_id(
            ura, by.uzi_number, mandatee, self.personal_ids))
        if existing is not None:
            existing.renew(valid_until, actor, now)
            self.save(existing)
            return existing.id
        mandate = Mandate.grant(ura, actor, mandatee, valid_until, now, self.personal_ids)
        self.save(mandate)
        return mandate.id

    @command
    def revoke_mandate(self, mandate_id: UUID, reason: str, by: UziPass) -> None:
        actor, now = self._authenticated(by)
        mandate = self.get_mandate(mandate_id)
        practice = self.get_practice(mandate.practice_ura)
        is_admin = practice.role_of(by.uzi_number) is ManagerRole.ADMINISTRATOR
        mandate.revoke(plain_text(reason, "reason", required=False, truncate=True), actor,
                       is_admin, now)
        self.save(mandate)

    # the notification log, for auditors and jobs (domain/log.py)

    def read_log(
        self,
        after: int = 0,
        limit: int | None = None,
        topics: list[str] | None = None,
        page_size: int = 1000,
    ) -> Iterator[LoggedEvent]:
        """The events in the order they were stored (positions 1..N), decoded."""
        return event_log.read_log(self, after, limit, topics, page_size)

    def decode(self, position: int, stored: Any) -> LoggedEvent:
        return event_log.decode(self, position, stored)

    def head(self) -> int:
        return event_log.head(self)

    def history_at(self, aggregate_id: UUID, at: datetime) -> tuple[list[LoggedEvent], Aggregate]:
        """An aggregate's events up to `at`, and its state then, replayed from the store."""
        return event_log.history_at(self, aggregate_id, at)
