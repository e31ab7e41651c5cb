"""UZI pass certificates: the identity they carry, and whether to trust them.

The identity is the subjectAltName otherName with type-id 2.5.5.5, whose value is an
IA5String `<CA OID>-<version>-<UZI-nr>-<card type>-<subscriber nr>-<role>-<AGB>`
(UZI-register CPS section 7.1). The value is decoded as DER, never sliced by position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from domain.errors import InvalidValue
from domain.identity import Agb, CardType, RoleCode, Ura, UziNumber, UziPass

UZI_OTHER_NAME = x509.ObjectIdentifier("2.5.5.5")
MS_UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")

# Production CA OIDs per card type (CPS 7.1). A deployment adds others (the TEST
# hierarchy, our own card CA) through the validator's `ca_oids`.
PRODUCTION_CA_OIDS: dict[str, str] = {
    "Z": "2.16.528.1.1003.1.3.5.5.2",
    "N": "2.16.528.1.1003.1.3.5.5.3",
    "M": "2.16.528.1.1003.1.3.5.5.4",
    "S": "2.16.528.1.1003.1.3.5.5.5",
}


class DerError(ValueError):
    pass


def der_string(data: bytes, tags: tuple[int, ...] = (0x16, 0x0C)) -> str:
    """One DER IA5String (16) or UTF8String (0C), whole; anything else is refused."""
    if len(data) < 2 or data[0] not in tags:
        raise DerError("not a DER string")
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 3 or len(data) < 2 + count:
            raise DerError("bad DER length")
        length, offset = int.from_bytes(data[2:2 + count], "big"), 2 + count
    if offset + length != len(data):
        raise DerError("DER length does not match")
    raw = data[offset:offset + length]
    return raw.decode("ascii" if data[0] == 0x16 else "utf-8")


def der_ia5(text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) < 0x80:
        return bytes([0x16, len(raw)]) + raw
    body = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return bytes([0x16, 0x80 | len(body)]) + body + raw


def der_utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) >= 0x80:
        raise DerError("too long for this encoder")
    return bytes([0x0C, len(raw)]) + raw


@dataclass(frozen=True)
class UziIdentity:
    ca_oid: str
    version: str
    uzi_number: str
    card_type: str
    ura: str
    role: str
    agb: str
    given_name: str
    surname: str
    name: str
    not_before: dt.datetime
    not_after: dt.datetime
    serial_number: str

    @classmethod
    def from_san_value(cls, value: str) -> tuple[str, str, str, str, str, str, str]:
        parts = value.split("-")
        if len(parts) != 7:
            raise InvalidValue("malformed_uzi_identity",
                               f"the UZI identity {value!r} does not have seven fields")
        ca_oid, version, uzi, card_type, ura, role, agb = parts
        return (ca_oid, version, UziNumber(uzi), CardType.parse(card_type).value, Ura(ura),
                RoleCode(role), Agb(agb))

    def to_pass(self, revoked: bool = False, zorgid_card: bool = False) -> UziPass:
        return UziPass(uzi_number=UziNumber(self.uzi_number),
                       card_type=CardType.parse(self.card_type), ura=Ura(self.ura),
                       role=RoleCode(self.role), given_name=self.given_name,
                       surname=self.surname, not_before=self.not_before,
                       not_after=self.not_after, agb=Agb(self.agb),
                       revoked=revoked, certificate_serial=self.serial_number,
                       zorgid_card=zorgid_card)

    def as_dict(self) -> dict[str, str]:
        record = asdict(self)
        record["not_before"] = self.not_before.isoformat()
        record["not_after"] = self.not_after.isoformat()
        return record


def _subject(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def identity_of(certificate: x509.Certificate) -> UziIdentity:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise InvalidValue("no_uzi_identity", "the certificate has no subjectAltName") from None
    values = [n.value for n in san if isinstance(n, x509.OtherName)
              and n.type_id == UZI_OTHER_NAME]
    if len(values) != 1:
        raise InvalidValue("no_uzi_identity",
                           "the certificate carries no (or more than one) UZI identity (2.5.5.5)")
    try:
        text = der_string(values[0], tags=(0x16,))
    except (DerError, UnicodeDecodeError):
        raise InvalidValue("malformed_uzi_identity",
                           "the UZI identity is not a DER IA5String") from None
    ca_oid, version, uzi, card_type, ura, role, agb = UziIdentity.from_san_value(text)
    oid = x509.NameOID
    given, surname = _subject(certificate, oid.GIVEN_NAME), _subject(certificate, oid.SURNAME)
    return UziIdentity(
        ca_oid=ca_oid, version=version, uzi_number=uzi, card_type=card_type, ura=ura,
        role=role, agb=agb, given_name=given, surname=surname,
        name=_subject(certificate, oid.COMMON_NAME) or f"{given} {surname}".strip(),
        not_before=certificate.not_valid_before_utc, not_after=certificate.not_valid_after_utc,
        serial_number=format(certificate.serial_number, "x"),
    )


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str  # "valid" or a stable code
    detail: str
    identity: UziIdentity | None
    by_card_ca: bool = False  # the verified issuer is our card CA: a ZORG-ID card


class UziValidator:
    """Chain to the trust anchors, validity at a moment, revocation by CRL, card type,
    and a CA OID that belongs to that card type."""

    def __init__(self, anchors: Iterable[x509.Certificate],
                 intermediates: Iterable[x509.Certificate] = (),
                 crls: Iterable[x509.CertificateRevocationList] = (),
                 ca_oids: Mapping[str, str | Iterable[str]] | None = None,
                 card_types: Iterable[str] = ("Z", "N"),
                 card_ca: x509.Certificate | None = None,
                 card_ca_oid: str | None = None) -> None:
        self.card_ca, self.card_ca_oid = card_ca, card_ca_oid
        self.anchors = list(anchors)
        self.intermediates = list(intermediates)
        self.crls = list(crls)
        mapping = dict(PRODUCTION_CA_OIDS if ca_oids is None else ca_oids)
        self.ca_oids = {k: {v} if isinstance(v, str) else set(v) for k, v in mapping.items()}
        self.card_types = set(card_types)

    def check(self, certificate: x509.Certificate, at: dt.datetime,
              extra_chain: Iterable[x509.Certificate] = ()) -> Verdict:
        try:
            identity = identity_of(certificate)
        except InvalidValue as error:
            return Verdict(False, error.code, error.message, None)

        def refuse(reason: str, detail: str) -> Verdict:
            return Verdict(False, reason, detail, identity)

        if at < identity.not_before:
            return refuse("not_yet_valid", f"valid from {identity.not_before.isoformat()}")
        if at >= identity.not_after:
            return refuse("expired", f"expired on {identity.not_after.isoformat()}")
        if not self.anchors:
            return refuse("no_trust_anchors", "no trust anchors configured")
        if not _for_login(certificate):  # its own fields first: the precise reason
            return refuse("not_an_authentication_certificate",
                          "this is not an authentication certificate (key usage "
                          "digitalSignature and extended key usage clientAuth)")
        try:
            chain = PolicyBuilder().store(Store(self.anchors)).time(at)\
                .build_client_verifier().verify(certificate,
                                                [*self.intermediates, *extra_chain])
        except VerificationError as error:
            return refuse("untrusted_chain", f"the chain does not verify: {error}")
        path = list(chain.chain)
        for subject, issuer in pairwise(path):  # the leaf, then each CA under the root
            state = self._revocation(subject, issuer, at)
            if state == "revoked":
                which = "the certificate" if subject is certificate else "a CA in its chain"
                return refuse("revoked", f"{which} is on its CA's revocation list")
            if state == "unknown":
                return refuse("revocation_unknown",
                              "the revocation list of its CA is out of date; try again later")
        by_card_ca = self.card_ca is not None and len(path) > 1 and path[1] == self.card_ca
        if self.card_ca_oid is not None and by_card_ca != (identity.ca_oid == self.card_ca_oid):
            return refuse("ca_oid_mismatch", "the CA OID in the certificate does not belong to "
                                             "the CA that issued it")
        if identity.card_type not in self.card_types:
            return refuse("card_type_not_accepted",
                          f"card type {identity.card_type} is not accepted here")
        if identity.ca_oid not in self.ca_oids.get(identity.card_type, set()):
            return refuse("ca_oid_mismatch",
                          f"CA OID {identity.ca_oid} does not issue card type "
                          f"{identity.card_type}")
        return Verdict(True, "valid", "trusted, in its validity, not revoked", identity,
                       by_card_ca)

    def _revocation(self, certificate: x509.Certificate, issuer: x509.Certificate,
                    at: dt.datetime) -> str:
        """"revoked", "good", or "unknown" when the issuer's list is configured but not
        current at `at`. An issuer without a configured list is not checked here (our own
        cards are checked against the store instead)."""
        listed = current = False
        for crl in self.crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(
                    cast(CertificateIssuerPublicKeyTypes, issuer.public_key())):
                continue
            listed = True
            entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if entry is not None and entry.revocation_date_utc <= at:
                return "revoked"
            next_update = crl.next_update_utc
            current = current or (crl.last_update_utc <= at
                                  and (next_update is None or at < next_update))
        return "good" if current or not listed else "unknown"


def _for_login(certificate: x509.Certificate) -> bool:
    """An authentication certificate: a signature or encryption certificate of the same
    card must not log anyone in."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        purposes = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.digital_signature) and ExtendedKeyUsageOID.CLIENT_AUTH in purposes
