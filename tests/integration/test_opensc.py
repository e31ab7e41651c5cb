"""A card our code personalised through a real pcscd is read and used by OpenSC, the
middleware care applications already have: the promise "no extra software"."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from adapters.pki.ca import CardCA
from adapters.pki.card_keys import management_key
from adapters.pki.certificates import Holder
from adapters.pki.uzi import UziValidator, identity_of
from adapters.reader.apdu import ApduConnection
from adapters.reader.personalise import identify, seal_card, write_card
from adapters.reader.piv import KeyAlgorithm, PivSession
from adapters.reader.virtual_card import VirtualPivCard
from tests.integration.test_reader_pcsc import RunningCard

MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
SECRET = b"master secret for tests only"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


def blank_card(mode: str, path, serial: str) -> VirtualPivCard:
    """Our supplier's blank card (serial object, per-card AES key), or a factory-fresh PIV
    card (default 3DES key, only the chip's serial)."""
    if mode == "factory":
        return VirtualPivCard.factory(path, 4242)
    return VirtualPivCard.blank(path, serial, KeyAlgorithm.AES128,
                                management_key(SECRET, serial, personalised=False))


@pytest.fixture(params=["supplier", "factory"])
def personalised(pcscd, tmp_path, request):
    from adapters.reader.pcsc import PcscTransport

    if not shutil.which("pkcs11-tool"):
        pytest.skip("OpenSC is not installed: scripts/setup.sh --test installs it")
    serial = "ZID000004242"
    card = blank_card(request.param, tmp_path / "card.json", serial)
    running = RunningCard(card)
    ca = CardCA.create(tmp_path / "ca", b"ca passphrase", NOW - dt.timedelta(days=1))
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
        if request.param == "factory":  # the shipment ties the printed serial to the chip
            assert (identity.serial, identity.chip_id) == (None, "yubico:4242")
        else:
            assert identity.serial == serial
        written = write_card(piv, serial, management_key(SECRET, serial, False),
                             lambda a, s: ca.issue(holder, a, s, NOW, end),
                             uuid.uuid4(), pin="482915", puk="73920184",
                             fresh=identity.fresh)
        seal_card(piv, management_key(SECRET, serial, True))
    except BaseException:
        transport.close()
        running.pull()  # never leave a card in the shared reader for the next test
        raise
    transport.close()
    yield written, ca
    running.pull()


def opensc(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), input=stdin, capture_output=True, timeout=60,
                          check=False)


def test_opensc_lists_the_certificates_and_signs_with_both_keys(personalised, tmp_path):
    written, _ = personalised
    listing = opensc("pkcs15-tool", "--list-certificates")
    assert listing.returncode == 0, listing.stderr
    assert b"Certificate for PIV Authentication" in listing.stdout
    assert b"Certificate for Digital Signature" in listing.stdout

    message = tmp_path / "message"
    message.write_bytes(b"toegang tot het LSP")
    signature = tmp_path / "signature"
    signed = opensc("pkcs11-tool", "--module", MODULE, "--login", "--pin", "482915",
                    "--sign", "--id", "01", "--mechanism", "SHA256-RSA-PKCS",
                    "--input-file", str(message), "--output-file", str(signature))
    assert signed.returncode == 0, signed.stderr
    written.authentication.public_key().verify(signature.read_bytes(), message.read_bytes(),
                                               padding.PKCS1v15(), hashes.SHA256())
    # and openssl, as a relying party would check it, from the certificate alone
    from cryptography.hazmat.primitives import serialization

    public = tmp_path / "auth-public.pem"
    public.write_bytes(written.authentication.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    checked = opensc("openssl", "dgst", "-sha256", "-verify", str(public), "-signature",
                     str(signature), str(message))
    assert checked.returncode == 0 and b"Verified OK" in checked.stdout, checked.stderr

    digest = tmp_path / "digest"
    digest.write_bytes(hashlib.sha256(message.read_bytes()).digest())
    ec_signed = opensc("pkcs11-tool", "--module", MODULE, "--login", "--pin", "482915",
                       "--sign", "--id", "02", "--mechanism", "ECDSA",
                       "--signature-format", "openssl", "--input-file", str(digest),
                       "--output-file", str(signature))
    assert ec_signed.returncode == 0, ec_signed.stderr
    written.signature.public_key().verify(signature.read_bytes(), message.read_bytes(),
                                          ec.ECDSA(hashes.SHA256()))

    wrong = opensc("pkcs11-tool", "--module", MODULE, "--login", "--pin", "123456", "--sign",
                   "--id", "01", "--mechanism", "SHA256-RSA-PKCS", "--input-file",
                   str(message), "--output-file", str(signature))
    assert wrong.returncode != 0  # the factory PIN was replaced by the holder's


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
                       lambda a, s: ca.issue(holder, a, s, NOW, end), uuid.uuid4(),
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
