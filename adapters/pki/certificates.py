"""Building certificates in the shape of the UZI pass (UZI-register CPS section 7.1):
shared by our card CA and by the TEST hierarchy the tests and demos use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from adapters.pki.uzi import MS_UPN, UZI_OTHER_NAME, der_ia5, der_utf8
from domain.identity import CardHolder

MS_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
MS_EFS = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.4")  # encrypting file system
PURPOSES = ("authentication", "signature", "confidentiality")  # PIV slots 9A, 9C, 9D
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Holder:
    uzi_number: str
    card_type: str
    ura: str
    role: str
    agb: str
    given_name: str
    surname: str
    organisation: str
    title: str = ""  # the profession, on a zorgverlenerpas (type Z) only

    @classmethod
    def of_card(cls, holder: CardHolder, organisation: str) -> Holder:
        """The subject of a ZORG-ID card's certificates: the holder as card type N."""
        return cls(holder.uzi_number, "N", holder.ura, holder.role, holder.agb,
                   holder.given_name, holder.surname, organisation)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()

    def identity(self, ca_oid: str) -> str:
        return (f"{ca_oid}-1-{self.uzi_number}-{self.card_type}-{self.ura}-{self.role}-"
                f"{self.agb}")


def person_subject(holder: Holder) -> x509.Name:
    """The UZI pass's subject, in its order: C, O, title, SN, GN, serialNumber, CN (C and
    serialNumber PrintableString, the rest UTF8String). Only a zorgverlenerpas (type Z)
    has the profession as title; our cards (type N) carry none."""
    title = [x509.NameAttribute(NameOID.TITLE, holder.title)] if holder.title else []
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, holder.organisation),
        *title,
        x509.NameAttribute(NameOID.SURNAME, holder.surname),
        x509.NameAttribute(NameOID.GIVEN_NAME, holder.given_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, holder.uzi_number),
        x509.NameAttribute(NameOID.COMMON_NAME, holder.name),
    ])


@dataclass(frozen=True)
class Publication:
    """Where relying parties find what the UZI pass's certificates point to: the policy
    statement (CPS URI and a user notice), the CRL (CDP), the OCSP responder and the
    issuing CA's certificate (AIA). Empty fields are left out of the certificate."""

    cps_url: str = ""
    notice: str = ""
    crl_url: str = ""
    ocsp_url: str = ""
    ca_issuers_url: str = ""

    @classmethod
    def at(cls, public_url: str, cps_url: str = "", notice: str = "") -> Publication:
        """The URLs of a zorgid server at `public_url` (its /v1/crl, /ocsp and
        /v1/ca-certificate)."""
        base = public_url.rstrip("/")
        if not base:
            return cls(cps_url, notice)
        return cls(cps_url, notice, f"{base}/v1/crl", f"{base}/ocsp",
                   f"{base}/v1/ca-certificate")


def ca_subject(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def person_certificate_builder(
    holder: Holder, public_key: PublicKey, issuer: x509.Certificate | x509.Name,
    issuer_key: PublicKey, ca_oid: str, purpose: str, policy_oid: str,
    not_before: dt.datetime, not_after: dt.datetime, serial: int | None = None,
    publication: Publication | None = None,
) -> x509.CertificateBuilder:
    """`purpose` is authentication (with the MS UPN), signature or confidentiality, in
    the UZI pass's shape (docs/architecture.md, the certificate profile; `_usage`)."""
    issuer_name = issuer.subject if isinstance(issuer, x509.Certificate) else issuer
    published = publication or Publication()
    names: list[x509.GeneralName] = []
    if purpose == "authentication":  # the UZI order: MS UPN first, then 2.5.5.5
        names.append(x509.OtherName(MS_UPN, der_utf8(f"{holder.uzi_number}@{holder.ura}")))
    names.append(x509.OtherName(UZI_OTHER_NAME, der_ia5(holder.identity(ca_oid))))
    qualifiers: list[str | x509.UserNotice] = []
    if published.cps_url:
        qualifiers.append(published.cps_url)
    if published.notice:
        qualifiers.append(x509.UserNotice(None, published.notice))
    builder = (
        x509.CertificateBuilder()
        .subject_name(person_subject(holder))
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key),
                       critical=False)
        .add_extension(x509.CertificatePolicies([
            x509.PolicyInformation(x509.ObjectIdentifier(policy_oid), qualifiers or None)]),
            critical=False)
    )
    if published.crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(published.crl_url)], None, None, None)]),
            critical=False)
    access = [x509.AccessDescription(oid, x509.UniformResourceIdentifier(url))
              for oid, url in ((AuthorityInformationAccessOID.OCSP, published.ocsp_url),
                               (AuthorityInformationAccessOID.CA_ISSUERS,
                                published.ca_issuers_url)) if url]
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access),
                                        critical=False)
    usage, purposes = _usage(purpose, public_key)
    return builder.add_extension(usage, critical=True).add_extension(
        x509.ExtendedKeyUsage(purposes), critical=False)


def _usage(purpose: str, public_key: PublicKey) \
        -> tuple[x509.KeyUsage, list[x509.ObjectIdentifier]]:
    """Key usage and extended key usage per certificate, as on the UZI pass:
    authentication digitalSignature (client auth, e-mail, document signing); signature
    nonRepudiation (e-mail, document signing); confidentiality keyEncipherment and
    dataEncipherment (e-mail, EFS), or keyAgreement for an EC key, which cannot
    encipher."""
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=False,
                 crl_sign=False, encipher_only=False, decipher_only=False)
    if purpose == "authentication":
        flags["digital_signature"] = True
        return x509.KeyUsage(**flags), [ExtendedKeyUsageOID.CLIENT_AUTH,
                                        ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                        MS_DOCUMENT_SIGNING]
    if purpose == "signature":
        flags["content_commitment"] = True
        return x509.KeyUsage(**flags), [ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                        MS_DOCUMENT_SIGNING]
    if purpose != "confidentiality":
        raise ValueError(f"no certificate purpose {purpose!r}")
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        flags["key_agreement"] = True
    else:
        flags["key_encipherment"] = flags["data_encipherment"] = True
    return x509.KeyUsage(**flags), [ExtendedKeyUsageOID.EMAIL_PROTECTION, MS_EFS]


def ca_certificate_builder(subject: x509.Name, public_key: PublicKey, issuer: x509.Name,
                           issuer_key: PublicKey, not_before: dt.datetime,
                           not_after: dt.datetime, path_length: int | None
                           ) -> x509.CertificateBuilder:
    """A CA certificate: basicConstraints and keyUsage (certificates and CRLs) critical,
    both key identifiers; for whichever key signs it."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key),
                       critical=False)
    )


def ca_certificate(subject: x509.Name, public_key: PublicKey, issuer: x509.Name,
                   issuer_private_key: PrivateKey, not_before: dt.datetime,
                   not_after: dt.datetime, path_length: int | None) -> x509.Certificate:
    return ca_certificate_builder(subject, public_key, issuer, issuer_private_key.public_key(),
                                  not_before, not_after, path_length)\
        .sign(issuer_private_key, hashes.SHA256())
