"""A PIV session (NIST SP 800-73-4 part 2): the card edge we personalise.

One class with verb methods; results are cryptography key objects or bytes. It
talks through an ApduConnection and never imports pyscard.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from enum import IntEnum

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapters.reader.apdu import ApduConnection, CommandApdu
from adapters.reader.status import CardError
from adapters.reader.tlv import TlvError, encode_tlv, tlv_map, unwrap

PIV_AID = bytes.fromhex("A00000030800001000")  # SP 800-73-4 part 1 section 2.2
INS_SELECT, INS_GET_DATA, INS_PUT_DATA = 0xA4, 0xCB, 0xDB
INS_VERIFY, INS_CHANGE_REFERENCE, INS_RESET_RETRY = 0x20, 0x24, 0x2C
INS_GENERAL_AUTHENTICATE, INS_GENERATE = 0x87, 0x47
# Not in SP 800-73-4: set the card management key, as Yubico's PIV applet defines it;
# and our blank card's vendor object holding its printed serial.
INS_SET_MANAGEMENT_KEY = 0xFF
# Also Yubico's, copied by many JavaCard PIV applets: the applet's version, the chip's
# serial, and a key's metadata (algorithm, policy, whether it is still the default).
INS_GET_VERSION, INS_GET_SERIAL, INS_GET_METADATA = 0xFD, 0xF8, 0xF7
# The factory default card management key of PIV cards (3DES; AES-192 on newer YubiKeys,
# the same 24 bytes): publicly known, so a card must never go out still answering to it.
DEFAULT_MANAGEMENT_KEY = bytes.fromhex("010203040506070801020304050607080102030405060708")
OBJECT_CARD_SERIAL = 0x5FFF01
PIN_REFERENCE, PUK_REFERENCE, MANAGEMENT_KEY_REFERENCE = 0x80, 0x81, 0x9B

OBJECT_CHUID = 0x5FC102
# GlobalPlatform: the card manager (issuer security domain) and its Card Production Life
# Cycle data, which holds the IC fabricator, IC type and IC serial number (GP 2.3, H.6)
ISD_AID = bytes.fromhex("A000000151000000")
CPLC_TAG = 0x9F7F
OBJECT_DISCOVERY = 0x7E


class Slot(IntEnum):
    AUTHENTICATION = 0x9A
    SIGNATURE = 0x9C
    KEY_MANAGEMENT = 0x9D
    CARD_AUTHENTICATION = 0x9E

    @property
    def certificate_object(self) -> int:
        return {0x9A: 0x5FC105, 0x9C: 0x5FC10A, 0x9D: 0x5FC10B, 0x9E: 0x5FC101}[self.value]


class KeyAlgorithm(IntEnum):
    TDES = 0x03
    AES128 = 0x08
    AES192 = 0x0A
    AES256 = 0x0C
    RSA2048 = 0x07
    ECCP256 = 0x11
    ECCP384 = 0x14

    @property
    def key_length(self) -> int:
        return {0x03: 24, 0x08: 16, 0x0A: 24, 0x0C: 32}[self.value]

    @property
    def block_size(self) -> int:
        return 8 if self is KeyAlgorithm.TDES else 16


class PivError(Exception):
    """The card's answer does not make sense as PIV (malformed, unexpected)."""


def block_cipher(algorithm: KeyAlgorithm, key: bytes) -> Cipher:
    if len(key) != algorithm.key_length:
        raise ValueError(f"a {algorithm.name} management key has {algorithm.key_length} bytes")
    if algorithm is KeyAlgorithm.TDES:
        return Cipher(TripleDES(key), modes.ECB())
    return Cipher(algorithms.AES(key), modes.ECB())


def encrypt_block(algorithm: KeyAlgorithm, key: bytes, block: bytes) -> bytes:
    encryptor = block_cipher(algorithm, key).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def decrypt_block(algorithm: KeyAlgorithm, key: bytes, block: bytes) -> bytes:
    decryptor = block_cipher(algorithm, key).decryptor()
    return decryptor.update(block) + decryptor.finalize()


def pad_pin(pin: str) -> bytes:
    """PIN and PUK: 6 to 8 ASCII digits, padded with FF to 8 bytes (SP 800-73-4 2.4.3)."""
    if not (pin.isascii() and pin.isdigit() and 6 <= len(pin) <= 8):
        raise ValueError("a PIN or PUK is 6 to 8 digits")
    return pin.encode().ljust(8, b"\xff")


def object_tag(object_id: int) -> bytes:
    return object_id.to_bytes(3 if object_id > 0xFFFF else 1, "big")


@dataclass(frozen=True)
class Selected:
    pix: bytes


class PivSession:
    def __init__(self, connection: ApduConnection) -> None:
        self.connection = connection

    def _send(self, ins: int, p1: int, p2: int, data: bytes = b"",
              le: int | None = None) -> bytes:
        return self.connection.send(CommandApdu(0x00, ins, p1, p2, data, le))

    def select(self) -> Selected:
        answer = self._send(INS_SELECT, 0x04, 0x00, PIV_AID, le=256)
        try:
            template = tlv_map(unwrap(answer, 0x61))
        except TlvError as error:
            raise PivError(f"the card's answer to SELECT is not PIV: {error}") from None
        return Selected(pix=template.get(0x4F, b""))

    def get_data(self, object_id: int) -> bytes:
        answer = self._send(INS_GET_DATA, 0x3F, 0xFF, encode_tlv(0x5C, object_tag(object_id)),
                            le=256)
        try:
            if answer[:1] == b"\x53":
                return unwrap(answer, 0x53)
            # some objects come without the 53 wrapper: the discovery object is its own 7E
            # template (SP 800-73-4 part 1, 3.3.2), and cards return it as such
            unwrap(answer, object_id)  # one whole TLV of the object's own tag, nothing else
            return answer
        except TlvError as error:
            raise PivError(f"object {object_id:X} is malformed: {error}") from None

    def put_data(self, object_id: int, value: bytes) -> None:
        self._send(INS_PUT_DATA, 0x3F, 0xFF,
                   encode_tlv(0x5C, object_tag(object_id)) + encode_tlv(0x53, value))

    def read_serial(self) -> str:
        return self.get_data(OBJECT_CARD_SERIAL).decode("ascii")

    def get_version(self) -> tuple[int, ...]:
        return tuple(self._send(INS_GET_VERSION, 0x00, 0x00, le=256))

    def get_chip_serial(self) -> int:
        """The chip's own serial number (INS F8), where the applet answers it."""
        answer = self._send(INS_GET_SERIAL, 0x00, 0x00, le=256)
        if len(answer) != 4:
            raise PivError("the card's serial number is not four bytes")
        return int.from_bytes(answer, "big")

    def get_cplc_chip(self) -> str:
        """The chip's identity from its CPLC data: IC fabricator, IC type and IC serial,
        read from the card manager; the PIV application is selected again after."""
        try:
            self.connection.send(CommandApdu(0x00, INS_SELECT, 0x04, 0x00, ISD_AID, 256))
            answer = self.connection.send(CommandApdu(0x80, 0xCA, 0x9F, 0x7F, b"", 256))
        finally:
            self.select()
        try:
            cplc = unwrap(answer, CPLC_TAG)
        except TlvError as error:
            raise PivError(f"the card's CPLC data is malformed: {error}") from None
        if len(cplc) < 16:
            raise PivError("the card's CPLC data is too short")
        return (cplc[0:4] + cplc[12:16]).hex()  # fabricator, type; IC serial number

    def management_key_metadata(self) -> tuple[KeyAlgorithm, bool]:
        """The card management key's algorithm and whether it is the default (INS F7)."""
        answer = self._send(INS_GET_METADATA, 0x00, MANAGEMENT_KEY_REFERENCE, le=256)
        try:
            fields = tlv_map(answer)
            return KeyAlgorithm(fields[0x01][0]), fields.get(0x05, b"\x00") == b"\x01"
        except (TlvError, KeyError, IndexError, ValueError):
            raise PivError("the card's key metadata is malformed") from None

    def has_certificate(self, slot: Slot) -> bool:
        try:
            self.get_data(slot.certificate_object)
        except CardError as error:
            if error.sw == 0x6A82:
                return False
            raise
        return True

    def authenticate(self, algorithm: KeyAlgorithm, key: bytes) -> None:
        """Mutual authentication with the card management key (SP 800-73-4 part 2, 3.2.4)."""
        step1 = self._send(INS_GENERAL_AUTHENTICATE, algorithm, MANAGEMENT_KEY_REFERENCE,
                           encode_tlv(0x7C, encode_tlv(0x80)), le=256)
        try:
            witness = tlv_map(unwrap(step1, 0x7C))[0x80]
        except (TlvError, KeyError):
            raise PivError("the card sent no witness") from None
        if len(witness) != algorithm.block_size:
            raise PivError("the witness has the wrong length")
        challenge = os.urandom(algorithm.block_size)
        step2 = self._send(
            INS_GENERAL_AUTHENTICATE, algorithm, MANAGEMENT_KEY_REFERENCE,
            encode_tlv(0x7C, encode_tlv(0x80, decrypt_block(algorithm, key, witness))
                       + encode_tlv(0x81, challenge)), le=256)
        try:
            answer = tlv_map(unwrap(step2, 0x7C))[0x82]
        except (TlvError, KeyError):
            raise PivError("the card did not answer the challenge") from None
        if not hmac.compare_digest(answer, encrypt_block(algorithm, key, challenge)):
            raise PivError("the card failed to prove it knows the management key")

    def set_management_key(self, algorithm: KeyAlgorithm, key: bytes) -> None:
        if len(key) != algorithm.key_length:
            raise ValueError("wrong management key length")
        self._send(INS_SET_MANAGEMENT_KEY, 0xFF, 0xFF,
                   bytes([algorithm, MANAGEMENT_KEY_REFERENCE, len(key)]) + key)

    def generate_key(self, slot: Slot, algorithm: KeyAlgorithm) -> rsa.RSAPublicKey \
            | ec.EllipticCurvePublicKey:
        answer = self._send(INS_GENERATE, 0x00, slot,
                            encode_tlv(0xAC, encode_tlv(0x80, bytes([algorithm]))), le=256)
        try:
            fields = tlv_map(unwrap(answer, 0x7F49))
            if algorithm is KeyAlgorithm.RSA2048:
                return rsa.RSAPublicNumbers(int.from_bytes(fields[0x82], "big"),
                                            int.from_bytes(fields[0x81], "big")).public_key()
            curve = ec.SECP256R1() if algorithm is KeyAlgorithm.ECCP256 else ec.SECP384R1()
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, fields[0x86])
        except (TlvError, KeyError, ValueError) as error:
            raise PivError(f"the card's public key is malformed: {error}") from None

    def put_certificate(self, slot: Slot, der: bytes) -> None:
        self.put_data(slot.certificate_object,
                      encode_tlv(0x70, der) + encode_tlv(0x71, b"\x00") + encode_tlv(0xFE))

    def get_certificate(self, slot: Slot) -> bytes:
        try:
            return tlv_map(self.get_data(slot.certificate_object))[0x70]
        except (TlvError, KeyError):
            raise PivError(f"the certificate object of slot {slot:X} is malformed") from None

    def verify_pin(self, pin: str) -> None:
        self._send(INS_VERIFY, 0x00, PIN_REFERENCE, pad_pin(pin))

    def change_reference(self, reference: int, old: str, new: str) -> None:
        self._send(INS_CHANGE_REFERENCE, 0x00, reference, pad_pin(old) + pad_pin(new))

    def change_pin(self, old: str, new: str) -> None:
        self.change_reference(PIN_REFERENCE, old, new)

    def change_puk(self, old: str, new: str) -> None:
        self.change_reference(PUK_REFERENCE, old, new)

    def reset_retry_counter(self, puk: str, new_pin: str) -> None:
        self._send(INS_RESET_RETRY, 0x00, PIN_REFERENCE, pad_pin(puk) + pad_pin(new_pin))

    def sign_raw(self, slot: Slot, algorithm: KeyAlgorithm, data: bytes) -> bytes:
        """The private-key operation: RSA on a padded block, ECDSA on a digest."""
        answer = self._send(INS_GENERAL_AUTHENTICATE, algorithm, slot,
                            encode_tlv(0x7C, encode_tlv(0x82) + encode_tlv(0x81, data)), le=256)
        try:
            return tlv_map(unwrap(answer, 0x7C))[0x82]
        except (TlvError, KeyError):
            raise PivError("the card's signature answer is malformed") from None


SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")  # RFC 8017 9.2


def rsa_pkcs1v15_block(sha256_digest: bytes, size: int = 256) -> bytes:
    """EMSA-PKCS1-v1_5 encoding (RFC 8017 9.2) of a SHA-256 digest, for a raw RSA operation."""
    info = SHA256_DIGEST_INFO + sha256_digest
    return b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
