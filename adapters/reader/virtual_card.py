"""A PIV-compatible virtual blank card, faithful enough for OpenSC's PIV driver.

`VirtualPivCard.process` turns one command APDU into one response APDU; the card's
memory is a `CardState` (`card_state.py`), saved after every change, so the card
survives a restart as a chip keeps its memory; `vpcd.py` puts it in the vpcd reader of
a real pcscd. Keys it generates are real (`cryptography`). It exists for tests and
demos.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from adapters.reader.apdu import ApduFormatError, CommandApdu, ResponseApdu
from adapters.reader.card_state import PIN_TRIES, PUK_TRIES, CardState
from adapters.reader.piv import (
    CPLC_TAG,
    DEFAULT_MANAGEMENT_KEY,
    INS_CHANGE_REFERENCE,
    INS_GENERAL_AUTHENTICATE,
    INS_GENERATE,
    INS_GET_DATA,
    INS_GET_METADATA,
    INS_GET_SERIAL,
    INS_GET_VERSION,
    INS_PUT_DATA,
    INS_RESET_RETRY,
    INS_SELECT,
    INS_SET_MANAGEMENT_KEY,
    INS_VERIFY,
    ISD_AID,
    MANAGEMENT_KEY_REFERENCE,
    OBJECT_CARD_SERIAL,
    OBJECT_DISCOVERY,
    PIN_REFERENCE,
    PIV_AID,
    PUK_REFERENCE,
    KeyAlgorithm,
    decrypt_block,
    encrypt_block,
)
from adapters.reader.status import SW
from adapters.reader.tlv import TlvError, encode_tlv, tlv_map, unwrap

log = logging.getLogger(__name__)

INS_GET_RESPONSE = 0xC0
PIX = bytes.fromhex("000010000100")
FULL_AID = PIV_AID + b"\x01\x00"
APPLICATION_PROPERTY_TEMPLATE = encode_tlv(
    0x61, encode_tlv(0x4F, PIX) + encode_tlv(0x79, encode_tlv(0x4F, PIV_AID[:5])))
DISCOVERY = encode_tlv(0x7E, encode_tlv(0x4F, PIV_AID + b"\x01\x00")
                       + encode_tlv(0x5F2F, b"\x40\x00"))
SLOTS = (0x9A, 0x9C, 0x9D, 0x9E)
VERSION = (5, 4, 3)  # what INS FD answers: a firmware whose management extensions we use


def _atr() -> bytes:
    """A generic T=1 ATR with historical bytes 'ZORGID01', in no OpenSC table."""
    historical = b"ZORGID01"
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    check = 0
    for byte in body:
        check ^= byte
    return b"\x3b" + body + bytes([check])


ATR = _atr()


class Refused(Exception):
    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


def _unpad(block: bytes) -> str:
    return block.rstrip(b"\xff").decode("ascii", errors="replace")


class VirtualPivCard:
    """The PIV applet: one command APDU in, one response APDU out."""

    atr = ATR

    def __init__(self, state: CardState, path: Path | None = None) -> None:
        self.state = state
        self.path = path
        self.power_on()

    # life cycle

    @classmethod
    def blank(cls, path: Path, serial: str, algorithm: KeyAlgorithm, key: bytes) -> VirtualPivCard:
        card = cls(CardState(serial, int(algorithm), key.hex(),
                             objects={f"{OBJECT_CARD_SERIAL:X}": serial.encode().hex()}), path)
        card.save()
        return card

    @classmethod
    def factory(cls, path: Path, chip_serial: int,
                management_key_changeable: bool = True) -> VirtualPivCard:
        """A factory-fresh PIV card as suppliers ship them: the default 3DES management key,
        no serial object of ours, the chip's serial readable (INS F8), metadata (INS F7)."""
        card = cls(CardState(f"CHIP{chip_serial}", int(KeyAlgorithm.TDES),
                             DEFAULT_MANAGEMENT_KEY.hex(), chip_serial=chip_serial,
                             management_key_is_default=True,
                             management_key_changeable=management_key_changeable), path)
        card.save()
        return card

    @classmethod
    def load(cls, path: Path) -> VirtualPivCard:
        return cls(CardState.load(path), path)

    def save(self) -> None:
        if self.path is not None:
            self.state.save(self.path)

    def power_on(self) -> None:
        """Power-up or reset: security status and pending exchanges are gone."""
        self.pin_verified = False
        self.admin = False  # management key authenticated
        self.witness: bytes | None = None
        self.challenge: bytes | None = None
        self.chain = b""
        self.pending = b""

    # the APDU interface

    def process(self, raw: bytes) -> bytes:
        try:
            apdu = CommandApdu.parse(raw)
        except ApduFormatError:
            return ResponseApdu(b"", SW.WRONG_LENGTH).encode()
        try:
            data = self._dispatch(apdu)
        except Refused as refusal:
            self.chain = b""
            return ResponseApdu(b"", refusal.sw).encode()
        except (TlvError, ValueError, KeyError) as error:
            log.debug("bad command data: %s", error)
            self.chain = b""
            return ResponseApdu(b"", SW.INCORRECT_DATA).encode()
        if data is None:
            return ResponseApdu(b"", SW.SUCCESS).encode()
        limit = apdu.le if apdu.le is not None and apdu.le > 256 else 256
        if len(data) > limit:  # the rest by GET RESPONSE (ISO 7816-4 5.3.4)
            self.pending = data[limit:]
            remaining = len(self.pending)
            return ResponseApdu(data[:limit], 0x6100 | (remaining if remaining < 256 else 0))\
                .encode()
        return ResponseApdu(data, SW.SUCCESS).encode()

    def _dispatch(self, apdu: CommandApdu) -> bytes | None:
        if (apdu.cla, apdu.ins) == (0x80, 0xCA):  # GlobalPlatform GET DATA, card manager's
            if self.state.cplc is None or (apdu.p1, apdu.p2) != (0x9F, 0x7F):
                raise Refused(SW.FILE_NOT_FOUND if self.state.cplc is not None
                              else SW.CLA_NOT_SUPPORTED)
            return encode_tlv(CPLC_TAG, bytes.fromhex(self.state.cplc))
        if apdu.cla not in (0x00, 0x10):
            raise Refused(SW.CLA_NOT_SUPPORTED)
        if apdu.ins == INS_GET_RESPONSE:
            data, self.pending = self.pending, b""
            if not data:
                raise Refused(SW.CONDITIONS_NOT_SATISFIED)
            return data
        self.pending = b""
        if apdu.cla == 0x10:  # command chaining: keep the data until the last part
            self.chain += apdu.data
            return None
        data, self.chain = self.chain + apdu.data, b""
        handler = {
            INS_SELECT: self._select,
            INS_GET_DATA: self._get_data,
            INS_PUT_DATA: self._put_data,
            INS_VERIFY: self._verify,
            INS_CHANGE_REFERENCE: self._change_reference,
            INS_RESET_RETRY: self._reset_retry,
            INS_GENERATE: self._generate,
            INS_GENERAL_AUTHENTICATE: self._general_authenticate,
            INS_SET_MANAGEMENT_KEY: self._set_management_key,
            INS_GET_VERSION: self._get_version,
            INS_GET_SERIAL: self._get_serial,
            INS_GET_METADATA: self._get_metadata,
        }.get(apdu.ins)
        if handler is None:
            raise Refused(SW.INS_NOT_SUPPORTED)
        return handler(apdu, data)

    # commands

    def _select(self, apdu: CommandApdu, data: bytes) -> bytes:
        if data == ISD_AID and self.state.cplc is not None:  # the card manager
            return b""
        # the 9-byte AID, the full 11 bytes with the version (SP 800-73-4 part 1, 2.2), or a
        # part of it from the 5-byte RID on: real cards select by partial AID (ISO 7816-4
        # 11.2.2), and yubico-piv-tool sends A0 00 00 03 08
        if apdu.p1 != 0x04 or len(data) < 5 or not FULL_AID.startswith(data):
            raise Refused(SW.FILE_NOT_FOUND)
        return APPLICATION_PROPERTY_TEMPLATE

    def _get_version(self, apdu: CommandApdu, data: bytes) -> bytes:
        return bytes(VERSION)  # the applet's version, as Yubico's INS FD gives it

    def _get_serial(self, apdu: CommandApdu, data: bytes) -> bytes:
        if self.state.chip_serial is None:  # our supplier-mode card: serial in 5FFF01
            raise Refused(SW.INS_NOT_SUPPORTED)
        return self.state.chip_serial.to_bytes(4, "big")

    def _get_metadata(self, apdu: CommandApdu, data: bytes) -> bytes:
        if apdu.p2 != MANAGEMENT_KEY_REFERENCE:
            raise Refused(SW.REFERENCE_NOT_FOUND)
        # algorithm; PIN and touch policy; whether it is still the default value
        return (encode_tlv(0x01, bytes([self.state.management_key_algorithm]))
                + encode_tlv(0x02, b"\x00\x01")
                + encode_tlv(0x05, b"\x01" if self.state.management_key_is_default else b"\x00"))

    def _object_id(self, data: bytes) -> int:
        tags = tlv_map(data)
        if 0x5C not in tags:
            raise Refused(SW.INCORRECT_DATA)
        return int.from_bytes(tags[0x5C], "big")

    def _get_data(self, apdu: CommandApdu, data: bytes) -> bytes:
        if (apdu.p1, apdu.p2) != (0x3F, 0xFF):
            raise Refused(SW.INCORRECT_P1P2)
        object_id = self._object_id(data)
        if object_id == OBJECT_DISCOVERY:
            return DISCOVERY
        value = self.state.objects.get(f"{object_id:X}")
        if value is None:
            raise Refused(SW.FILE_NOT_FOUND)
        return encode_tlv(0x53, bytes.fromhex(value))

    def _put_data(self, apdu: CommandApdu, data: bytes) -> None:
        self._require_admin()
        items = tlv_map(data)
        if 0x5C not in items or 0x53 not in items:
            raise Refused(SW.INCORRECT_DATA)
        object_id = int.from_bytes(items[0x5C], "big")
        if object_id in (OBJECT_DISCOVERY, OBJECT_CARD_SERIAL):
            raise Refused(SW.SECURITY_STATUS_NOT_SATISFIED)
        self.state.objects[f"{object_id:X}"] = items[0x53].hex()
        self.save()

    def _require_admin(self) -> None:
        if not self.admin:
            raise Refused(SW.SECURITY_STATUS_NOT_SATISFIED)

    def _check_secret(self, reference: int, given: bytes) -> None:
        secret, tries_attr = ((self.state.pin, "pin_tries") if reference == PIN_REFERENCE
                              else (self.state.puk, "puk_tries"))
        tries = getattr(self.state, tries_attr)
        if tries == 0:
            raise Refused(SW.AUTH_METHOD_BLOCKED)
        if not secrets.compare_digest(_unpad(given), secret):
            setattr(self.state, tries_attr, tries - 1)
            self.save()
            if tries - 1 == 0:
                raise Refused(SW.AUTH_METHOD_BLOCKED)
            raise Refused(SW.VERIFY_FAILED | (tries - 1))
        if tries != (PIN_TRIES if reference == PIN_REFERENCE else PUK_TRIES):
            setattr(self.state, tries_attr, PIN_TRIES)
            self.save()

    def _verify(self, apdu: CommandApdu, data: bytes) -> None:
        if apdu.p2 != PIN_REFERENCE:
            raise Refused(SW.REFERENCE_NOT_FOUND)
        if apdu.p1 == 0xFF:  # reset the security status
            self.pin_verified = False
            return
        if not data:  # a status query
            if self.pin_verified:
                return
            if self.state.pin_tries == 0:
                raise Refused(SW.AUTH_METHOD_BLOCKED)
            raise Refused(SW.VERIFY_FAILED | self.state.pin_tries)
        if len(data) != 8:
            raise Refused(SW.WRONG_LENGTH)
        self.pin_verified = False
        self._check_secret(PIN_REFERENCE, data)
        self.pin_verified = True

    def _change_reference(self, apdu: CommandApdu, data: bytes) -> None:
        if apdu.p2 not in (PIN_REFERENCE, PUK_REFERENCE) or len(data) != 16:
            raise Refused(SW.INCORRECT_DATA)
        self._check_secret(apdu.p2, data[:8])
        new = _unpad(data[8:])
        if not (new.isdigit() and 6 <= len(new) <= 8):
            raise Refused(SW.INCORRECT_DATA)
        if apdu.p2 == PIN_REFERENCE:
            self.state.pin = new
        else:
            self.state.puk = new
        self.save()

    def _reset_retry(self, apdu: CommandApdu, data: bytes) -> None:
        if apdu.p2 != PIN_REFERENCE or len(data) != 16:
            raise Refused(SW.INCORRECT_DATA)
        self._check_secret(PUK_REFERENCE, data[:8])
        new = _unpad(data[8:])
        if not (new.isdigit() and 6 <= len(new) <= 8):
            raise Refused(SW.INCORRECT_DATA)
        self.state.pin, self.state.pin_tries = new, PIN_TRIES
        self.save()

    def _generate(self, apdu: CommandApdu, data: bytes) -> bytes:
        self._require_admin()
        if apdu.p2 not in SLOTS:
            raise Refused(SW.INCORRECT_P1P2)
        algorithm = tlv_map(unwrap(data, 0xAC)).get(0x80, b"")
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if algorithm == bytes([KeyAlgorithm.RSA2048]):
            key = rsa.generate_private_key(65537, 2048)
            numbers = key.public_key().public_numbers()
            public = encode_tlv(0x81, numbers.n.to_bytes(256, "big")) + encode_tlv(
                0x82, numbers.e.to_bytes(3, "big"))
        elif algorithm in (bytes([KeyAlgorithm.ECCP256]), bytes([KeyAlgorithm.ECCP384])):
            curve = ec.SECP256R1() if algorithm[0] == KeyAlgorithm.ECCP256 else ec.SECP384R1()
            key = ec.generate_private_key(curve)
            public = encode_tlv(0x86, key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
        else:
            raise Refused(SW.FUNCTION_NOT_SUPPORTED)
        self.state.keys[f"{apdu.p2:X}"] = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        self.save()
        return encode_tlv(0x7F49, public)

    def _general_authenticate(self, apdu: CommandApdu, data: bytes) -> bytes:
        template = tlv_map(unwrap(data, 0x7C))
        if apdu.p2 == MANAGEMENT_KEY_REFERENCE:
            return self._management_authenticate(apdu.p1, template)
        if apdu.p2 not in SLOTS:
            raise Refused(SW.INCORRECT_P1P2)
        pem = self.state.keys.get(f"{apdu.p2:X}")
        if pem is None:
            raise Refused(SW.REFERENCE_NOT_FOUND)
        if not self.pin_verified and apdu.p2 != 0x9E:
            raise Refused(SW.SECURITY_STATUS_NOT_SATISFIED)
        if apdu.p2 == 0x9C:
            self.pin_verified = False  # the signature key wants the PIN every time
        payload = template.get(0x81)
        if payload is None:
            raise Refused(SW.INCORRECT_DATA)
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            numbers = key.private_numbers()
            modulus = numbers.public_numbers.n
            value = int.from_bytes(payload, "big")
            if len(payload) != 256 or value >= modulus:
                raise Refused(SW.INCORRECT_DATA)
            result = pow(value, numbers.d, modulus).to_bytes(256, "big")
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            digest = hashes.SHA256() if len(payload) == 32 else hashes.SHA384()
            if len(payload) not in (32, 48):
                raise Refused(SW.INCORRECT_DATA)
            result = key.sign(payload, ec.ECDSA(Prehashed(digest)))
        else:  # pragma: no cover - only the algorithms above are generated
            raise Refused(SW.FUNCTION_NOT_SUPPORTED)
        return encode_tlv(0x7C, encode_tlv(0x82, result))

    def _management_authenticate(self, p1: int, template: dict[int, bytes]) -> bytes:
        algorithm = KeyAlgorithm(self.state.management_key_algorithm)
        key = bytes.fromhex(self.state.management_key)
        if p1 not in (algorithm, 0x00):
            raise Refused(SW.INCORRECT_P1P2)
        size = algorithm.block_size
        if 0x80 in template and not template[0x80]:  # mutual, step 1: our witness
            self.witness = secrets.token_bytes(size)
            return encode_tlv(0x7C, encode_tlv(0x80, encrypt_block(algorithm, key, self.witness)))
        if 0x80 in template and 0x81 in template:  # mutual, step 2
            witness, self.witness = self.witness, None
            if witness is None or not secrets.compare_digest(template[0x80], witness):
                self.admin = False
                raise Refused(SW.SECURITY_STATUS_NOT_SATISFIED)
            self.admin = True
            return encode_tlv(0x7C, encode_tlv(0x82, encrypt_block(algorithm, key,
                                                                   template[0x81])))
        if 0x81 in template and not template[0x81]:  # a challenge (external auth, random)
            self.challenge = secrets.token_bytes(size if p1 else 8)
            return encode_tlv(0x7C, encode_tlv(0x81, self.challenge))
        if 0x82 in template:  # external authentication, step 2
            challenge, self.challenge = self.challenge, None
            if challenge is None or not secrets.compare_digest(
                    decrypt_block(algorithm, key, template[0x82]), challenge):
                raise Refused(SW.SECURITY_STATUS_NOT_SATISFIED)
            self.admin = True
            return b""
        raise Refused(SW.INCORRECT_DATA)

    def _set_management_key(self, apdu: CommandApdu, data: bytes) -> None:
        if not self.state.management_key_changeable:  # a card whose applet lacks INS FF
            raise Refused(SW.INS_NOT_SUPPORTED)
        self._require_admin()
        if (apdu.p1, apdu.p2) not in ((0xFF, 0xFF), (0xFF, 0xFE)) or len(data) < 3:
            raise Refused(SW.INCORRECT_P1P2)
        algorithm = KeyAlgorithm(data[0])
        if data[1] != MANAGEMENT_KEY_REFERENCE or data[2] != algorithm.key_length \
                or len(data) != 3 + algorithm.key_length:
            raise Refused(SW.INCORRECT_DATA)
        self.state.management_key_algorithm = int(algorithm)
        self.state.management_key = data[3:].hex()
        self.state.management_key_is_default = data[3:] == DEFAULT_MANAGEMENT_KEY
        self.save()


# the vpcd link (vsmartcard's virtual PCD: a 2-byte length, then the payload)
