"""One card personalisation, the same sequence for every caller.

    start          Card.CreationStarted: R3, R12 checked, nothing written before
    certify        the card's validity (R4), certificates from the card CA for the public
                   keys the chip generated, Card.CertificatesIssued
    activate       Card.Activated: R4, R5, the commit point
    fail           Card.PersonalisationFailed with the step that failed

The reader agent at a workstation runs the whole of it around writing the card (`run`);
the HTTP routes of a remote agent's job call `certify` and `activate` or `fail` as the
agent reports; the demo and the tests run it with an issuer that signs nothing. The
card CA is behind the `CertificateIssuer` port, so this module knows no X.509."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from uuid import UUID

from domain.card import IssuedCertificate
from domain.errors import DomainError, RuleViolation
from domain.identity import Actor, CardHolder, UziPass

if TYPE_CHECKING:
    from domain.application import CardLifecycle, CreationStarted

C = TypeVar("C")
W = TypeVar("W")

CARD_CA = Actor.system("card-ca")
READER_AGENT = Actor.system("reader-agent")
# ZORG-ID Werkplek, the employee's workstation helper: claims jobs and PIN services
WORKSTATION_HELPER = Actor.system("workstation")


class StepFailed(Exception):
    """A step of a personalisation failed; `step` names it in Card.PersonalisationFailed.
    The detail goes into that event: it never holds a PIN, PUK or key."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


@dataclass(frozen=True)
class CardCertificates(Generic[C]):
    """A card's certificates as the issuer made them (what goes onto the card) and what
    the store records of them: authentication and signature always, confidentiality
    (encryption) when the card made a key for it (cards written by older agents did
    not)."""

    authentication: C  # PIV slot 9A
    signature: C  # PIV slot 9C
    records: tuple[IssuedCertificate, ...]  # one per certificate, slot by slot
    confidentiality: C | None = None  # PIV slot 9D


class CertificateIssuer(Protocol[C]):
    """The card CA, as the personalisation needs it (a PEM key today, an HSM later)."""

    def issue_card_certificates(self, holder: CardHolder, organisation: str,
                                authentication_key: Any, signature_key: Any,
                                not_before: datetime, not_after: datetime,
                                confidentiality_key: Any = None
                                ) -> CardCertificates[C]: ...


class Certify(Protocol[C]):
    """What `run` hands the writer: the card's public keys in, its certificates out."""

    def __call__(self, authentication_key: Any, signature_key: Any,
                 confidentiality_key: Any = None) -> CardCertificates[C]: ...


class Personalisation(Generic[C]):
    def __init__(self, lifecycle: CardLifecycle, issuer: CertificateIssuer[C],
                 agent: Actor = READER_AGENT) -> None:
        self.lifecycle = lifecycle
        self.issuer = issuer
        self.agent = agent

    def start(self, serial: str, holder: UziPass) -> CreationStarted:
        return self.lifecycle.start_card_creation(serial, holder)

    def certify(self, card_id: UUID, job_id: UUID, authentication_key: Any,
                signature_key: Any, confidentiality_key: Any = None) -> CardCertificates[C]:
        """Issue the card's certificates for the public keys its chip generated, valid
        exactly as long as the card will be (R4), and record them. Refused (before the
        CA signs anything) unless this job may still have certificates issued."""
        lifecycle = self.lifecycle
        card = lifecycle.get_card(card_id)
        holder = card.card_holder
        not_before, not_after = card.certificate_validity(lifecycle.clock.now(), job_id)
        if holder is None:  # certificate_validity refused a card not personalising
            raise RuleViolation("card_not_personalising", "this card is not being created")
        organisation = lifecycle.get_practice(holder.ura).name
        issued = self.issuer.issue_card_certificates(holder, organisation, authentication_key,
                                                     signature_key, not_before, not_after,
                                                     confidentiality_key)
        lifecycle.record_certificates_on(card, job_id, list(issued.records), not_before,
                                         CARD_CA)
        return issued

    def activate(self, card_id: UUID, job_id: UUID) -> None:
        self.lifecycle.activate_card(card_id, job_id, self.agent)

    def fail(self, card_id: UUID, job_id: UUID, step: str, detail: str) -> None:
        self.lifecycle.record_personalisation_failure(card_id, job_id, step, detail[:500],
                                                      self.agent)

    def run(self, serial: str, holder: UziPass,
            write: Callable[[CreationStarted, Certify[C]], W]) -> tuple[CreationStarted, W]:
        """Start, let `write` put keys and certificates on the card (it calls `certify`
        with the card's public keys), activate. A `StepFailed` from writing or activating
        is recorded with its step and raised again; the card stays blank."""
        started = self.start(serial, holder)  # refusals: nothing on the card or stored
        card_id, job_id = started.card_id, started.job_id
        try:
            def certify(authentication_key: Any, signature_key: Any,
                        confidentiality_key: Any = None) -> CardCertificates[C]:
                return self.certify(card_id, job_id, authentication_key, signature_key,
                                    confidentiality_key)

            written = write(started, certify)
            try:
                self.activate(card_id, job_id)
            except DomainError as error:
                raise StepFailed("activate", f"{error.code}: {error.message}") from error
        except StepFailed as error:
            self.fail(card_id, job_id, error.step, error.detail)
            raise
        return started, written
