"""A card our code personalised through a real pcscd is read and used by OpenSC, the
middleware care applications already have: the promise "no extra software"."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
import subprocess
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from adapters.pki.ca import CardCA
from adapters.pki.card_keys import management_key
from adapters.pki.certificates import Holder, Publication
from adapters.pki.uzi import UziValidator, identity_of
from adapters.reader.apdu import ApduConnection
from adapters.reader.personalise import identify, seal_card, write_card
from adapters.reader.piv import KeyAlgorithm, PivSession
from adapters.reader.virtual_card import VirtualPivCard
from tests.integration.test_reader_pcsc import RunningCard
from tests.uzi_profile import check_uzi_profile

MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
SECRET = b"master secret for tests only"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
PUBLICATION = Publication.at("https://zorgid.example", "https://zorgid.example/cps",
                             "ZORG-ID Smartcard; zie de CPS")


def blank_card(mode: str, path, serial: str) -> VirtualPivCard:
    """Our supplier's blank card (serial object, per-card AES key), or a factory-fresh PIV
    card (default 3DES key, only the chip's serial)."""
    if mode == "factory":
        return VirtualPivCard.factory(path, 4242)
    return VirtualPivCard.blank(path, serial, KeyAlgorithm.AES128,
                                management_key(SECRET, serial, personalised=False))


@contextlib.contextmanager
def card_in_reader(pcscd, tmp_path, mode: str, key_type: str = "rsa2048"):
    """A card of `mode` written with keys of `key_type`, in the shared reader for the
    length of the block, and pulled out after it (also when writing it failed)."""
    from adapters.reader.pcsc import PcscTransport

    if not shutil.which("pkcs11-tool"):
        pytest.skip("OpenSC is not installed: scripts/setup.sh --test installs it")
    serial = "ZID000004242"
    card = blank_card(mode, tmp_path / "card.json", serial)
    running = RunningCard(card)
    made = CardCA.create(tmp_path / "ca", b"ca passphrase", NOW - dt.timedelta(days=1))
    ca = CardCA(made.signer, made.certificate, chain=made.chain, publication=PUBLICATION)
    holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent",
                    "Huisartsenpraktijk Noord")
    end = NOW.replace(year=NOW.year + 3)
    try:
        transport = PcscTransport.wait_for_card(pcscd, timeout=15)
    except BaseException:
        running.pull()
        raise
    try:
        piv = PivSession(ApduConnection(transport))
        identity = identify(piv)
        if mode == "factory":  # the shipment ties the printed serial to the chip
            assert (identity.serial, identity.chip_id) == (None, "yubico:4242")
        else:
            assert identity.serial == serial
        written = write_card(piv, serial, management_key(SECRET, serial, False),
                             lambda a, s, c: ca.issue(holder, a, s, NOW, end, c),
                             uuid.uuid4(), pin="482915", puk="73920184",
                             fresh=identity.fresh, card_key_type=key_type)
        seal_card(piv, management_key(SECRET, serial, True))
    except BaseException:
        transport.close()
        running.pull()  # never leave a card in the shared reader for the next test
        raise
    transport.close()
    try:
        yield written, ca
    finally:
        running.pull()


@pytest.fixture(params=["supplier", "factory"])
def personalised(pcscd, tmp_path, request):
    with card_in_reader(pcscd, tmp_path, request.param) as written:
        yield written


def opensc(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), input=stdin, capture_output=True, timeout=60,
                          check=False)


def sign_with(tmp_path, key_id: str, mechanism: str, data: bytes,
              pin: str = "482915", *extra: str) -> tuple[subprocess.CompletedProcess[bytes], bytes]:
    source, signature = tmp_path / f"in-{key_id}", tmp_path / f"signature-{key_id}"
    source.write_bytes(data)
    signed = opensc("pkcs11-tool", "--module", MODULE, "--login", "--pin", pin, "--sign",
                    "--id", key_id, "--mechanism", mechanism, *extra, "--input-file",
                    str(source), "--output-file", str(signature))
    return signed, signature.read_bytes() if signed.returncode == 0 else b""


def test_opensc_lists_three_certificates_signs_with_9a_and_9c_and_decrypts_with_9d(
        personalised, tmp_path):
    written, ca = personalised
    listing = opensc("pkcs15-tool", "--list-certificates")
    assert listing.returncode == 0, listing.stderr
    assert b"Certificate for PIV Authentication" in listing.stdout
    assert b"Certificate for Digital Signature" in listing.stdout
    assert b"Certificate for Key Management" in listing.stdout
    objects = opensc("pkcs11-tool", "--module", MODULE, "--list-objects", "--type", "cert")
    assert objects.stdout.count(b"Certificate Object") == 3, objects.stdout
    # the three certificates as OpenSC reads them off the card, against the UZI table
    read = {}
    for key_id, purpose in (("01", "authentication"), ("02", "signature"),
                            ("03", "confidentiality")):
        shown = opensc("pkcs15-tool", "--read-certificate", key_id)
        assert shown.returncode == 0, shown.stderr
        read[purpose] = x509.load_pem_x509_certificate(shown.stdout)
    assert read["confidentiality"] == written.confidentiality
    check_uzi_profile(read, ca.certificate, ca.root, ca.policies, "https://zorgid.example",
                      "https://zorgid.example/cps", "ZORG-ID Smartcard; zie de CPS")

    message = b"toegang tot het LSP"
    for key_id, certificate in (("01", written.authentication), ("02", written.signature)):
        signed, signature = sign_with(tmp_path, key_id, "SHA256-RSA-PKCS", message)
        assert signed.returncode == 0, signed.stderr
        certificate.public_key().verify(signature, message, padding.PKCS1v15(),
                                        hashes.SHA256())
    # and openssl, as a relying party would check it, from the certificate alone
    public = tmp_path / "auth-public.pem"
    public.write_bytes(written.authentication.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _, signature = sign_with(tmp_path, "01", "SHA256-RSA-PKCS", message)
    (tmp_path / "signature").write_bytes(signature)
    (tmp_path / "message").write_bytes(message)
    checked = opensc("openssl", "dgst", "-sha256", "-verify", str(public), "-signature",
                     str(tmp_path / "signature"), str(tmp_path / "message"))
    assert checked.returncode == 0 and b"Verified OK" in checked.stdout, checked.stderr

    # confidentiality: a sender encrypts to the 9D certificate, the card decrypts
    assert written.confidentiality is not None
    secret = b"medisch dossier, vertrouwelijk"
    (tmp_path / "ciphertext").write_bytes(written.confidentiality.public_key().encrypt(
        secret, padding.PKCS1v15()))
    decrypted = opensc("pkcs11-tool", "--module", MODULE, "--login", "--pin", "482915",
                       "--decrypt", "--id", "03", "--mechanism", "RSA-PKCS", "--input-file",
                       str(tmp_path / "ciphertext"), "--output-file", str(tmp_path / "plain"))
    assert decrypted.returncode == 0, decrypted.stderr
    assert (tmp_path / "plain").read_bytes() == secret

    wrong, _ = sign_with(tmp_path, "01", "SHA256-RSA-PKCS", message, "123456")
    assert wrong.returncode != 0  # the factory PIN was replaced by the holder's


def test_a_p256_card_signs_with_ecdsa_where_a_deployment_chooses_it(pcscd, tmp_path):
    with card_in_reader(pcscd, tmp_path, "supplier", "p256") as (written, _):
        assert all(isinstance(c.public_key(), ec.EllipticCurvePublicKey)
                   for c in (written.authentication, written.signature,
                             written.confidentiality))
        usage = written.confidentiality.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.value.key_agreement and not usage.value.key_encipherment
        message = b"toegang tot het LSP"
        signed, signature = sign_with(tmp_path, "02", "ECDSA",
                                      hashlib.sha256(message).digest(), "482915",
                                      "--signature-format", "openssl")
        assert signed.returncode == 0, signed.stderr
        written.signature.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))


def test_the_card_certificates_carry_the_holders_uzi_identity(personalised):
    written, ca = personalised
    identity = identity_of(written.authentication)
    assert (identity.uzi_number, identity.card_type, identity.ura, identity.ca_oid) == \
        ("900020001", "N", "90000382", ca.ca_oid)
    assert written.authentication.not_valid_after_utc == NOW.replace(year=2029)
    validator = UziValidator([ca.certificate], ca_oids={"N": ca.ca_oid})
    assert validator.check(written.authentication, NOW + dt.timedelta(days=1)).valid
    upn = written.authentication.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert any(isinstance(n, x509.OtherName) and n.type_id.dotted_string ==
               "1.3.6.1.4.1.311.20.2.3" for n in upn)


def test_three_wrong_pins_block_and_the_puk_unblocks_through_opensc(personalised, tmp_path):
    written, _ = personalised
    message = tmp_path / "message"
    message.write_bytes(b"na drie keer fout")
    signature = tmp_path / "signature"

    def sign(pin: str) -> subprocess.CompletedProcess[bytes]:
        return opensc("pkcs11-tool", "--module", MODULE, "--login", "--pin", pin, "--sign",
                      "--id", "01", "--mechanism", "SHA256-RSA-PKCS", "--input-file",
                      str(message), "--output-file", str(signature))

    for _ in range(3):
        assert sign("000000").returncode != 0
    blocked = sign("482915")
    assert blocked.returncode != 0 and b"CKR_PIN_LOCKED" in blocked.stdout + blocked.stderr
    unlocked = opensc("pkcs15-tool", "--unblock-pin", "--puk", "73920184",
                      "--new-pin", "551177")
    assert unlocked.returncode == 0, unlocked.stderr
    assert sign("551177").returncode == 0
    written.authentication.public_key().verify(signature.read_bytes(), message.read_bytes(),
                                               padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize("mode", ["supplier", "factory"])
def test_yubico_piv_tool_reads_the_card_in_both_modes(pcscd, tmp_path, mode):
    """An independent PIV tool (it selects by the truncated AID A0 00 00 03 08) reads
    our blank cards, and the personalised one."""
    from adapters.reader.pcsc import PcscTransport

    tool = shutil.which("yubico-piv-tool")
    if not tool:
        pytest.skip("yubico-piv-tool is not installed: scripts/setup.sh --test installs it")
    serial = "ZID000004244"
    card = blank_card(mode, tmp_path / "card.json", serial)
    running = RunningCard(card)
    try:
        PcscTransport.wait_for_card(pcscd, timeout=15).close()  # the card is in the reader
        status = opensc(tool, "-r", "Virtual PCD", "-a", "status")
        assert status.returncode == 0, status.stderr
        assert b"PIN tries left:\t3" in status.stdout
        if mode == "factory":
            assert b"Serial Number:\t4242" in status.stdout
            assert b"Version:\t5.4.3" in status.stdout
        transport = PcscTransport.wait_for_card(pcscd, timeout=15)
        try:
            piv = PivSession(ApduConnection(transport))
            identity = identify(piv)
            ca = CardCA.create(tmp_path / "ca", b"ca passphrase", NOW - dt.timedelta(days=1))
            holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea",
                            "Assistent", "Huisartsenpraktijk Noord")
            end = NOW.replace(year=NOW.year + 3)
            write_card(piv, serial, management_key(SECRET, serial, False),
                       lambda a, s, c: ca.issue(holder, a, s, NOW, end, c), uuid.uuid4(),
                       pin="482915", puk="73920184", fresh=identity.fresh)
        finally:
            transport.close()
        after = opensc(tool, "-r", "Virtual PCD", "-a", "status")
        assert after.returncode == 0, after.stderr
        assert b"Slot 9a" in after.stdout and b"Bea Assistent" in after.stdout
        assert b"CHUID:" in after.stdout and b"No data available" not in after.stdout.split(
            b"CHUID:")[1].split(b"\n")[0]
    finally:
        running.pull()
