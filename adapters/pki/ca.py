"""The card CA: certificates for the keys generated on a ZORG-ID card, and its CRL.

The certificates carry the holder's UZI identity in the same 2.5.5.5 form as the
UZI pass, with our own CA OID, so care applications and the LSP see the same UZI
number and mandates keep working (R9). notAfter is the card's end (R4).

The card CA is the issuing CA of a two-level hierarchy: a root, whose key is needed
only to certify an issuing CA and can then be kept offline, and the issuing CA that
signs the cards' certificates, the CRL and the OCSP responder's certificate. The
issuing key stays behind `Signer`: a passphrase-protected PEM file (`PemSigner`) or a
key in a PKCS#11 token (`adapters/pki/hsm.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509 import ocsp

from adapters.pki.certificates import (
    PURPOSES,
    Holder,
    PrivateKey,
    Publication,
    PublicKey,
    ca_certificate_builder,
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
CONFIDENTIALITY_POLICY = DEFAULT_CA_OID + ".3"
KEY_FILE, CERT_FILE = "card-ca.key", "card-ca.pem"
ROOT_CERT_FILE, CHAIN_FILE = "root-ca.pem", "card-ca-chain.pem"
OFFLINE_DIR, ROOT_KEY_FILE = "offline", "root-ca.key"  # to be moved off the server
PKCS11_FILE = "card-ca-pkcs11.json"  # where the issuing key is when it is in a token
CA_KEY_TYPES = ("rsa", "ec")  # RSA-4096 (as the UZI CAs) or P-384
SLOTS = ("9A", "9C", "9D")


def generate_ca_key(key_type: str) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(65537, 4096)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP384R1())
    raise DomainError("unknown_key_type", f"a CA key is rsa or ec, not {key_type!r}")


class KeyHolder(Protocol):
    """A private key that signs what a CA signs (a PEM file, memory or an HSM)."""

    def public_key(self) -> PublicKey: ...

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate: ...

    def sign_crl(self, builder: x509.CertificateRevocationListBuilder) \
            -> x509.CertificateRevocationList: ...

    def sign_ocsp_response(self, builder: ocsp.OCSPResponseBuilder,
                           responder: x509.Certificate,
                           certificates: list[x509.Certificate]) -> ocsp.OCSPResponse:
        """`builder` with the responses; `responder` (this key's certificate) is named by
        its key hash, `certificates` go with the answer."""
        ...


class Signer(KeyHolder, Protocol):
    """The card CA's own key, and where the OCSP responder's key is made beside it."""

    def responder_key(self) -> KeyHolder:
        """A new key for a delegated OCSP responder, of the CA key's kind, kept where the
        CA key is kept (process memory for a PEM key, the token for an HSM key)."""
        ...


class PemSigner:
    """A private key in memory: from a PEM file encrypted with a passphrase, or made for
    an OCSP responder."""

    def __init__(self, key: PrivateKey) -> None:
        self._key = key

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> PemSigner:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
        except (ValueError, TypeError):
            # never echo the passphrase
            raise DomainError("ca_key_unreadable",
                              f"{path} cannot be opened with that passphrase") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise DomainError("ca_key_unreadable", f"{path} is not an RSA or EC private key")
        return cls(key)

    def save(self, path: Path, passphrase: bytes) -> None:
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(passphrase))
        write_new_secret_file(path, pem)

    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self._key, hashes.SHA256())  # RSA: PKCS #1 v1.5

    def sign_crl(self, builder: x509.CertificateRevocationListBuilder) \
            -> x509.CertificateRevocationList:
        return builder.sign(self._key, hashes.SHA256())

    def sign_ocsp_response(self, builder: ocsp.OCSPResponseBuilder,
                           responder: x509.Certificate,
                           certificates: list[x509.Certificate]) -> ocsp.OCSPResponse:
        return builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder)\
            .certificates(certificates).sign(self._key, hashes.SHA256())

    def responder_key(self) -> PemSigner:
        if isinstance(self._key, rsa.RSAPrivateKey):  # RSA-only relying parties
            return PemSigner(rsa.generate_private_key(65537, 2048))
        return PemSigner(ec.generate_private_key(ec.SECP256R1()))


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


@dataclass(frozen=True)
class Hierarchy:
    """What `CardCA.create` made: the root (its key to be moved offline) and the card
    CA under it."""

    root: x509.Certificate
    root_key_file: Path
    authority: CardCA


class CardCA:
    def __init__(self, signer: Signer, certificate: x509.Certificate,
                 ca_oid: str = DEFAULT_CA_OID,
                 policies: tuple[str, str, str] | None = None,
                 publication: Publication | None = None,
                 chain: tuple[x509.Certificate, ...] = ()) -> None:
        self.signer = signer
        self.certificate = certificate
        self.ca_oid = ca_oid
        # one policy per certificate, as the UZI pass: authentication, signature,
        # confidentiality; ours are under our CA OID unless configured
        self.policies = policies or (f"{ca_oid}.1", f"{ca_oid}.2", f"{ca_oid}.3")
        self.publication = publication or Publication()
        self.chain = chain  # above the card CA, up to and with the root

    @property
    def root(self) -> x509.Certificate:
        """What relying parties trust: the root, or the card CA itself if it has none."""
        return self.chain[-1] if self.chain else self.certificate

    @classmethod
    def create(cls, directory: Path, passphrase: bytes, now: dt.datetime,
               name: str = "ZORG-ID Card CA", years: int = 10,
               ca_oid: str = DEFAULT_CA_OID, key_type: str = "rsa",
               signer: Signer | None = None) -> CardCA:
        """A new two-level hierarchy in `directory` (`make_hierarchy`); the card CA."""
        return make_hierarchy(directory, passphrase, now, name, years, ca_oid, key_type,
                              signer).authority

    @classmethod
    def load(cls, directory: Path, passphrase: bytes | None, ca_oid: str = DEFAULT_CA_OID,
             publication: Publication | None = None,
             policies: tuple[str, str, str] | None = None,
             pkcs11_pin: str | None = None) -> CardCA:
        """The card CA of `directory`: its key from the PEM file (opened with the
        passphrase) or from the PKCS#11 token its `card-ca-pkcs11.json` names (opened
        with the PIN)."""
        certificate = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
        chain: tuple[x509.Certificate, ...] = ()
        if (directory / CHAIN_FILE).exists():
            chain = tuple(x509.load_pem_x509_certificates(
                (directory / CHAIN_FILE).read_bytes())[1:])
        signer: Signer
        if (directory / PKCS11_FILE).exists():
            from adapters.pki.hsm import Pkcs11Signer, TokenKey

            signer = Pkcs11Signer.open(TokenKey.read(directory / PKCS11_FILE), pkcs11_pin)
            if signer.public_key() != certificate.public_key():
                raise DomainError("ca_key_mismatch", "the token's key is not the card CA's "
                                  f"key of {directory / CERT_FILE}")
        else:
            signer = PemSigner.load(directory / KEY_FILE, passphrase or b"")
        return cls(signer, certificate, ca_oid, policies, publication, chain)

    def issue(self, holder: Holder, authentication_key: PublicKey, signature_key: PublicKey,
              not_before: dt.datetime, not_after: dt.datetime,
              confidentiality_key: PublicKey | None = None) -> list[x509.Certificate]:
        """The authentication (slot 9A), signature (9C) and, with its key, confidentiality
        (9D) certificates of a card, each for the key type the card made (RSA or EC)."""
        keys = (authentication_key, signature_key, confidentiality_key)
        certificates = []
        for purpose, key, policy in zip(PURPOSES, keys, self.policies, strict=True):
            if key is None:
                continue
            builder = person_certificate_builder(
                holder, key, self.certificate, self.signer.public_key(), self.ca_oid, purpose,
                policy, not_before, not_after, publication=self.publication)
            certificates.append(self.signer.sign_certificate(builder))
        return certificates

    def sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        """A certificate the card CA signs for its own services (the OCSP responder)."""
        return self.signer.sign_certificate(builder)

    def issue_card_certificates(self, holder: CardHolder, organisation: str,
                                authentication_key: PublicKey, signature_key: PublicKey,
                                not_before: dt.datetime, not_after: dt.datetime,
                                confidentiality_key: PublicKey | None = None
                                ) -> CardCertificates[x509.Certificate]:
        """The personalisation's `CertificateIssuer` port: the card's certificates, with
        what the store records of them."""
        issued = self.issue(Holder.of_card(holder, organisation), authentication_key,
                            signature_key, not_before, not_after, confidentiality_key)
        records = tuple(issued_record(slot, certificate)
                        for slot, certificate in zip(SLOTS, issued, strict=False))
        return CardCertificates(issued[0], issued[1], records,
                                issued[2] if len(issued) > 2 else None)

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


def make_hierarchy(directory: Path, passphrase: bytes, now: dt.datetime,
                   name: str = "ZORG-ID Card CA", years: int = 10,
                   ca_oid: str = DEFAULT_CA_OID, key_type: str = "rsa",
                   signer: Signer | None = None) -> Hierarchy:
    """A root (twice the card CA's years) and the card CA under it, RSA-4096 by default
    as the UZI CAs. The root's key goes to `offline/root-ca.key` (encrypted with the
    passphrase): the server never needs it, so it belongs on offline storage. The card
    CA's key is `signer` (a key in a token) or a new one in `card-ca.key`."""
    root_key = PemSigner(generate_ca_key(key_type))
    root_name = ca_subject(name.replace("Card CA", "Root CA") if "Card CA" in name
                           else f"{name} Root", "zorgid-cards")
    root = root_key.sign_certificate(ca_certificate_builder(
        root_name, root_key.public_key(), root_name, root_key.public_key(), now,
        add_years(now, 2 * years), 1))
    issuing = signer or PemSigner(generate_ca_key(key_type))
    certificate = root_key.sign_certificate(ca_certificate_builder(
        ca_subject(name, "zorgid-cards"), issuing.public_key(), root.subject,
        root_key.public_key(), now, add_years(now, years), 0))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / OFFLINE_DIR).mkdir(mode=0o700, exist_ok=True)
    root_key_file = directory / OFFLINE_DIR / ROOT_KEY_FILE
    root_key.save(root_key_file, passphrase)
    if isinstance(issuing, PemSigner):
        issuing.save(directory / KEY_FILE, passphrase)
    install(directory, certificate, (root,))
    return Hierarchy(root, root_key_file, CardCA(issuing, certificate, ca_oid, chain=(root,)))


def install(directory: Path, certificate: x509.Certificate,
            chain: tuple[x509.Certificate, ...]) -> None:
    """Write the card CA's certificate, its chain and the root relying parties trust."""
    pem = serialization.Encoding.PEM
    (directory / CERT_FILE).write_bytes(certificate.public_bytes(pem))
    (directory / CHAIN_FILE).write_bytes(b"".join(c.public_bytes(pem)
                                                  for c in (certificate, *chain)))
    (directory / ROOT_CERT_FILE).write_bytes((chain[-1] if chain else certificate)
                                             .public_bytes(pem))


def import_issuing_ca(directory: Path, certificate: x509.Certificate,
                      chain: list[x509.Certificate], signer: Signer,
                      passphrase: bytes | None, now: dt.datetime) -> CardCA:
    """An issuing CA made elsewhere becomes the card CA: it must be a CA that may sign
    certificates and CRLs, valid now, whose key is `signer`'s, and whose chain (its
    issuer first, up to a self-signed root) verifies. A PEM key is stored encrypted with
    the passphrase."""
    def refuse(message: str) -> DomainError:
        return DomainError("ca_import_refused", message)

    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise refuse("the certificate is not a CA certificate (basicConstraints and "
                     "keyUsage are missing)") from None
    if not constraints.value.ca or not (usage.key_cert_sign and usage.crl_sign):
        raise refuse("the certificate is not a CA that may sign certificates and CRLs")
    if not certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc:
        raise refuse("the CA certificate is not valid now")
    if signer.public_key() != certificate.public_key():
        raise refuse("the key does not belong to the certificate")
    if not chain or chain[-1].issuer != chain[-1].subject:
        raise refuse("give the chain up to its self-signed root (--chain)")
    for subject, issuer in zip((certificate, *chain), chain, strict=False):
        try:
            subject.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise refuse(f"{subject.subject.rfc4514_string()} is not signed by "
                         f"{issuer.subject.rfc4514_string()}") from None
    chain[-1].verify_directly_issued_by(chain[-1])
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(signer, PemSigner):
        signer.save(directory / KEY_FILE, passphrase or b"")
    install(directory, certificate, tuple(chain))
    return CardCA(signer, certificate, chain=tuple(chain))


def issued_record(slot: str, certificate: x509.Certificate) -> IssuedCertificate:
    """What the store records of a certificate: serial, fingerprint, end."""
    return IssuedCertificate.of(slot, certificate.serial_number,
                                certificate.public_bytes(serialization.Encoding.DER),
                                certificate.not_valid_after_utc)
