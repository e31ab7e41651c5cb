"""The card CA: certificates for the keys generated on a ZORG-ID card, and its CRL.

The certificates carry the holder's UZI identity in the same 2.5.5.5 form as the
UZI pass, with our own CA OID, so care applications and the LSP see the same UZI
number and mandates keep working (R9). notAfter is the card's end (R4). The CA's
private key stays behind `Signer`, so a PKCS#11 HSM can replace the PEM file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes

from adapters.pki.certificates import (
    Holder,
    Publication,
    PublicKey,
    ca_certificate,
    ca_subject,
    person_certificate_builder,
)
from adapters.secrets import write_new_secret_file
from domain.card import IssuedCertificate
from domain.clock import add_years
from domain.errors import DomainError
from domain.identity import CardHolder
from domain.personalisation import CardCertificates

DEFAULT_CA_OID = "2.999.528.1.3"  # under the 2.999 example arc until an arc is assigned
AUTHENTICATION_POLICY = DEFAULT_CA_OID + ".1"
SIGNATURE_POLICY = DEFAULT_CA_OID + ".2"
KEY_FILE, CERT_FILE = "card-ca.key", "card-ca.pem"


class Signer(Protocol):
    """What the CA needs of its private key (a PEM file here; an HSM elsewhere)."""

    def public_key(self) -> PublicKey: ...

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate: ...

    def sign_crl(self, builder: x509.CertificateRevocationListBuilder) \
            -> x509.CertificateRevocationList: ...


class PemSigner:
    """A private key in a PEM file encrypted with a passphrase."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> PemSigner:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
        except (ValueError, TypeError):
            # never echo the passphrase
            raise DomainError("ca_key_unreadable",
                              f"{path} cannot be opened with that passphrase") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise DomainError("ca_key_unreadable", f"{path} is not an EC private key")
        return cls(key)

    def save(self, path: Path, passphrase: bytes) -> None:
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(passphrase))
        write_new_secret_file(path, pem)

    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self._key, hashes.SHA256())

    def sign_crl(self, builder: x509.CertificateRevocationListBuilder) \
            -> x509.CertificateRevocationList:
        return builder.sign(self._key, hashes.SHA256())

    def private_key_for_self_signing(self) -> ec.EllipticCurvePrivateKey:
        return self._key


@dataclass(frozen=True)
class CrlEntry:
    serial_number: int
    since: dt.datetime
    on_hold: bool  # suspended (R13): certificateHold, may come off the list again
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified


REASONS = {
    "loss_or_theft": x509.ReasonFlags.key_compromise,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "pin_or_puk_disclosed": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "organisation_ceased": x509.ReasonFlags.cessation_of_operation,
    "no_longer_eligible": x509.ReasonFlags.privilege_withdrawn,
}


def crl_entries_of(rows: list[dict[str, str]]) -> list[CrlEntry]:
    """CRL entries from rows of the certificates view (serial in hex, since, status,
    reason)."""
    return [CrlEntry(int(row["serial_number"], 16), dt.datetime.fromisoformat(row["since"]),
                     on_hold=row["status"] == "on_hold",
                     reason=REASONS.get(row["reason"] or "", x509.ReasonFlags.unspecified))
            for row in rows]


class CardCA:
    def __init__(self, signer: Signer, certificate: x509.Certificate,
                 ca_oid: str = DEFAULT_CA_OID,
                 policies: tuple[str, str] = (AUTHENTICATION_POLICY, SIGNATURE_POLICY),
                 publication: Publication | None = None) -> None:
        self.signer = signer
        self.certificate = certificate
        self.ca_oid = ca_oid
        self.policies = policies
        self.publication = publication or Publication()

    @classmethod
    def create(cls, directory: Path, passphrase: bytes, now: dt.datetime,
               name: str = "ZORG-ID Card CA", years: int = 10,
               ca_oid: str = DEFAULT_CA_OID) -> CardCA:
        """A new self-signed card CA (for tests and demos; production imports its own)."""
        signer = PemSigner(ec.generate_private_key(ec.SECP384R1()))
        subject = ca_subject(name, "zorgid-cards")
        certificate = ca_certificate(subject, signer.public_key(), subject,
                                     signer.private_key_for_self_signing(), now,
                                     add_years(now, years), 0)
        directory.mkdir(parents=True, exist_ok=True)
        signer.save(directory / KEY_FILE, passphrase)
        (directory / CERT_FILE).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cls(signer, certificate, ca_oid)

    @classmethod
    def load(cls, directory: Path, passphrase: bytes, ca_oid: str = DEFAULT_CA_OID,
             publication: Publication | None = None) -> CardCA:
        certificate = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
        return cls(PemSigner.load(directory / KEY_FILE, passphrase), certificate, ca_oid,
                   publication=publication)

    def issue(self, holder: Holder, authentication_key: PublicKey, signature_key: PublicKey,
              not_before: dt.datetime, not_after: dt.datetime) \
            -> tuple[x509.Certificate, x509.Certificate]:
        """The authentication (slot 9A) and signature (slot 9C) certificates of a card."""
        certificates = []
        for purpose, key, policy in (("authentication", authentication_key, self.policies[0]),
                                     ("signature", signature_key, self.policies[1])):
            builder = person_certificate_builder(
                holder, key, self.certificate, self.signer.public_key(), self.ca_oid, purpose,
                policy, not_before, not_after, publication=self.publication)
            certificates.append(self.signer.sign_certificate(builder))
        return certificates[0], certificates[1]

    def sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        """A certificate the card CA signs for its own services (the OCSP responder)."""
        return self.signer.sign_certificate(builder)

    def issue_card_certificates(self, holder: CardHolder, organisation: str,
                                authentication_key: PublicKey, signature_key: PublicKey,
                                not_before: dt.datetime, not_after: dt.datetime
                                ) -> CardCertificates[x509.Certificate]:
        """The personalisation's `CertificateIssuer` port: both certificates of a card,
        with what the store records of them."""
        authentication, signature = self.issue(Holder.of_card(holder, organisation),
                                               authentication_key, signature_key,
                                               not_before, not_after)
        return CardCertificates(authentication, signature,
                                (issued_record("9A", authentication),
                                 issued_record("9C", signature)))

    def crl(self, entries: list[CrlEntry], now: dt.datetime,
            next_update: dt.timedelta = dt.timedelta(days=1)) -> x509.CertificateRevocationList:
        # RFC 5280 §5.2: the issuer's key identifier, and a number that grows with every
        # list (milliseconds since the epoch: lists are made one at a time, in time order)
        builder = x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)\
            .last_update(now).next_update(now + next_update)\
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                cast(CertificateIssuerPublicKeyTypes, self.certificate.public_key())),
                critical=False)\
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        for entry in entries:
            reason = x509.ReasonFlags.certificate_hold if entry.on_hold else entry.reason
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(entry.serial_number)
                .revocation_date(entry.since)
                .add_extension(x509.CRLReason(reason), critical=False).build())
        return self.signer.sign_crl(builder)


def issued_record(slot: str, certificate: x509.Certificate) -> IssuedCertificate:
    """What the store records of a certificate: serial, fingerprint, end."""
    return IssuedCertificate.of(slot, certificate.serial_number,
                                certificate.public_bytes(serialization.Encoding.DER),
                                certificate.not_valid_after_utc)
