"""Writing a blank card: the PIV steps of a personalisation, in order, each named so a
failure can be recorded with the step it happened in.

The key pairs are generated on the card and never leave it; the management keys are
per card (`adapters/pki/card_keys.py` derives them); PIN and PUK are chosen at the
workstation and only ever travel to the card.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.reader.piv import KeyAlgorithm, PivError, PivSession, Slot, pad_pin
from adapters.reader.status import CardError, WrongPin
from adapters.reader.tlv import encode_tlv
from domain.personalisation import StepFailed

MANAGEMENT_ALGORITHM = KeyAlgorithm.AES128
# A FASC-N for a non-federal issuer (agency code 9999): OpenSC then names the token by
# the CHUID's GUID (SP 800-73-4 part 1, 3.1.2).
NON_FEDERAL_FASCN = bytes.fromhex("D4E739DA739CED39CE739D836858210842108421C84210C3EB")


def chuid(guid: uuid.UUID, expires: datetime) -> bytes:
    return (encode_tlv(0x30, NON_FEDERAL_FASCN) + encode_tlv(0x34, guid.bytes)
            + encode_tlv(0x35, expires.strftime("%Y%m%d").encode()) + encode_tlv(0x3E)
            + encode_tlv(0xFE))


class PersonalisationError(StepFailed):
    """A step of writing the card failed (the reader's, the card's or the CA's error)."""


@dataclass
class Timings:
    key_generation: float = 0.0
    card_talk: float = 0.0
    issuance: float = 0.0


@dataclass
class Written:
    serial: str
    authentication: x509.Certificate
    signature: x509.Certificate
    timings: Timings = field(default_factory=Timings)


Issue = Callable[[object, object], tuple[x509.Certificate, x509.Certificate]]


def read_serial(piv: PivSession) -> str:
    try:
        piv.select()
        return piv.read_serial()
    except Exception as error:
        raise PersonalisationError("read_card", f"this does not look like a ZORG-ID blank card: "
                                   f"{error}") from error


def write_card(piv: PivSession, serial: str, blank_key: bytes, issue: Issue,
               card_id: uuid.UUID, pin: str, puk: str,
               default_pin: str = "123456", default_puk: str = "12345678") -> Written:
    """Everything up to the PIN: keys, certificates, CHUID. `issue(auth_public,
    sign_public)` asks the card CA for the two certificates (ending when the card ends).

    A card is blank while its blank management key opens it; a failed attempt leaves it
    so, and the same card can be tried again."""
    timings = Timings()
    try:  # refuse a bad choice before the card is touched
        pad_pin(pin)
        pad_pin(puk)
    except ValueError:
        raise PersonalisationError("choose_pin", "PIN and PUK are 6 to 8 digits") from None
    started = time.perf_counter()
    try:
        piv.authenticate(MANAGEMENT_ALGORITHM, blank_key)
    except (CardError, PivError) as error:
        raise PersonalisationError(
            "check_blank", "this card is not blank (it has been personalised before); "
            "use a new blank card") from error
    except Exception as error:
        raise PersonalisationError("authenticate", str(error)) from error
    step = "generate_key"
    try:
        begin = time.perf_counter()
        auth_public = piv.generate_key(Slot.AUTHENTICATION, KeyAlgorithm.RSA2048)
        sign_public = piv.generate_key(Slot.SIGNATURE, KeyAlgorithm.ECCP256)
        timings.key_generation = time.perf_counter() - begin
        step = "issue_certificates"
        begin = time.perf_counter()
        authentication, signature = issue(auth_public, sign_public)
        timings.issuance = time.perf_counter() - begin
        step = "put_certificate"
        der = serialization.Encoding.DER
        piv.put_certificate(Slot.AUTHENTICATION, authentication.public_bytes(der))
        piv.put_certificate(Slot.SIGNATURE, signature.public_bytes(der))
        step = "put_chuid"
        piv.put_data(0x5FC102, chuid(card_id, authentication.not_valid_after_utc))
        step = "set_pin"
        set_pin_and_puk(piv, pin, puk, default_pin, default_puk)
    except PersonalisationError:
        raise
    except Exception as error:  # the reader's, the card's and the CA's errors, by step
        raise PersonalisationError(step, str(error)) from error
    timings.card_talk = (time.perf_counter() - started) - timings.key_generation \
        - timings.issuance
    return Written(serial, authentication, signature, timings)


def set_pin_and_puk(piv: PivSession, pin: str, puk: str, default_pin: str,
                    default_puk: str) -> None:
    """Set the PIN and PUK the employee chose, also on a card whose earlier attempt
    failed after one of them was changed (pulled out, say): then the PIN is no longer the
    default, and the PUK (the default, or the one chosen now) sets it again, which also
    restores its tries. The guesses cost at most one PIN try and two PUK tries, and the
    success that follows restores them."""
    try:
        piv.change_pin(default_pin, pin)
    except WrongPin:
        for known in dict.fromkeys((default_puk, puk)):
            try:
                piv.reset_retry_counter(known, pin)
                break
            except WrongPin:
                continue
        else:
            raise PersonalisationError(
                "set_pin", "an earlier attempt set this card's PIN and PUK; enter the PUK "
                "you chose then") from None
    try:
        piv.change_puk(default_puk, puk)
    except WrongPin:
        piv.change_puk(puk, puk)  # set earlier to this very PUK: nothing to change


def seal_card(piv: PivSession, personalised_key: bytes) -> None:
    """After activation: replace the blank management key, so the card is blank no more."""
    try:
        piv.set_management_key(MANAGEMENT_ALGORITHM, personalised_key)
    except Exception as error:
        raise PersonalisationError("set_management_key", str(error)) from error
