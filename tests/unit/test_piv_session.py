"""The PIV session against the virtual card, in-process (no pcscd): the card edge
of SP 800-73-4 as our personalisation uses it. tests/integration runs the same
card through a real pcscd and OpenSC."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from adapters.reader.apdu import ApduConnection
from adapters.reader.piv import (
    KeyAlgorithm,
    PivError,
    PivSession,
    Slot,
    rsa_pkcs1v15_block,
)
from adapters.reader.status import Blocked, InvalidData, SecurityNotSatisfied, WrongPin
from adapters.reader.virtual_card import VirtualPivCard

AES_KEY = bytes(range(16))
TDES_KEY = bytes(range(24))


class InProcess:
    def __init__(self, card: VirtualPivCard) -> None:
        self.card = card

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        response = self.card.process(apdu)
        return response[:-2], int.from_bytes(response[-2:], "big")

    def close(self) -> None:
        pass


@pytest.fixture
def card(tmp_path) -> VirtualPivCard:
    return VirtualPivCard.blank(tmp_path / "card.json", "ZID000000042", KeyAlgorithm.AES128,
                                AES_KEY)


@pytest.fixture
def piv(card) -> PivSession:
    session = PivSession(ApduConnection(InProcess(card)))
    session.select()
    return session


def test_select_serial_and_blank(piv):
    assert piv.select().pix.startswith(bytes.fromhex("00001000"))
    assert piv.read_serial() == "ZID000000042"
    assert not piv.has_certificate(Slot.AUTHENTICATION)


def test_mutual_authentication_with_aes_and_3des(tmp_path, piv):
    piv.authenticate(KeyAlgorithm.AES128, AES_KEY)
    tdes = VirtualPivCard.blank(tmp_path / "t.json", "ZID000000043", KeyAlgorithm.TDES, TDES_KEY)
    other = PivSession(ApduConnection(InProcess(tdes)))
    other.select()
    other.authenticate(KeyAlgorithm.TDES, TDES_KEY)


def test_a_wrong_management_key_is_refused(piv):
    with pytest.raises((PivError, SecurityNotSatisfied)):
        piv.authenticate(KeyAlgorithm.AES128, bytes(16))
    with pytest.raises(SecurityNotSatisfied):
        piv.generate_key(Slot.AUTHENTICATION, KeyAlgorithm.RSA2048)


def test_keys_certificates_pin_and_signatures(piv, card):
    piv.authenticate(KeyAlgorithm.AES128, AES_KEY)
    rsa_public = piv.generate_key(Slot.AUTHENTICATION, KeyAlgorithm.RSA2048)
    ec_public = piv.generate_key(Slot.SIGNATURE, KeyAlgorithm.ECCP256)
    assert isinstance(rsa_public, rsa.RSAPublicKey) and rsa_public.key_size == 2048
    assert isinstance(ec_public, ec.EllipticCurvePublicKey)
    certificate = bytes(range(256)) * 5  # longer than one response: GET RESPONSE
    piv.put_certificate(Slot.AUTHENTICATION, certificate)
    assert piv.get_certificate(Slot.AUTHENTICATION) == certificate
    message = b"inloggen bij het LSP"
    digest = hashlib.sha256(message).digest()
    with pytest.raises(SecurityNotSatisfied):
        piv.sign_raw(Slot.AUTHENTICATION, KeyAlgorithm.RSA2048, rsa_pkcs1v15_block(digest))
    piv.verify_pin("123456")
    signature = piv.sign_raw(Slot.AUTHENTICATION, KeyAlgorithm.RSA2048,
                             rsa_pkcs1v15_block(digest))
    rsa_public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    piv.verify_pin("123456")  # the signature key wants the PIN right before each use
    ec_signature = piv.sign_raw(Slot.SIGNATURE, KeyAlgorithm.ECCP256, digest)
    ec_public.verify(ec_signature, message, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(SecurityNotSatisfied):
        piv.sign_raw(Slot.SIGNATURE, KeyAlgorithm.ECCP256, digest)
    # the card kept everything in its state file
    reloaded = PivSession(ApduConnection(InProcess(VirtualPivCard.load(card.path))))
    reloaded.select()
    assert reloaded.get_certificate(Slot.AUTHENTICATION) == certificate


def test_pin_tries_block_and_the_puk_unblocks(piv):
    with pytest.raises(WrongPin) as first:
        piv.verify_pin("000000")
    assert first.value.tries_left == 2
    with pytest.raises(WrongPin):
        piv.verify_pin("000000")
    with pytest.raises(Blocked):
        piv.verify_pin("000000")
    with pytest.raises(Blocked):
        piv.verify_pin("123456")
    piv.reset_retry_counter("12345678", "246810")
    piv.verify_pin("246810")
    piv.change_pin("246810", "13579111")
    piv.change_puk("12345678", "87654321")
    piv.verify_pin("13579111")
    with pytest.raises(ValueError):
        piv.verify_pin("12ab56")


def test_replacing_the_management_key(piv):
    piv.authenticate(KeyAlgorithm.AES128, AES_KEY)
    new = bytes(range(100, 132))
    piv.set_management_key(KeyAlgorithm.AES256, new)
    with pytest.raises(InvalidData):  # the card now expects AES-256 (P1 0C)
        piv.authenticate(KeyAlgorithm.AES128, AES_KEY)
    piv.authenticate(KeyAlgorithm.AES256, new)


def test_foreign_applications_and_instructions_are_refused(card):
    assert card.process(bytes.fromhex("00A4040007627601FF00000000"))[-2:] == b"\x6a\x82"
    assert card.process(bytes.fromhex("00CA DF30 00".replace(" ", "")))[-2:] == b"\x6d\x00"
    assert card.process(bytes.fromhex("80A4040000"))[-2:] == b"\x6e\x00"
    # the Discovery object answers before any SELECT, as OpenSC asks for it first
    card.power_on()
    assert card.process(bytes.fromhex("00CB3FFF035C017E00"))[:1] == b"\x7e"
