"""A remote workstation as it will run: `zorgid serve` holds the store and the card CA;
the employee's request arrives through the TLS proxy (forwarded certificate from a
trusted address); `zorgid reader-agent` writes the card in pcscd's reader."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives import serialization

from adapters.bootstrap import Settings, init_data_dir, open_lifecycle
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from adapters.pki.uzi import identity_of
from domain.identity import Actor
from tests.conftest import free_port
from tests.e2e.test_demo_run import zorgid
from tests.support import wait_for_health, zorgid_command

URA, SERIAL = "90000382", "ZID000654321"


def test_serve_and_a_remote_reader_agent_make_a_card(pcscd, tmp_path):
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    init_data_dir(settings)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")},
           "ZORGID_CA_PASSPHRASE": "remote test passphrase", "ZORGID_TRUSTED_PROXIES": "127.0.0.1",
           "ZORGID_UZI_CA_OIDS": f"N={TEST_CA_OIDS['N']},Z={TEST_CA_OIDS['Z']}"}
    assert zorgid("ca", "init", "--data-dir", str(data), env=env).returncode == 0
    pki = UziTestHierarchy()
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    env["ZORGID_TRUST_ANCHORS"] = str(anchors)
    now = dt.datetime.now(dt.UTC)
    doctor = pki.issue_pass(Holder("900016528", "Z", URA, "01.015", "00000000", "Huib", "Arts",
                                   "P"), now - dt.timedelta(days=9), now + dt.timedelta(days=99))
    employee = pki.issue_pass(Holder("900020001", "N", URA, "00.000", "00000000", "Bea",
                                     "Assistent", "P"), now - dt.timedelta(days=9),
                              now + dt.timedelta(days=99))
    app = open_lifecycle(settings)
    doctor_pass = identity_of(doctor.certificate).to_pass()
    app.register_practice(URA, "Praktijk Noord", "huisartsenpraktijk", doctor_pass)
    app.ship_order(app.place_order(URA, 1, "k", doctor_pass), [SERIAL],
                   Actor.system("fulfilment"))
    app.close()

    port = free_port()
    server = subprocess.Popen([*zorgid_command(), "serve", "--data-dir", str(data), "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    card = subprocess.Popen([*zorgid_command(), "virtual-card", "--data-dir", str(data),
                             "--state", str(tmp_path / "card.json"), "--serial", SERIAL],
                            env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_health(base, server, 30)
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM)
                       for c in [employee.certificate, *employee.chain])
        started = httpx.post(f"{base}/v1/cards", json={"card_serial": SERIAL},
                             headers={"X-SSL-Client-Cert": quote(pem.decode())})
        assert started.status_code == 201, started.text
        job = started.json()
        read, write = os.pipe()
        os.write(write, b"482915\n73920184\n")
        os.close(write)
        agent = subprocess.run(
            [*zorgid_command(), "reader-agent", "--api", base, "--job", job["job_id"],
             "--token", job["job_token"], "--reader", "Virtual PCD 00 00", "--pin-fd",
             str(read), "--timeout", "20"],
            env=env, pass_fds=(read,), capture_output=True, text=True, timeout=120,
            check=False)
        os.close(read)
        assert agent.returncode == 0, agent.stderr
        assert f"card {SERIAL} is active" in agent.stdout
        view = httpx.get(f"{base}/v1/cards/{job['card_id']}",
                         headers={"X-SSL-Client-Cert": quote(pem.decode())})
        assert view.json()["status"] == "active"
        crl = httpx.get(f"{base}/v1/crl")
        assert crl.status_code == 200 and crl.headers["content-type"] == "application/pkix-crl"
    finally:
        card.terminate()
        card.wait(10)
        server.send_signal(signal.SIGTERM)
        server.wait(15)
        time.sleep(0.8)
