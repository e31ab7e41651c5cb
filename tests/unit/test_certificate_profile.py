"""A card's certificates in the UZI pass's shape, field by field (docs/architecture.md,
the certificate profile): what relying parties' code reads works on ours unchanged."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
)

from adapters.pki.ca import CardCA
from adapters.pki.certificates import Holder, Publication
from adapters.pki.uzi import identity_of

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
PUBLICATION = Publication.at("https://zorgid.example", "https://zorgid.example/cps",
                             "ZORG-ID Smartcard; zie de CPS")
MS_UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
UZI = ObjectIdentifier("2.5.5.5")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ca")
    created = CardCA.create(directory, b"a long enough passphrase", NOW - dt.timedelta(days=1))
    ca = CardCA(created.signer, created.certificate, publication=PUBLICATION)
    holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                    "Huisartsenpraktijk Noord")
    authentication, signature = ca.issue(
        holder, ec.generate_private_key(ec.SECP256R1()).public_key(),
        ec.generate_private_key(ec.SECP256R1()).public_key(), NOW, NOW.replace(year=2029))
    return ca, authentication, signature


def test_the_subject_in_the_uzi_order_and_string_types(issued):
    _, authentication, signature = issued
    for certificate in (authentication, signature):
        attributes = list(certificate.subject)
        assert [a.oid for a in attributes] == [
            NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.SURNAME,
            NameOID.GIVEN_NAME, NameOID.SERIAL_NUMBER, NameOID.COMMON_NAME]
        types = [a._type.name for a in attributes]
        assert types == ["PrintableString", "UTF8String", "UTF8String", "UTF8String",
                         "PrintableString", "UTF8String"]
        assert certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value \
            == "900020001"


def test_the_alternative_names_in_the_uzi_order(issued):
    _, authentication, signature = issued
    names = authentication.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert [n.type_id for n in names] == [MS_UPN, UZI]  # UPN first, then 2.5.5.5
    only = signature.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [n.type_id for n in only] == [UZI]
    assert identity_of(authentication).uzi_number == "900020001"  # still read as UZI


def test_key_usage_critical_and_the_extended_key_usages_per_certificate(issued):
    _, authentication, signature = issued
    usage = authentication.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert not usage.value.content_commitment
    signing = signature.extensions.get_extension_for_class(x509.KeyUsage)
    assert signing.critical and signing.value.content_commitment
    assert list(authentication.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH,
                                          ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                          DOCUMENT_SIGNING]
    assert list(signature.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                          DOCUMENT_SIGNING]


def test_policy_with_cps_and_notice_and_where_revocation_is_found(issued):
    ca, authentication, signature = issued
    for certificate in (authentication, signature):
        [policy] = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
        qualifiers = policy.policy_qualifiers or []
        assert "https://zorgid.example/cps" in qualifiers
        notices = [q for q in qualifiers if isinstance(q, x509.UserNotice)]
        assert notices and notices[0].explicit_text == "ZORG-ID Smartcard; zie de CPS"
        [point] = certificate.extensions.get_extension_for_class(
            x509.CRLDistributionPoints).value
        assert [n.value for n in point.full_name] == ["https://zorgid.example/v1/crl"]
        access = {a.access_method: a.access_location.value for a in
                  certificate.extensions.get_extension_for_class(
                      x509.AuthorityInformationAccess).value}
        assert access == {AuthorityInformationAccessOID.OCSP: "https://zorgid.example/ocsp",
                          AuthorityInformationAccessOID.CA_ISSUERS:
                              "https://zorgid.example/v1/ca-certificate"}
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and not constraints.value.ca
        certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        key_id = certificate.extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier).value.key_identifier
        assert key_id == x509.SubjectKeyIdentifier.from_public_key(
            ca.certificate.public_key()).digest


def test_openssl_strict_verification_for_client_auth_with_the_crl(issued, tmp_path):
    ca, authentication, _ = issued
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "card.pem").write_bytes(authentication.public_bytes(serialization.Encoding.PEM))
    crl = ca.crl([], NOW)
    (tmp_path / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    checked = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-crl_check",
         "-attime", str(int((NOW + dt.timedelta(hours=1)).timestamp())), "-CAfile",
         str(tmp_path / "ca.pem"), "-CRLfile", str(tmp_path / "crl.pem"),
         str(tmp_path / "card.pem")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0 and ": OK" in checked.stdout, checked.stdout + checked.stderr


def test_the_servers_public_url_setting_reaches_the_cards_certificates(tmp_path):
    from adapters.bootstrap import Settings, card_authority, create_card_ca, init_data_dir

    settings = Settings(data_dir=tmp_path / "data", ca_passphrase="a long enough passphrase",
                        public_url="https://kaarten.example/", cps_url="https://k.example/cps")
    init_data_dir(settings)
    assert create_card_ca(settings, NOW - dt.timedelta(days=1))
    holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                    "Praktijk")
    authentication, _ = card_authority(settings).issue(
        holder, ec.generate_private_key(ec.SECP256R1()).public_key(),
        ec.generate_private_key(ec.SECP256R1()).public_key(), NOW, NOW.replace(year=2029))
    [point] = authentication.extensions.get_extension_for_class(
        x509.CRLDistributionPoints).value
    assert point.full_name[0].value == "https://kaarten.example/v1/crl"
