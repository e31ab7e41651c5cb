"""The card CA's key in a PKCS #11 token (an HSM; SoftHSM2 in the tests).

The key is made in the token as sensitive and not extractable, so it never exists in
a file or in this process: the token signs. `cryptography` signs certificates, CRLs
and OCSP responses only with its own key objects, so each is first built and signed
with a throw-away key of the same algorithm (which fixes every byte of the signed
part, the signature algorithm included), the token signs those bytes, and `asn1crypto`
puts the signed part and the token's signature together. The OCSP responder's key is
made in the token too, as a session object that ends with the process.

Which token and key is recorded in `card-ca-pkcs11.json` beside the CA certificate;
the PIN is never written down: it comes from ``ZORGID_PKCS11_PIN``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ecdsa_signature, encode_named_curve_parameters

from adapters.pki.certificates import PrivateKey, PublicKey
from domain.errors import DomainError

# a CA key signs and does nothing else
PRIVATE = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True,
           Attribute.PRIVATE: True, Attribute.DECRYPT: False, Attribute.UNWRAP: False}
PUBLIC = {Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False}


@dataclass(frozen=True)
class TokenKey:
    """Where the key is: the PKCS #11 module, the token's label and the key's label."""

    module: str
    token_label: str
    key_label: str

    @classmethod
    def read(cls, path: Path) -> TokenKey:
        data = json.loads(path.read_text())
        return cls(data["module"], data["token_label"], data["key_label"])

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


def open_session(where: TokenKey, pin: str | None) -> Any:
    """A logged-in read-write session with the token, or a one-line refusal."""
    if not pin:
        raise DomainError("pkcs11_pin_missing", "set ZORGID_PKCS11_PIN to the token's user PIN")
    try:
        library = pkcs11.lib(where.module)
    except (RuntimeError, OSError, pkcs11.PKCS11Error):
        raise DomainError("pkcs11_module_unusable",
                       f"cannot load the PKCS #11 module {where.module}") from None
    try:
        token = library.get_token(token_label=where.token_label)
    except (pkcs11.NoSuchToken, pkcs11.MultipleTokensReturned):
        raise DomainError("pkcs11_token_not_found",
                       f"no single token labelled {where.token_label!r} in "
                       f"{where.module}") from None
    try:
        return token.open(user_pin=pin, rw=True)
    except pkcs11.PinIncorrect:
        raise DomainError("pkcs11_pin_incorrect", "the token refused ZORGID_PKCS11_PIN") from None
    except pkcs11.PKCS11Error as error:
        raise DomainError("pkcs11_login_failed", f"the token refused the login "
                       f"({type(error).__name__})") from None


@cache
def _stand_in(kind: str) -> PrivateKey:
    """The throw-away key a builder is signed with before the token signs its TBS."""
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    return ec.generate_private_key(ec.SECP256R1())


def _public_key_of(key: Any) -> PublicKey:
    if key.key_type == KeyType.RSA:
        return rsa.RSAPublicNumbers(int.from_bytes(key[Attribute.PUBLIC_EXPONENT], "big"),
                                    int.from_bytes(key[Attribute.MODULUS], "big")).public_key()
    point = bytes(key[Attribute.EC_POINT])
    if point[0] == 0x04 and len(point) > 2 and point[1] == len(point) - 2:
        point = point[2:]  # DER OCTET STRING around the point, as the standard says
    curve = {97: ec.SECP384R1(), 65: ec.SECP256R1()}.get(len(point))
    if curve is None:
        raise DomainError("pkcs11_key_unsupported", "the token's EC key is not P-256 or P-384")
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)


class TokenSigner:
    """One key pair in an open session: signs what a CA signs. Calls are serialised, as a
    PKCS #11 session does one operation at a time."""

    def __init__(self, session: Any, private: Any, public: PublicKey,
                 lock: threading.Lock) -> None:
        self._session = session
        self._private = private
        self._public = public
        self._lock = lock
        self._kind = "rsa" if isinstance(public, rsa.RSAPublicKey) else "ec"

    def public_key(self) -> PublicKey:
        return self._public

    def _sign(self, data: bytes) -> bytes:
        with self._lock:
            if self._kind == "rsa":
                return bytes(self._private.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
            raw = self._private.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
        return bytes(encode_ecdsa_signature(raw))

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        draft = builder.sign(_stand_in(self._kind), hashes.SHA256())
        parsed = asn1_x509.Certificate.load(draft.public_bytes(serialization.Encoding.DER))
        signed = asn1_x509.Certificate({
            "tbs_certificate": parsed["tbs_certificate"],
            "signature_algorithm": parsed["signature_algorithm"],
            "signature_value": self._sign(draft.tbs_certificate_bytes)})
        return x509.load_der_x509_certificate(signed.dump())

    def sign_crl(self, builder: x509.CertificateRevocationListBuilder) \
            -> x509.CertificateRevocationList:
        draft = builder.sign(_stand_in(self._kind), hashes.SHA256())
        parsed = asn1_crl.CertificateList.load(draft.public_bytes(serialization.Encoding.DER))
        signed = asn1_crl.CertificateList({
            "tbs_cert_list": parsed["tbs_cert_list"],
            "signature_algorithm": parsed["signature_algorithm"],
            "signature": self._sign(draft.tbs_certlist_bytes)})
        return x509.load_der_x509_crl(signed.dump())

    def sign_ocsp_response(self, builder: ocsp.OCSPResponseBuilder,
                           responder: x509.Certificate,
                           certificates: list[x509.Certificate]) -> ocsp.OCSPResponse:
        # cryptography insists the responder certificate's key signs the draft, so the
        # draft names a stand-in responder; the responder ID (the real key's hash) and
        # the certificates are put in before the token signs the response data
        stand_in_key, stand_in = _stand_in_responder(self._kind)
        draft = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, stand_in)\
            .certificates([stand_in]).sign(stand_in_key, hashes.SHA256())
        parsed = asn1_ocsp.OCSPResponse.load(draft.public_bytes(serialization.Encoding.DER))
        basic = parsed["response_bytes"]["response"].parsed
        data = basic["tbs_response_data"]
        real = asn1_x509.Certificate.load(responder.public_bytes(serialization.Encoding.DER))
        data["responder_id"] = asn1_ocsp.ResponderId(name="by_key",
                                                     value=real.public_key.sha1)
        signed = asn1_ocsp.BasicOCSPResponse({
            "tbs_response_data": data,
            "signature_algorithm": basic["signature_algorithm"],
            "signature": self._sign(data.dump()),
            "certs": [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                      for c in certificates]})
        response = asn1_ocsp.OCSPResponse({
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": signed}})
        return ocsp.load_der_ocsp_response(response.dump())


@cache
def _stand_in_responder(kind: str) -> tuple[PrivateKey, x509.Certificate]:
    key = _stand_in(kind)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stand-in")])
    now = dt.datetime.now(dt.UTC)
    return key, x509.CertificateBuilder().subject_name(name).issuer_name(name)\
        .public_key(key.public_key()).serial_number(1).not_valid_before(now)\
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())


class Pkcs11Signer(TokenSigner):
    """The card CA's key in the token (the `Signer` port of `adapters/pki/ca.py`)."""

    @classmethod
    def open(cls, where: TokenKey, pin: str | None) -> Pkcs11Signer:
        session = open_session(where, pin)
        try:
            private = session.get_key(object_class=ObjectClass.PRIVATE_KEY,
                                      label=where.key_label)
            public = session.get_key(object_class=ObjectClass.PUBLIC_KEY,
                                     label=where.key_label)
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned):
            session.close()
            raise DomainError("pkcs11_key_not_found", f"no single key pair labelled "
                           f"{where.key_label!r} in token {where.token_label!r}") from None
        return cls(session, private, _public_key_of(public), threading.Lock())

    @classmethod
    def generate(cls, where: TokenKey, pin: str | None, key_type: str) -> Pkcs11Signer:
        """A new key pair in the token, sensitive and never extractable; refused when the
        token already has a key of that label (it is never replaced)."""
        session = open_session(where, pin)
        existing = list(session.get_objects({Attribute.LABEL: where.key_label}))
        if existing:
            session.close()
            raise DomainError("pkcs11_key_exists", f"token {where.token_label!r} already has a "
                           f"key labelled {where.key_label!r}; choose another --key-label")
        label = {Attribute.LABEL: where.key_label, Attribute.TOKEN: True}
        if key_type == "rsa":
            public, private = session.generate_keypair(
                KeyType.RSA, 4096, store=True, label=where.key_label,
                public_template={**PUBLIC, **label}, private_template={**PRIVATE, **label})
        else:
            parameters = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp384r1")},
                local=True)
            public, private = parameters.generate_keypair(
                store=True, label=where.key_label,
                public_template={**PUBLIC, **label}, private_template={**PRIVATE, **label})
        return cls(session, private, _public_key_of(public), threading.Lock())

    def responder_key(self) -> TokenSigner:
        """The OCSP responder's key: a session object in the same token, sensitive and
        not extractable, gone when this process ends."""
        template = {**PRIVATE, Attribute.TOKEN: False}
        with self._lock:
            if self._kind == "rsa":
                public, private = self._session.generate_keypair(
                    KeyType.RSA, 2048, store=False, public_template=PUBLIC,
                    private_template=template)
            else:
                parameters = self._session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS:
                                 encode_named_curve_parameters("secp256r1")}, local=True)
                public, private = parameters.generate_keypair(
                    store=False, public_template=PUBLIC, private_template=template)
        return TokenSigner(self._session, private, _public_key_of(public), self._lock)

    def attributes(self) -> dict[str, bool]:
        """What the token says of the private key's protection."""
        with self._lock:
            return {"sensitive": bool(self._private[Attribute.SENSITIVE]),
                    "extractable": bool(self._private[Attribute.EXTRACTABLE]),
                    "never_extractable": bool(self._private[Attribute.NEVER_EXTRACTABLE])}
