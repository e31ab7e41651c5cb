"""UZI identities and validation, and the card CA, with certificates made in the shape
of the UZI TEST hierarchy (real X.509 from `cryptography`)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from adapters.cli.main import cli
from adapters.pki.ca import CardCA, CrlEntry, PemSigner
from adapters.pki.certificates import Holder, person_certificate_builder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from adapters.pki.uzi import (
    DerError,
    UziValidator,
    der_ia5,
    der_string,
    identity_of,
)
from domain.errors import DomainError

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
HOLDER = Holder("900016528", "Z", "90000382", "01.015", "01234567", "Huib", "Arts",
                "Huisartsenpraktijk Noord")
EMPLOYEE = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                  "Huisartsenpraktijk Noord")


@pytest.fixture(scope="module")
def pki() -> UziTestHierarchy:
    return UziTestHierarchy()


def validator(pki: UziTestHierarchy, now: dt.datetime = NOW) -> UziValidator:
    return UziValidator([pki.root], pki.intermediates, pki.crls(now), TEST_CA_OIDS)


class TestIdentity:
    def test_the_2_5_5_5_identity_is_read_as_der(self, pki):
        issued = pki.issue_pass(HOLDER, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
        identity = identity_of(issued.certificate)
        assert (identity.uzi_number, identity.card_type, identity.ura, identity.role,
                identity.agb, identity.ca_oid) == ("900016528", "Z", "90000382", "01.015",
                                                   "01234567", TEST_CA_OIDS["Z"])
        assert identity.name == "Huib Arts"
        assert identity.to_pass().uzi_number == "900016528"

    @given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
    def test_der_strings_round_trip(self, text):
        assert der_string(der_ia5(text)) == text

    @given(st.binary(max_size=40))
    def test_garbage_is_refused_not_sliced(self, data):
        try:
            text = der_string(data)
        except (DerError, UnicodeDecodeError):
            return
        assert der_ia5(text) == data or data[0] == 0x0C

    def test_a_certificate_without_an_identity_says_so(self, pki):
        key = rsa.generate_private_key(65537, 2048)
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "no identity")])
        certificate = x509.CertificateBuilder().subject_name(name).issuer_name(name)\
            .public_key(key.public_key()).serial_number(1).not_valid_before(NOW)\
            .not_valid_after(NOW + dt.timedelta(days=1)).sign(key, hashes.SHA256())
        verdict = validator(pki).check(certificate, NOW)
        assert (verdict.valid, verdict.reason) == (False, "no_uzi_identity")


class TestValidation:
    def test_a_good_pass_is_valid(self, pki):
        issued = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
        verdict = validator(pki).check(issued.certificate, NOW)
        assert (verdict.valid, verdict.reason) == (True, "valid")

    def test_time_limits(self, pki):
        issued = pki.issue_pass(EMPLOYEE, NOW, NOW + dt.timedelta(days=9))
        assert validator(pki).check(issued.certificate, NOW - dt.timedelta(seconds=1)).reason \
            == "not_yet_valid"
        assert validator(pki).check(issued.certificate, NOW + dt.timedelta(days=9)).reason \
            == "expired"

    def test_revoked_by_its_crl(self, pki):
        issued = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
        pki.revoke(issued, NOW - dt.timedelta(hours=1))
        assert validator(pki).check(issued.certificate, NOW).reason == "revoked"

    def test_a_foreign_chain_is_untrusted(self, pki):
        other = UziTestHierarchy()
        issued = other.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1),
                                  NOW + dt.timedelta(days=9))
        verdict = UziValidator([pki.root], other.intermediates, [], TEST_CA_OIDS)\
            .check(issued.certificate, NOW)
        assert verdict.reason == "untrusted_chain"

    def test_the_ca_oid_must_belong_to_the_card_type(self, pki):
        issued = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
        swapped = UziValidator([pki.root], pki.intermediates, [],
                               {"Z": TEST_CA_OIDS["N"], "N": TEST_CA_OIDS["Z"]})
        assert swapped.check(issued.certificate, NOW).reason == "ca_oid_mismatch"
        only_z = UziValidator([pki.root], pki.intermediates, [], TEST_CA_OIDS, ("Z",))
        assert only_z.check(issued.certificate, NOW).reason == "card_type_not_accepted"


class TestWhatMayLogIn:
    def test_a_signature_certificate_logs_no_one_in(self, tmp_path):
        ca = CardCA.create(tmp_path, b"passphrase", NOW - dt.timedelta(days=1))
        auth, sign = ca.issue(EMPLOYEE, rsa.generate_private_key(65537, 2048).public_key(),
                              ec.generate_private_key(ec.SECP256R1()).public_key(), NOW,
                              NOW.replace(year=2029))
        checker = UziValidator([ca.certificate], ca_oids={"N": ca.ca_oid})
        assert checker.check(auth, NOW).valid
        assert checker.check(sign, NOW).reason == "not_an_authentication_certificate"

    def test_an_out_of_date_crl_is_no_proof_of_good_standing(self, pki):
        issued = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=9), NOW + dt.timedelta(days=9))
        stale = UziValidator([pki.root], pki.intermediates, pki.crls(NOW - dt.timedelta(days=2)),
                             TEST_CA_OIDS)
        assert stale.check(issued.certificate, NOW).reason == "revocation_unknown"
        assert validator(pki).check(issued.certificate, NOW).valid

    def test_the_card_ca_cannot_pass_its_cards_off_as_uzi_passes(self, pki, tmp_path):
        """The CA OID must belong to the CA that really issued the certificate: our card
        CA issuing with a UZI CA's OID is refused, and a card is known by its issuer."""
        rogue = CardCA.create(tmp_path, b"passphrase", NOW - dt.timedelta(days=1),
                              ca_oid=TEST_CA_OIDS["N"])
        auth, _ = rogue.issue(EMPLOYEE, rsa.generate_private_key(65537, 2048).public_key(),
                              ec.generate_private_key(ec.SECP256R1()).public_key(), NOW,
                              NOW.replace(year=2029))
        mapping = {"Z": TEST_CA_OIDS["Z"], "N": {TEST_CA_OIDS["N"], "2.999.528.1.3"}}
        checker = UziValidator([pki.root, rogue.certificate], pki.intermediates, [], mapping,
                               card_ca=rogue.certificate, card_ca_oid="2.999.528.1.3")
        assert checker.check(auth, NOW).reason == "ca_oid_mismatch"
        uzi_pass = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1),
                                  NOW + dt.timedelta(days=9)).certificate
        verdict = checker.check(uzi_pass, NOW)
        assert verdict.valid and not verdict.by_card_ca


class TestCardCA:
    def test_card_certificates_look_like_the_uzi_pass(self, tmp_path):
        ca = CardCA.create(tmp_path, b"passphrase", NOW - dt.timedelta(days=1))
        auth_key = rsa.generate_private_key(65537, 2048).public_key()
        sign_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        end = NOW.replace(year=2029)
        auth, sign = ca.issue(EMPLOYEE, auth_key, sign_key, NOW, end)
        assert identity_of(auth).ca_oid == ca.ca_oid == identity_of(sign).ca_oid
        assert auth.not_valid_after_utc == sign.not_valid_after_utc == end
        usage = auth.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature and not usage.content_commitment
        usage = sign.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.content_commitment and not usage.digital_signature
        eku = auth.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert x509.ExtendedKeyUsageOID.CLIENT_AUTH in eku
        subject = {a.oid: a.value for a in auth.subject}
        assert subject[x509.NameOID.SERIAL_NUMBER] == "900020001"
        assert subject[x509.NameOID.ORGANIZATION_NAME] == "Huisartsenpraktijk Noord"
        assert UziValidator([ca.certificate], ca_oids={"N": ca.ca_oid}).check(auth, NOW).valid

    def test_the_crl_lists_revoked_and_suspended_cards(self, tmp_path):
        ca = CardCA.create(tmp_path, b"passphrase", NOW - dt.timedelta(days=1))
        crl = ca.crl([CrlEntry(11, NOW, on_hold=False, reason=x509.ReasonFlags.key_compromise),
                      CrlEntry(12, NOW, on_hold=True)], NOW)
        assert crl.is_signature_valid(ca.certificate.public_key())
        later = ca.crl([], NOW + dt.timedelta(seconds=1))
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert later.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number \
            > number  # RFC 5280: the number grows
        assert crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value \
            == x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key())
        reasons = {e.serial_number: e.extensions.get_extension_for_class(x509.CRLReason)
                   .value.reason for e in crl}
        assert reasons == {11: x509.ReasonFlags.key_compromise,
                           12: x509.ReasonFlags.certificate_hold}

    def test_the_ca_key_is_encrypted_and_a_wrong_passphrase_says_only_that(self, tmp_path):
        CardCA.create(tmp_path, b"right passphrase", NOW)
        pem = (tmp_path / "card-ca.key").read_bytes()
        assert b"ENCRYPTED" in pem
        assert oct((tmp_path / "card-ca.key").stat().st_mode & 0o777) == "0o600"
        with pytest.raises(DomainError) as caught:
            PemSigner.load(tmp_path / "card-ca.key", b"wrong passphrase")
        assert "wrong passphrase" not in str(caught.value)
        CardCA.load(tmp_path, b"right passphrase")


class TestInspectCommand:
    def write(self, tmp_path, pki, issued) -> tuple[str, str]:
        chain = tmp_path / "pass.pem"
        chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                   for c in [issued.certificate, *issued.chain]))
        trust = tmp_path / "roots.pem"
        trust.write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
        return str(chain), str(trust)

    def test_json_identity_and_verdict(self, pki, tmp_path):
        issued = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
        chain, trust = self.write(tmp_path, pki, issued)
        result = CliRunner().invoke(cli, ["uzi", "inspect", chain, "--trust", trust, "--at",
                                          NOW.isoformat(), "--ca-oid", f"N={TEST_CA_OIDS['N']}",
                                          "--json"])
        assert result.exit_code == 0, result.output
        record = json.loads(result.output)
        assert {k: record[k] for k in ("uzi_number", "card_type", "ura", "role", "agb",
                                       "valid", "reason")} == {
            "uzi_number": "900020001", "card_type": "N", "ura": "90000382", "role": "00.000",
            "agb": "00000000", "valid": True, "reason": "valid"}
        assert record["ca_oid"] == TEST_CA_OIDS["N"] and record["not_after"]

    def test_invalid_exits_1_with_the_reason(self, pki, tmp_path):
        issued = pki.issue_pass(EMPLOYEE, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
        chain, trust = self.write(tmp_path, pki, issued)
        production_only = CliRunner().invoke(cli, ["uzi", "inspect", chain, "--trust", trust,
                                                   "--at", NOW.isoformat()])
        assert production_only.exit_code == 1 and "ca_oid_mismatch" in production_only.output
        later = CliRunner().invoke(cli, ["uzi", "inspect", chain, "--trust", trust, "--at",
                                         "2030-01-01T00:00:00Z", "--json"])
        assert later.exit_code == 1 and json.loads(later.output)["reason"] == "expired"
        untrusted = CliRunner().invoke(cli, ["uzi", "inspect", chain, "--at", NOW.isoformat()])
        assert untrusted.exit_code == 1 and "no_trust_anchors" in untrusted.output
        garbage = tmp_path / "garbage.pem"
        garbage.write_text("not a certificate")
        bad = CliRunner().invoke(cli, ["uzi", "inspect", str(garbage)])
        assert bad.exit_code == 1 and "invalid_certificate" in bad.output


def test_person_builder_refuses_nothing_it_should_not(pki):
    key = rsa.generate_private_key(65537, 2048)
    builder = person_certificate_builder(EMPLOYEE, key.public_key(), pki.root, key.public_key(),
                                         "2.999.1", "signature", "2.999.1.2", NOW,
                                         NOW + dt.timedelta(days=1))
    assert builder.sign(key, hashes.SHA256()).serial_number > 0


def test_the_login_checker_reads_the_uzi_crls_again_when_they_change(pki, tmp_path,
                                                                      monkeypatch):
    from cryptography.hazmat.primitives import serialization

    from adapters.bootstrap import Settings, client_certificate_checker
    from adapters.pki.hierarchy import TEST_CA_OIDS as OIDS

    now = dt.datetime.now(dt.UTC)
    issued = pki.issue_pass(EMPLOYEE, now - dt.timedelta(days=1), now + dt.timedelta(days=9))
    files = [tmp_path / "z.crl", tmp_path / "n.crl"]

    def publish(encoding) -> None:
        for file, crl in zip(files, pki.crls(now - dt.timedelta(minutes=5)), strict=True):
            file.write_bytes(crl.public_bytes(encoding))

    publish(serialization.Encoding.DER)
    settings = Settings(uzi_crl_files=tuple(files),
                        uzi_ca_oids=(("N", OIDS["N"]), ("Z", OIDS["Z"])))
    check = client_certificate_checker(settings, None, "2.999.528.1.3", [pki.root])
    assert check(issued.certificate, now, issued.chain).valid
    pki.revoke(issued, now - dt.timedelta(minutes=1))
    publish(serialization.Encoding.PEM)  # the fetch job brought a new list
    assert check(issued.certificate, now, issued.chain).reason == "revoked"
