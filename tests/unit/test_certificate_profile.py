"""A card's certificates in the UZI pass's shape, field by field (docs/architecture.md,
the certificate profile): what relying parties' code reads works on ours unchanged."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from adapters.pki.ca import DEFAULT_CA_OID, CardCA
from adapters.pki.certificates import Holder, Publication
from adapters.pki.hierarchy import UziTestHierarchy
from adapters.pki.uzi import identity_of
from tests.uzi_profile import SUBJECT_Z, check_uzi_profile

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
PUBLICATION = Publication.at("https://zorgid.example", "https://zorgid.example/cps",
                             "ZORG-ID Smartcard; zie de CPS")
RSA_KEYS = [rsa.generate_private_key(65537, 2048) for _ in range(3)]


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ca")
    created = CardCA.create(directory, b"a long enough passphrase", NOW - dt.timedelta(days=1))
    ca = CardCA(created.signer, created.certificate, publication=PUBLICATION,
                chain=created.chain)
    holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                    "Huisartsenpraktijk Noord")
    certificates = ca.issue(holder, *(k.public_key() for k in RSA_KEYS[:2]), NOW,
                            NOW.replace(year=2029), RSA_KEYS[2].public_key())
    return ca, dict(zip(("authentication", "signature", "confidentiality"), certificates,
                        strict=True))


def test_every_field_of_the_uzi_profile_table(issued):
    ca, certificates = issued
    check_uzi_profile(certificates, ca.certificate, ca.root, ca.policies,
                      "https://zorgid.example", "https://zorgid.example/cps",
                      "ZORG-ID Smartcard; zie de CPS")
    assert certificates["authentication"].subject.get_attributes_for_oid(
        NameOID.SERIAL_NUMBER)[0].value == "900020001"
    assert identity_of(certificates["authentication"]).uzi_number == "900020001"
    assert ca.policies == tuple(f"{DEFAULT_CA_OID}.{n}" for n in (1, 2, 3))


def test_the_profile_check_fails_on_a_certificate_of_the_old_shape(issued):
    """The table check can fail: a signature certificate without its EKU, as before."""
    ca, certificates = issued
    broken = dict(certificates)
    builder = x509.CertificateBuilder().subject_name(certificates["signature"].subject)\
        .issuer_name(ca.certificate.subject).public_key(RSA_KEYS[1].public_key())\
        .serial_number(1).not_valid_before(NOW).not_valid_after(NOW.replace(year=2029))
    for extension in certificates["signature"].extensions:
        if not isinstance(extension.value, x509.ExtendedKeyUsage):
            builder = builder.add_extension(extension.value, extension.critical)
    broken["signature"] = ca.sign(builder)
    with pytest.raises(AssertionError, match="signature: EKU"):
        check_uzi_profile(broken, ca.certificate, ca.root, ca.policies,
                          "https://zorgid.example", "https://zorgid.example/cps",
                          "ZORG-ID Smartcard; zie de CPS")


def test_a_zorgverlenerpas_carries_the_profession_as_title_after_o():
    pki = UziTestHierarchy()
    doctor = Holder("900016528", "Z", "90000382", "01.015", "01234567", "Huib", "Arts",
                    "Huisartsenpraktijk Noord", title="Huisarts")
    issued_pass = pki.issue_pass(doctor, NOW, NOW.replace(year=2029))
    assert [(a.oid, a._type.name) for a in issued_pass.certificate.subject] == SUBJECT_Z
    assert issued_pass.certificate.subject.get_attributes_for_oid(NameOID.TITLE)[0].value \
        == "Huisarts"


def test_an_ec_card_keeps_its_key_type_and_agrees_keys_instead_of_enciphering(issued):
    ca, _ = issued
    holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                    "Praktijk")
    keys = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(3)]
    authentication, _, confidentiality = ca.issue(holder, keys[0], keys[1], NOW,
                                                  NOW.replace(year=2029), keys[2])
    assert isinstance(authentication.public_key(), ec.EllipticCurvePublicKey)
    usage = confidentiality.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_agreement and not usage.key_encipherment
    assert authentication.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"


@pytest.mark.parametrize(("purpose", "openssl_purpose"), [
    ("authentication", "sslclient"), ("signature", "smimesign"),
    ("confidentiality", "smimeencrypt")])
def test_openssl_strict_verification_per_purpose_with_the_crl(issued, tmp_path, purpose,
                                                              openssl_purpose):
    ca, certificates = issued
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(ca.root.public_bytes(pem))
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(pem))
    (tmp_path / "card.pem").write_bytes(certificates[purpose].public_bytes(pem))
    (tmp_path / "crl.pem").write_bytes(ca.crl([], NOW).public_bytes(pem))

    def verify(chosen: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", "verify", "-x509_strict", "-purpose", chosen, "-crl_check",
             "-attime", str(int((NOW + dt.timedelta(hours=1)).timestamp())), "-CAfile",
             str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "ca.pem"),
             "-CRLfile", str(tmp_path / "crl.pem"), str(tmp_path / "card.pem")],
            capture_output=True, text=True, timeout=30)

    checked = verify(openssl_purpose)
    assert checked.returncode == 0 and ": OK" in checked.stdout, checked.stdout + checked.stderr
    if purpose != "authentication":  # a signature or encryption certificate logs no one in
        assert verify("sslclient").returncode != 0


def test_the_servers_public_url_setting_reaches_the_cards_certificates(tmp_path):
    from adapters.bootstrap import Settings, card_authority, create_card_ca, init_data_dir

    settings = Settings(data_dir=tmp_path / "data", ca_passphrase="a long enough passphrase",
                        public_url="https://kaarten.example/", cps_url="https://k.example/cps")
    init_data_dir(settings)
    assert create_card_ca(settings, NOW - dt.timedelta(days=1))
    holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                    "Praktijk")
    authentication, *_ = card_authority(settings).issue(
        holder, ec.generate_private_key(ec.SECP256R1()).public_key(),
        ec.generate_private_key(ec.SECP256R1()).public_key(), NOW, NOW.replace(year=2029))
    [point] = authentication.extensions.get_extension_for_class(
        x509.CRLDistributionPoints).value
    assert point.full_name[0].value == "https://kaarten.example/v1/crl"
