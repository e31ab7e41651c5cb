"""The reader agent at a workstation: the card's side of one personalisation, around
the application's sequence (`domain/personalisation.py`).

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
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography import x509

from adapters.pki.card_keys import management_key
from adapters.reader.apdu import ApduConnection, Transport
from adapters.reader.personalise import (
    DEFAULT_CARD_KEY_TYPE,
    CardIdentity,
    PersonalisationError,
    Timings,
    Written,
    identify,
    seal_card,
    write_card,
)
from adapters.reader.piv import KeyAlgorithm, PivSession, pad_pin
from domain.application import CardLifecycle, CreationStarted
from domain.identity import UziPass
from domain.personalisation import (
    READER_AGENT,
    CertificateIssuer,
    Certify,
    Personalisation,
    StepFailed,
)

log = logging.getLogger(__name__)

AGENT = READER_AGENT


@dataclass(frozen=True)
class Personalised:
    card_id: UUID
    serial: str
    expires_at: datetime
    timings: Timings
    apdus: int
    bytes: int
    sealed: bool = True


def serial_of(app: CardLifecycle, identity: CardIdentity) -> str:
    """The printed serial of the card in the reader: from its serial object, or, for a
    factory-fresh card, the shipment's record of its chip; a chip not shipped as the
    serial says is refused."""
    if identity.fresh and identity.serial is not None:  # identify() looked the chip up
        return identity.serial
    shipped = app.serial_of_chip(identity.chip_id) if identity.chip_id else None
    if identity.serial is not None:
        if shipped is not None and shipped != identity.serial:
            raise PersonalisationError("read_card", f"this card says it is {identity.serial}, "
                                       f"but its chip was shipped as {shipped}", "wrong_card")
        return identity.serial
    if shipped is None:
        raise PersonalisationError("read_card", f"no blank card with chip {identity.chip_id} "
                                   "was shipped to a practice; use a blank card from your "
                                   "practice's delivery", "unknown_card")
    return shipped


def personalise(app: CardLifecycle, transport: Transport, holder: UziPass,
                master_secret: bytes, issuer: CertificateIssuer[x509.Certificate],
                pin: str, puk: str, card_key_type: str = DEFAULT_CARD_KEY_TYPE
                ) -> Personalised:
    try:  # a bad choice is refused before anything happens
        pad_pin(pin)
        pad_pin(puk)
    except ValueError:
        raise PersonalisationError("choose_pin", "PIN and PUK are 6 to 8 digits") from None
    connection = ApduConnection(transport)
    piv = PivSession(connection)
    identity = identify(piv, app.serial_of_chip)
    serial = serial_of(app, identity)

    shipped = app.get_card_by_serial(serial).management_key_algorithm
    key_algorithm = KeyAlgorithm[shipped] if shipped else None

    def write(started: CreationStarted, certify: Certify[x509.Certificate]) -> Written:
        def issue(authentication: Any, signature: Any, confidentiality: Any) \
                -> list[x509.Certificate]:
            issued = certify(authentication, signature, confidentiality)
            return [issued.authentication, issued.signature,
                    *([issued.confidentiality] if issued.confidentiality else [])]

        return write_card(piv, serial,
                          lambda algorithm: management_key(master_secret, serial, False,
                                                           algorithm.key_length),
                          issue, started.card_id, pin, puk, guid=identity.supplier_guid,
                          fresh=identity.fresh, key_algorithm=key_algorithm,
                          card_key_type=card_key_type)

    try:
        started, written = Personalisation(app, issuer).run(serial, holder, write)
    except PersonalisationError as error:
        log.warning("personalisation of %s failed at %s", serial, error.step)
        raise
    except StepFailed as error:  # activation refused: recorded, reported as the reader's
        log.warning("personalisation of %s failed at %s", serial, error.step)
        raise PersonalisationError(error.step, error.detail) from error
    # The card is active from here. Sealing it is the last touch; should the card be
    # pulled out right now, it stays active and the store refuses to start it again.
    try:
        seal_card(piv, management_key(master_secret, serial, True))
        sealed = True
    except PersonalisationError as error:
        log.warning("card %s is active but not sealed: %s", serial, error.detail)
        sealed = False
    return Personalised(started.card_id, serial, written.authentication.not_valid_after_utc,
                        written.timings, connection.apdus, connection.bytes, sealed)
