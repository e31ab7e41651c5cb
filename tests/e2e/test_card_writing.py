"""The mission's moment, as a user runs it: an employee with a UZI pass puts a blank
card in a reader (pcscd + vpcd + `zorgid virtual-card`) and runs `zorgid cards
personalise`; OpenSC then reads the card, and a revocation reaches the CRL."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.bootstrap import Settings, init_data_dir, open_lifecycle
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from adapters.reader.tlv import tlv_map
from domain.identity import Actor, UziPass
from tests.e2e.test_demo_run import zorgid
from tests.support import zorgid_command

URA = "90000382"
SERIAL = "ZID000123456"


def pass_of(issued) -> UziPass:
    from adapters.pki.uzi import identity_of

    return identity_of(issued.certificate).to_pass()


@pytest.fixture(params=["supplier", "factory"])
def workstation(pcscd, tmp_path, request):
    """A practice with one blank card in the reader: our supplier's, or a factory-fresh
    PIV card the shipment names by its chip."""
    if not shutil.which("pkcs15-tool"):
        pytest.skip("OpenSC is not installed: scripts/setup.sh --test installs it")
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    init_data_dir(settings)
    env = {"ZORGID_DATA_DIR": str(data), "ZORGID_CA_PASSPHRASE": "ca passphrase for tests",
           "ZORGID_UZI_CA_OIDS": f"N={TEST_CA_OIDS['N']},Z={TEST_CA_OIDS['Z']}"}
    assert zorgid("ca", "init", env=env).returncode == 0
    pki = UziTestHierarchy()
    (data / "uzi-trust.pem").write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    now = dt.datetime.now(dt.UTC)
    doctor = pki.issue_pass(Holder("900016528", "Z", URA, "01.015", "00000000", "Huib", "Arts",
                                   "Praktijk Noord"), now - dt.timedelta(days=30),
                            now + dt.timedelta(days=900))
    employee = pki.issue_pass(Holder("900020001", "N", URA, "00.000", "00000000", "Bea",
                                     "Assistent", "Praktijk Noord"),
                              now - dt.timedelta(days=30), now + dt.timedelta(days=900))
    pass_file = tmp_path / "pass.pem"
    pass_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                   for c in [employee.certificate, *employee.chain]))
    app = open_lifecycle(settings)
    app.register_practice(URA, "Huisartsenpraktijk Noord", "huisartsenpraktijk",
                          pass_of(doctor))
    order = app.place_order(URA, 1, "webshop-1", pass_of(doctor))
    factory = request.param == "factory"
    app.ship_order(order, [SERIAL], Actor.system("fulfilment"),
                   ["yubico:4242"] if factory else None)
    app.close()
    card = subprocess.Popen(
        [*zorgid_command(), "virtual-card", "--state", str(tmp_path / "card.json"),
         *(["--chip-serial", "4242"] if factory else ["--serial", SERIAL])],
        env={**os.environ, **env}, stderr=subprocess.PIPE)
    yield data, env, pass_file, pass_of(employee)
    card.terminate()
    card.wait(10)
    time.sleep(0.8)  # pcscd sees the card go


def personalise(env, pass_file, secrets: bytes):
    read, write = os.pipe()
    os.write(write, secrets)
    os.close(write)
    try:
        return subprocess.run(
            [*zorgid_command(), "cards", "personalise", "--reader", "Virtual PCD 00 00",
             "--uzi-cert", str(pass_file), "--pin-fd", str(read), "--timeout", "20"],
            env={**os.environ, **env}, pass_fds=(read,), capture_output=True, text=True,
            timeout=120, check=False)
    finally:
        os.close(read)


def test_an_employee_creates_their_card_and_a_revocation_reaches_the_crl(workstation,
                                                                          tmp_path):
    data, env, pass_file, employee = workstation
    result = personalise(env, pass_file, b"482915\n73920184\n")
    assert result.returncode == 0, result.stderr
    assert f"card {SERIAL} is active until" in result.stdout
    assert "482915" not in result.stdout + result.stderr

    app = open_lifecycle(Settings(data_dir=data))
    card = app.get_card_by_serial(SERIAL)
    assert card.status.value == "active" and card.holder_uzi_number == "900020001"
    listing = subprocess.run(["pkcs15-tool", "--list-certificates"], capture_output=True,
                             timeout=60, check=False)
    assert b"Certificate for PIV Authentication" in listing.stdout

    again = personalise(env, pass_file, b"482915\n73920184\n")
    assert again.returncode == 1
    assert again.stderr.strip().startswith("zorgid: card_not_blank:")

    app.revoke_card(card.id, "loss_or_theft", employee)
    app.close()
    crl_file = tmp_path / "cards.crl"
    published = zorgid("ca", "crl", "--out", str(crl_file), env=env)
    assert published.returncode == 0, published.stderr
    crl = x509.load_der_x509_crl(crl_file.read_bytes())
    listed = {format(entry.serial_number, "x") for entry in crl}
    assert listed == {c["serial_number"] for c in card.certificates}

    # openssl, as a relying party would: the chain holds, and the CRL revokes the card
    state = json.loads((tmp_path / "card.json").read_text())
    der = tlv_map(bytes.fromhex(state["objects"]["5FC105"]))[0x70]  # 53's value, stored
    certificate = tmp_path / "card-auth.pem"
    certificate.write_bytes(x509.load_der_x509_certificate(der).public_bytes(
        serialization.Encoding.PEM))
    crl_pem = tmp_path / "cards.crl.pem"
    crl_pem.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    trust = ["-CAfile", str(data / "ca" / "root-ca.pem"),
             "-untrusted", str(data / "ca" / "card-ca.pem")]
    verified = subprocess.run(["openssl", "verify", *trust, str(certificate)],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    revoked = subprocess.run(["openssl", "verify", "-crl_check", "-CRLfile", str(crl_pem),
                              *trust, str(certificate)],
                             capture_output=True, text=True, check=False)
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr


def test_a_pass_from_an_untrusted_hierarchy_is_refused_before_the_card(workstation, tmp_path):
    data, env, _, _ = workstation
    stranger = UziTestHierarchy()
    now = dt.datetime.now(dt.UTC)
    issued = stranger.issue_pass(Holder("900020009", "N", URA, "00.000", "00000000", "X", "Y",
                                        "Z"), now - dt.timedelta(days=1),
                                 now + dt.timedelta(days=9))
    pass_file = tmp_path / "stranger.pem"
    pass_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                   for c in [issued.certificate, *issued.chain]))
    result = personalise(env, pass_file, b"482915\n73920184\n")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("zorgid: uzi_pass_untrusted_chain:")
    app = open_lifecycle(Settings(data_dir=data))
    assert app.get_card_by_serial(SERIAL).status.value == "blank"
    app.close()
