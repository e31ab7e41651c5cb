"""Writing a blank card: the PIV steps of a personalisation, in order, each named so a
failure can be recorded with the step it happened in.

The key pairs are generated on the card and never leave it; the management keys are
per card (`adapters/pki/card_keys.py` derives them); PIN and PUK are chosen at the
workstation and only ever travel to the card.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.reader.piv import (
    DEFAULT_MANAGEMENT_KEY,
    OBJECT_CHUID,
    KeyAlgorithm,
    PivError,
    PivSession,
    Slot,
    pad_pin,
)
from adapters.reader.status import CardError, WrongPin
from adapters.reader.tlv import TlvError, encode_tlv, tlv_map
from domain.personalisation import StepFailed

MANAGEMENT_ALGORITHM = KeyAlgorithm.AES128
# The keys a card makes in 9A, 9C and 9D: RSA-2048 as the UZI pass (the default), or
# P-256 for deployments whose relying parties all take EC (ZORGID_CARD_KEY_TYPE).
CARD_KEY_TYPES = {"rsa2048": KeyAlgorithm.RSA2048, "p256": KeyAlgorithm.ECCP256}
DEFAULT_CARD_KEY_TYPE = "rsa2048"
# A FASC-N for a non-federal issuer (agency code 9999): OpenSC then names the token by
# the CHUID's GUID (SP 800-73-4 part 1, 3.1.2).
NON_FEDERAL_FASCN = bytes.fromhex("D4E739DA739CED39CE739D836858210842108421C84210C3EB")


def chuid(guid: uuid.UUID, expires: datetime) -> bytes:
    return (encode_tlv(0x30, NON_FEDERAL_FASCN) + encode_tlv(0x34, guid.bytes)
            + encode_tlv(0x35, expires.strftime("%Y%m%d").encode()) + encode_tlv(0x3E)
            + encode_tlv(0xFE))


class PersonalisationError(StepFailed):
    """A step of writing the card failed (the reader's, the card's or the CA's error).
    `code` says what the card said, for people and programs (`card_answers` below)."""

    def __init__(self, step: str, detail: str, code: str = "personalisation_failed") -> None:
        super().__init__(step, detail)
        self.code = code


# What a blank card's answer to the management key means (ISO 7816-4 5.6; SP 800-73-4
# part 2 table 6), when the key we hold does not open it: code and what to do.
CARD_ANSWERS: dict[int, tuple[str, str]] = {
    0x6982: ("card_personalised_before", "this card is not blank (it has been personalised "
             "before): its blank management key no longer opens it; use a new blank card"),
    0x6983: ("card_management_key_blocked", "this card's management key is blocked; use a "
             "new blank card"),
    0x6A86: ("card_key_algorithm_differs", "this card uses another management key algorithm "
             "than the one it was delivered with; ask the supplier which"),
    0x6A80: ("card_key_algorithm_differs", "this card uses another management key algorithm "
             "than the one it was delivered with; ask the supplier which"),
    0x6A82: ("no_piv_application", "this card has no PIV application: it is not a ZORG-ID "
             "blank card"),
}


def card_answer(error: CardError) -> tuple[str, str]:
    """The code and message for a card's refusal; any other status word is named."""
    return CARD_ANSWERS.get(error.sw, ("card_refused", f"the card refused with status "
                                                       f"{error.sw:04X}"))


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
    confidentiality: x509.Certificate | None = None


# the card CA: the public keys of 9A, 9C and 9D in, their certificates out, in that order
Issue = Callable[[object, object, object], list[x509.Certificate]]


@dataclass(frozen=True)
class CardIdentity:
    """What a blank card says it is: the printed serial our supplier wrote into object
    5FFF01, and/or the chip's own identity: the Yubico-style serial (INS F8), the GUID of a
    CHUID the supplier wrote (personalisation then keeps it), or the IC serial in the card
    manager's CPLC data (GlobalPlatform GET DATA 9F7F)."""

    serial: str | None
    chip_id: str | None
    # no serial object of ours: a factory-fresh card, whose management key to look up
    fresh: bool = False

    @property
    def supplier_guid(self) -> uuid.UUID | None:
        if self.chip_id is not None and self.chip_id.startswith("chuid:"):
            return uuid.UUID(hex=self.chip_id[6:])
        return None


def identify(piv: PivSession,
             shipped_as: Callable[[str], str | None] | None = None) -> CardIdentity:
    """What the card in the reader is. With `shipped_as` (the store's record of chips),
    a chip the shipment names needs no serial object read: fewer round trips."""
    try:
        piv.select()
    except CardError as error:
        code, message = card_answer(error)
        raise PersonalisationError("read_card", message, code) from error
    except Exception as error:
        raise PersonalisationError("read_card", f"this does not look like a ZORG-ID blank card: "
                                   f"{error}", "not_a_blank_card") from error
    serial = chip = None
    try:
        with contextlib.suppress(CardError, PivError):
            chip = f"yubico:{piv.get_chip_serial()}"  # not every applet has INS F8
        shipped = shipped_as(chip) if chip is not None and shipped_as is not None else None
        if shipped is not None:  # the shipment names this chip: no serial object to read
            return CardIdentity(shipped, chip, fresh=True)
        with contextlib.suppress(CardError, PivError, UnicodeDecodeError):
            serial = piv.read_serial()  # a factory-fresh card has no serial object of ours
        if chip is None and serial is None:  # a supplier may have written a CHUID GUID
            with contextlib.suppress(CardError, PivError, TlvError, KeyError):
                guid = tlv_map(piv.get_data(OBJECT_CHUID))[0x34]
                if len(guid) == 16 and any(guid):
                    chip = f"chuid:{guid.hex()}"
        if chip is None and serial is None:  # a card manager's CPLC names the IC
            with contextlib.suppress(CardError, PivError):
                chip = f"cplc:{piv.get_cplc_chip()}"
    except Exception as error:  # the reader's: the card was pulled out, say
        raise PersonalisationError("read_card", str(error)) from error
    if serial is None and chip is None:
        raise PersonalisationError("read_card", "this card has neither a ZORG-ID serial nor a "
                                   "chip serial: it is not a ZORG-ID blank card",
                                   "not_a_blank_card")
    return CardIdentity(serial, chip, fresh=serial is None)


def read_serial(piv: PivSession) -> str:
    identity = identify(piv)
    if identity.serial is None:
        raise PersonalisationError("read_card", "this card carries no ZORG-ID serial; its chip "
                                   f"is {identity.chip_id}", "not_a_blank_card")
    return identity.serial


BlankKey = bytes | Callable[[KeyAlgorithm], bytes]


def _key_for(blank_key: BlankKey, algorithm: KeyAlgorithm) -> bytes:
    """The blank key for `algorithm`. Our keys come from HKDF, where a shorter key is the
    start of a longer one: 24 bytes handed out for a 3DES card give its AES-128 key too."""
    if callable(blank_key):
        return blank_key(algorithm)
    return blank_key[:algorithm.key_length]


def open_blank(piv: PivSession, blank_key: BlankKey, fresh: bool = False,
               shipped: KeyAlgorithm | None = None) -> None:
    """Authenticate with the card management key a blank card has: our per-card blank key,
    or on a factory-fresh card the publicly known default, which is replaced by our blank
    key at once (the session stays authenticated); a card that cannot have it replaced is
    refused here, before any key is generated. The algorithm is the one the shipment
    gave (`shipped`), else ours unless the card says otherwise (INS F7), asked first of a
    fresh card and of one that refuses ours."""
    def metadata() -> tuple[KeyAlgorithm, bool]:
        try:
            return piv.management_key_metadata()
        except (CardError, PivError):
            return MANAGEMENT_ALGORITHM, False

    try:
        if fresh:
            algorithm, is_default = metadata()
        else:
            first = shipped or MANAGEMENT_ALGORITHM
            try:
                piv.authenticate(first, _key_for(blank_key, first))
                return
            except CardError as error:
                if error.sw not in (0x6A86, 0x6A80):
                    raise
            algorithm, is_default = metadata()  # another algorithm: the card says which
        if is_default:
            piv.authenticate(algorithm, DEFAULT_MANAGEMENT_KEY[:algorithm.key_length])
            try:
                piv.set_management_key(MANAGEMENT_ALGORITHM,
                                       _key_for(blank_key, MANAGEMENT_ALGORITHM))
            except CardError as error:
                raise PersonalisationError(
                    "check_blank", "this card still answers to the publicly known default "
                    "management key and cannot have it changed; it would stay open to anyone, "
                    f"so it is not used (status {error.sw:04X})",
                    "management_key_not_changeable") from error
            return
        piv.authenticate(algorithm, _key_for(blank_key, algorithm))
    except PersonalisationError:
        raise
    except CardError as error:
        code, message = card_answer(error)
        raise PersonalisationError("check_blank", message, code) from error
    except PivError as error:  # it answered, but could not prove it holds our key
        code, message = CARD_ANSWERS[0x6982]
        raise PersonalisationError("check_blank", message, code) from error
    except ValueError as error:  # a key of the wrong length for the card's algorithm
        code, message = CARD_ANSWERS[0x6A86]
        raise PersonalisationError("check_blank", message, code) from error


def write_card(piv: PivSession, serial: str, blank_key: BlankKey, issue: Issue,
               card_id: uuid.UUID, pin: str, puk: str,
               default_pin: str = "123456", default_puk: str = "12345678",
               guid: uuid.UUID | None = None, fresh: bool = False,
               key_algorithm: KeyAlgorithm | None = None,
               card_key_type: str = DEFAULT_CARD_KEY_TYPE,
               progress: Callable[[str], None] | None = None) -> Written:
    """Everything up to the PIN: keys, certificates, CHUID. The card makes three key
    pairs of `card_key_type` (authentication 9A, signature 9C, confidentiality 9D);
    `issue(auth_public, sign_public, confidentiality_public)` asks the card CA for their
    certificates (ending when the card ends). `key_algorithm` is the management key's.
    `blank_key` is the card's blank management key, or a function giving it for the
    algorithm the card reports (3DES, AES-128, -192 or -256). `card_id` becomes the
    CHUID's GUID, unless the supplier wrote one: that stays, it names the chip.

    A card is blank while its blank management key opens it; a failed attempt leaves it
    so, and the same card can be tried again. `progress(step)` hears each step as it
    begins (authenticate, generate_key, issue_certificates, put_certificate, put_chuid,
    set_pin), for a person watching."""
    timings = Timings()

    def starting(name: str) -> str:
        if progress is not None:
            progress(name)
        return name

    try:  # refuse a bad choice before the card is touched
        pad_pin(pin)
        pad_pin(puk)
    except ValueError:
        raise PersonalisationError("choose_pin", "PIN and PUK are 6 to 8 digits") from None
    algorithm = CARD_KEY_TYPES.get(card_key_type)
    if algorithm is None:
        raise PersonalisationError("generate_key", f"unknown card key type {card_key_type!r}; "
                                   f"use one of {', '.join(CARD_KEY_TYPES)}", "unknown_key_type")
    started = time.perf_counter()
    try:
        starting("authenticate")
        open_blank(piv, blank_key, fresh, key_algorithm)
    except PersonalisationError:
        raise
    except Exception as error:
        raise PersonalisationError("authenticate", str(error)) from error
    step = starting("generate_key")
    try:
        begin = time.perf_counter()
        slots = (Slot.AUTHENTICATION, Slot.SIGNATURE, Slot.KEY_MANAGEMENT)
        publics = [piv.generate_key(slot, algorithm) for slot in slots]
        timings.key_generation = time.perf_counter() - begin
        step = starting("issue_certificates")
        begin = time.perf_counter()
        certificates = issue(*publics)
        timings.issuance = time.perf_counter() - begin
        if len(certificates) != len(slots):
            raise PersonalisationError(step, f"the card CA issued {len(certificates)} "
                                       f"certificates for {len(slots)} keys")
        step = starting("put_certificate")
        der = serialization.Encoding.DER
        for slot, certificate in zip(slots, certificates, strict=True):
            piv.put_certificate(slot, certificate.public_bytes(der))
        authentication, signature, confidentiality = certificates
        step = starting("put_chuid")
        piv.put_data(OBJECT_CHUID, chuid(guid or card_id, authentication.not_valid_after_utc))
        step = starting("set_pin")
        set_pin_and_puk(piv, pin, puk, default_pin, default_puk)
    except PersonalisationError:
        raise
    except Exception as error:  # the reader's, the card's and the CA's errors, by step
        raise PersonalisationError(step, str(error)) from error
    timings.card_talk = (time.perf_counter() - started) - timings.key_generation \
        - timings.issuance
    return Written(serial, authentication, signature, timings, confidentiality)


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
