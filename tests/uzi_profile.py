"""The UZI pass's certificate profile as a table, field by field, per certificate
(authentication, signature, confidentiality), and the check of a card's certificates
against it: the unit test, the OpenSC test (certificates read off the card) and the
relying-party test use the same table."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
    SignatureAlgorithmOID,
)

MS_UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
UZI = ObjectIdentifier("2.5.5.5")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
EFS = ObjectIdentifier("1.3.6.1.4.1.311.10.3.4")

# the subject of a card of type N (no title: only a zorgverlenerpas, type Z, has one)
SUBJECT = [(NameOID.COUNTRY_NAME, "PrintableString"),
           (NameOID.ORGANIZATION_NAME, "UTF8String"),
           (NameOID.SURNAME, "UTF8String"),
           (NameOID.GIVEN_NAME, "UTF8String"),
           (NameOID.SERIAL_NUMBER, "PrintableString"),
           (NameOID.COMMON_NAME, "UTF8String")]
SUBJECT_Z = [SUBJECT[0], SUBJECT[1], (NameOID.TITLE, "UTF8String"), *SUBJECT[2:]]

KEY_USAGE = {"digital_signature", "content_commitment", "key_encipherment",
             "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"}

PROFILE = {
    "authentication": {
        "alternative_names": [MS_UPN, UZI],
        "key_usage": {"digital_signature"},
        "extended_key_usage": [ExtendedKeyUsageOID.CLIENT_AUTH,
                               ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING],
        "policy": 0,
    },
    "signature": {
        "alternative_names": [UZI],
        "key_usage": {"content_commitment"},  # nonRepudiation
        "extended_key_usage": [ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING],
        "policy": 1,
    },
    "confidentiality": {
        "alternative_names": [UZI],
        "key_usage": {"key_encipherment", "data_encipherment"},
        "extended_key_usage": [ExtendedKeyUsageOID.EMAIL_PROTECTION, EFS],
        "policy": 2,
    },
}


def _extension(certificate: x509.Certificate, kind: type, where: str):
    try:
        return certificate.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        raise AssertionError(f"{where} {_NAMES[kind]}: missing") from None


_NAMES = {x509.SubjectAlternativeName: "SAN", x509.KeyUsage: "keyUsage",
          x509.ExtendedKeyUsage: "EKU", x509.CertificatePolicies: "policy",
          x509.CRLDistributionPoints: "CDP", x509.AuthorityInformationAccess: "AIA",
          x509.BasicConstraints: "basicConstraints", x509.SubjectKeyIdentifier: "SKI",
          x509.AuthorityKeyIdentifier: "AKI"}


def check_uzi_profile(certificates: dict[str, x509.Certificate], issuing: x509.Certificate,
                      root: x509.Certificate, policies: tuple[str, str, str],
                      public_url: str, cps_url: str, notice: str,
                      subject: list | None = None) -> None:
    """Every row of the profile table, for each certificate of a card (an RSA card: the
    UZI pass's keys); an assertion names the field that differs."""
    assert set(certificates) == set(PROFILE)
    for purpose, certificate in certificates.items():
        expected = PROFILE[purpose]
        where = f"{purpose}:"
        attributes = list(certificate.subject)
        assert [(a.oid, a._type.name) for a in attributes] == (subject or SUBJECT), \
            f"{where} subject order and string types"
        assert attributes[0].value == "NL", f"{where} C"
        names = _extension(certificate, x509.SubjectAlternativeName, where).value
        assert [n.type_id for n in names] == expected["alternative_names"], f"{where} SAN"
        usage = _extension(certificate, x509.KeyUsage, where)
        assert usage.critical, f"{where} keyUsage critical"
        assert {flag for flag in KEY_USAGE if getattr(usage.value, flag)} \
            == expected["key_usage"], f"{where} keyUsage"
        extended = _extension(certificate, x509.ExtendedKeyUsage, where).value
        assert list(extended) == expected["extended_key_usage"], f"{where} EKU"
        [policy] = _extension(certificate, x509.CertificatePolicies, where).value
        assert policy.policy_identifier.dotted_string == policies[expected["policy"]], \
            f"{where} policy OID"
        qualifiers = policy.policy_qualifiers or []
        assert cps_url in qualifiers, f"{where} CPS URI"
        notices = [q for q in qualifiers if isinstance(q, x509.UserNotice)]
        assert [n.explicit_text for n in notices] == [notice], f"{where} user notice"
        [point] = _extension(certificate, x509.CRLDistributionPoints, where).value
        assert [n.value for n in point.full_name] == [f"{public_url}/v1/crl"], f"{where} CDP"
        access = [(a.access_method, a.access_location.value) for a in
                  _extension(certificate, x509.AuthorityInformationAccess, where).value]
        assert sorted(access, key=str) == sorted([
            (AuthorityInformationAccessOID.OCSP, f"{public_url}/ocsp"),
            (AuthorityInformationAccessOID.CA_ISSUERS, f"{public_url}/v1/ca-certificate")],
            key=str), f"{where} AIA"
        constraints = _extension(certificate, x509.BasicConstraints, where)
        assert constraints.critical and not constraints.value.ca, f"{where} basicConstraints"
        key_id = x509.SubjectKeyIdentifier.from_public_key
        subject_key = _extension(certificate, x509.SubjectKeyIdentifier, where).value
        assert subject_key.digest == key_id(certificate.public_key()).digest, f"{where} SKI"
        authority_key = _extension(certificate, x509.AuthorityKeyIdentifier, where).value
        assert authority_key.key_identifier == key_id(issuing.public_key()).digest, \
            f"{where} AKI"
        key = certificate.public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048, f"{where} RSA-2048"
        assert certificate.signature_algorithm_oid == \
            SignatureAlgorithmOID.RSA_WITH_SHA256, f"{where} sha256WithRSAEncryption"
        issuer_key = issuing.public_key()
        assert isinstance(issuer_key, rsa.RSAPublicKey) and issuer_key.key_size == 4096, \
            f"{where} an RSA-4096 issuing CA"
        start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
        assert end == start.replace(year=start.year + 3) or \
            (start.month, start.day) == (2, 29), f"{where} three years"
        certificate.verify_directly_issued_by(issuing)
    # the chain: root > card CA > card
    issuing.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert issuing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def is_ec(certificate: x509.Certificate) -> bool:
    return isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)


def moment(certificate: x509.Certificate) -> dt.datetime:
    """A moment inside the certificate's validity, for `openssl verify -attime`."""
    return certificate.not_valid_before_utc + dt.timedelta(hours=1)
