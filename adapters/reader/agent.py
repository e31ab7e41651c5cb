"""The reader agent at a workstation: one card personalisation as a domain process.

    read the blank card's serial
    Card.CreationStarted          (the domain checks R3, R12: nothing is written before)
    keys on the card, certificates from the card CA, Card.CertificatesIssued
    certificates, CHUID, PIN and PUK onto the card
    Card.Activated                (R4, R5: the commit point)
    the blank management key replaced on the card

A failure at any step after creation started records Card.PersonalisationFailed
with the step; the blank card stays blank (its blank management key still opens
it) and can be tried again. PIN and PUK only travel to the card.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.reader.apdu import ApduConnection, Transport
from adapters.reader.personalise import (
    PersonalisationError,
    Timings,
    management_key,
    read_serial,
    seal_card,
    write_card,
)
from adapters.reader.piv import PivSession, pad_pin
from domain.application import CardLifecycle
from domain.card import IssuedCertificate
from domain.errors import DomainError
from domain.identity import Actor, UziPass

log = logging.getLogger(__name__)

AGENT = Actor.system("reader-agent")
CARD_CA = Actor.system("card-ca")

# (card holder, authentication public key, signature public key, not before, not after)
IssueCertificates = Callable[[UziPass, object, object, datetime, datetime],
                             tuple[x509.Certificate, x509.Certificate]]


@dataclass(frozen=True)
class Personalised:
    card_id: UUID
    serial: str
    expires_at: datetime
    timings: Timings
    apdus: int
    bytes: int
    sealed: bool = True


def _issued(slot: str, certificate: x509.Certificate) -> IssuedCertificate:
    return IssuedCertificate.of(slot, certificate.serial_number,
                                certificate.public_bytes(serialization.Encoding.DER),
                                certificate.not_valid_after_utc)


def personalise(app: CardLifecycle, transport: Transport, holder: UziPass,
                master_secret: bytes, issue_certificates: IssueCertificates,
                pin: str, puk: str) -> Personalised:
    try:  # a bad choice is refused before anything happens
        pad_pin(pin)
        pad_pin(puk)
    except ValueError:
        raise PersonalisationError("choose_pin", "PIN and PUK are 6 to 8 digits") from None
    connection = ApduConnection(transport)
    piv = PivSession(connection)
    serial = read_serial(piv)
    started = app.start_card_creation(serial, holder)  # refusals: nothing on card or in store
    card_id, job_id = started.card_id, started.job_id

    def issue(auth_public: object, sign_public: object) \
            -> tuple[x509.Certificate, x509.Certificate]:
        not_before, not_after = app.certificate_validity(card_id, job_id)
        authentication, signature = issue_certificates(holder, auth_public, sign_public,
                                                       not_before, not_after)
        app.record_certificates_issued(
            card_id, job_id, [_issued("9A", authentication), _issued("9C", signature)],
            not_before, CARD_CA)
        return authentication, signature

    try:
        written = write_card(piv, serial, management_key(master_secret, serial, False), issue,
                             card_id, pin, puk)
        try:
            app.activate_card(card_id, job_id, AGENT)
        except DomainError as error:
            raise PersonalisationError("activate", f"{error.code}: {error.message}") from error
    except PersonalisationError as error:
        log.warning("personalisation of %s failed at %s", serial, error.step)
        app.record_personalisation_failure(card_id, job_id, error.step, error.detail[:500],
                                           AGENT)
        raise
    # The card is active from here. Sealing it is the last touch; should the card be
    # pulled out right now, it stays active and the store refuses to start it again.
    try:
        seal_card(piv, management_key(master_secret, serial, True))
        sealed = True
    except PersonalisationError as error:
        log.warning("card %s is active but not sealed: %s", serial, error.detail)
        sealed = False
    return Personalised(card_id, serial, written.authentication.not_valid_after_utc,
                        written.timings, connection.apdus, connection.bytes, sealed)
