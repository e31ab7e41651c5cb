"""The CRL follows the cards: `zorgid ca crl --follow` rewrites it when a card is
suspended (on hold), resumed (off the list again) or revoked."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time

from cryptography import x509

from adapters.bootstrap import Settings, init_data_dir, open_lifecycle, read_master_secret
from adapters.pki.ca import CardCA
from adapters.pki.card_keys import blank_management_key
from adapters.reader.agent import personalise
from adapters.reader.personalise import MANAGEMENT_ALGORITHM
from adapters.reader.virtual_card import VirtualPivCard
from domain.clock import ManualClock
from tests.e2e.test_demo_run import zorgid
from tests.support import ASSISTANT_A, DOCTOR_A, T0, ready_practice, zorgid_command
from tests.unit.test_agent import issuer
from tests.unit.test_piv_session import InProcess

ENV = {"ZORGID_CA_PASSPHRASE": "crl test passphrase"}


def entries(path) -> dict[str, x509.ReasonFlags]:
    crl = x509.load_der_x509_crl(path.read_bytes())
    return {format(e.serial_number, "x"): e.extensions.get_extension_for_class(
        x509.CRLReason).value.reason for e in crl}


def wait_for(path, expected, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            try:
                if entries(path) == expected:
                    return
            except ValueError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"the CRL never showed {expected}; it has "
                         f"{entries(path) if path.exists() else 'nothing'}")


def test_the_crl_follows_suspension_resumption_and_revocation(tmp_path):
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    init_data_dir(settings)
    assert zorgid("ca", "init", "--data-dir", str(data), env=ENV).returncode == 0
    now = dt.datetime.now(dt.UTC)
    app = open_lifecycle(settings, clock=ManualClock(T0 if now < T0 else now))
    serial = ready_practice(app)[0]
    # the supplier sets the blank card's key from the secret it was given, not the master
    supplier = tmp_path / "supplier.key"
    args = ("ca", "supplier-secret", "--data-dir", str(data), "--out", str(supplier))
    assert zorgid(*args, env=ENV).returncode == 0
    assert supplier.stat().st_mode & 0o777 == 0o600
    assert zorgid(*args, env=ENV).returncode == 1  # never overwritten
    card = VirtualPivCard.blank(tmp_path / "card.json", serial, MANAGEMENT_ALGORITHM,
                                blank_management_key(bytes.fromhex(supplier.read_text()),
                                                     serial))
    authority = CardCA.load(settings.ca_dir, ENV["ZORGID_CA_PASSPHRASE"].encode())
    result = personalise(app, InProcess(card), ASSISTANT_A, read_master_secret(settings),
                         issuer(authority), "482915", "73920184")
    serials = {c["serial_number"] for c in app.get_card(result.card_id).certificates}
    out = tmp_path / "cards.crl"
    follower = subprocess.Popen(
        [*zorgid_command(), "ca", "crl", "--data-dir", str(data), "--out", str(out),
         "--follow", "--poll", "0.1"], env={**os.environ, **ENV},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(out, {})
        app.suspend_card(result.card_id, "kwijt", ASSISTANT_A)
        wait_for(out, {s: x509.ReasonFlags.certificate_hold for s in serials})
        app.resume_card(result.card_id, DOCTOR_A)
        wait_for(out, {})
        app.revoke_card(result.card_id, "loss_or_theft", ASSISTANT_A)
        wait_for(out, {s: x509.ReasonFlags.key_compromise for s in serials})
    finally:
        follower.send_signal(signal.SIGTERM)
        output, errors = follower.communicate(timeout=30)
        assert "written to" in output
        app.close()
    assert follower.returncode == 0, errors
