"""The card CA's OCSP responder with openssl as the relying party: good, revoked with its
reason, certificateHold for a suspended card and good again after resuming, unknown
serial, another CA's certificate, a malformed request; POST, GET and `-url`."""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
import threading
import time
from urllib.parse import quote

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from adapters.pki.ca import CardCA
from adapters.pki.certificates import Holder
from domain.identity import Actor
from tests.conftest import free_port
from tests.integration.http_world import URA, make_identities, personalised
from tests.integration.test_http_api import make_api

PEM = serialization.Encoding.PEM


@pytest.fixture
def world(tmp_path, monkeypatch):
    pki, issued, _, workshop = make_identities(tmp_path / "ca")
    from adapters.pki.uzi import identity_of

    api = make_api(tmp_path / "data", pki, monkeypatch, workshop)
    app = api.state.lifecycle
    passes = {name: identity_of(i.certificate).to_pass() for name, i in issued.items()}
    app.register_practice(URA, "Praktijk", "huisartsenpraktijk", passes["administrator"])
    app.ship_order(app.place_order(URA, 1, "k", passes["administrator"]), ["ZID000000501"],
                   Actor.system("fulfilment"))
    card_id, certificate = personalised(app, workshop, "ZID000000501", passes["holder"])
    files = {"ca": tmp_path / "ca.pem", "card": tmp_path / "card.pem",
             "root": tmp_path / "root.pem"}
    files["ca"].write_bytes(workshop.certificate.public_bytes(PEM))
    files["root"].write_bytes(workshop.authority.root.public_bytes(PEM))  # what RPs trust
    files["card"].write_bytes(certificate.public_bytes(PEM))
    return api, app, card_id, passes, files, tmp_path


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "ocsp", *args], capture_output=True, text=True,
                          timeout=30, check=False)


def ask(client, files, tmp_path, cert: str = "card", issuer: str = "ca",
        nonce: bool = True) -> str:
    """openssl makes the request; the responder answers; openssl checks the answer."""
    request, response = tmp_path / "req.der", tmp_path / "resp.der"
    made = openssl("-issuer", str(files[issuer]), "-cert", str(files[cert]), "-reqout",
                   str(request), *(["-nonce"] if nonce else ["-no_nonce"]))
    assert made.returncode == 0, made.stderr
    answer = client.post("/ocsp", content=request.read_bytes(),
                         headers={"Content-Type": "application/ocsp-request"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/ocsp-response"
    assert answer.headers["cache-control"] == "no-store"
    response.write_bytes(answer.content)
    if nonce:  # the request's nonce comes back in the answer
        from cryptography.x509 import ocsp

        asked = ocsp.load_der_ocsp_request(request.read_bytes())
        said = ocsp.load_der_ocsp_response(answer.content)
        if said.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL:
            sent = [e.value for e in asked.extensions if isinstance(e.value, x509.OCSPNonce)]
            echoed = [e.value for e in said.extensions if isinstance(e.value, x509.OCSPNonce)]
            assert sent and echoed == sent
    # -no_nonce: openssl's own new request here has no nonce to compare with
    checked = openssl("-respin", str(response), "-issuer", str(files[issuer]), "-cert",
                      str(files[cert]), "-CAfile", str(files["root"]), "-resp_text", "-no_nonce")
    return checked.stdout + checked.stderr


def test_good_revoked_on_hold_and_good_again(world):
    api, app, card_id, passes, files, tmp_path = world
    client = TestClient(api)
    good = ask(client, files, tmp_path)
    assert f"{files['card']}: good" in good and "Response verify OK" in good
    assert "OCSP Nonce" in good  # echoed (compared in ask)
    app.suspend_card(card_id, "kwijt", passes["holder"])
    held = ask(client, files, tmp_path)
    assert f"{files['card']}: revoked" in held and "Reason: certificateHold" in held
    app.resume_card(card_id, passes["administrator"])
    assert f"{files['card']}: good" in ask(client, files, tmp_path)  # at once, no cache
    app.revoke_card(card_id, "loss_or_theft", passes["holder"])
    revoked = ask(client, files, tmp_path)
    assert f"{files['card']}: revoked" in revoked and "Reason: keyCompromise" in revoked
    assert "Revocation Time:" in revoked and "Response verify OK" in revoked


def test_unknown_serial_another_ca_and_a_malformed_request(world):
    api, _, _, _, files, tmp_path = world
    client = TestClient(api)
    workshop = api.state.workshop
    now = dt.datetime.now(dt.UTC)
    holder = Holder("900020001", "N", URA, "00.000", "00000000", "Bea", "Assistent", "P")
    from cryptography.hazmat.primitives.asymmetric import ec

    stray, _ = workshop.authority.issue(holder, ec.generate_private_key(
        ec.SECP256R1()).public_key(), ec.generate_private_key(ec.SECP256R1()).public_key(),
        now, now + dt.timedelta(days=30))  # signed by our CA, never recorded
    files["stray"] = tmp_path / "stray.pem"
    files["stray"].write_bytes(stray.public_bytes(PEM))
    assert f"{files['stray']}: unknown" in ask(client, files, tmp_path, cert="stray")
    other = CardCA.create(tmp_path / "other-ca", b"other", now - dt.timedelta(days=1))
    foreign, _ = other.issue(holder, ec.generate_private_key(ec.SECP256R1()).public_key(),
                             ec.generate_private_key(ec.SECP256R1()).public_key(), now,
                             now + dt.timedelta(days=30))
    files["other"] = tmp_path / "other.pem"
    files["other"].write_bytes(other.certificate.public_bytes(PEM))
    files["foreign"] = tmp_path / "foreign.pem"
    files["foreign"].write_bytes(foreign.public_bytes(PEM))
    assert "unauthorized" in ask(client, files, tmp_path, cert="foreign", issuer="other")
    for garbage in (b"", b"not an OCSP request", b"\x30\x03\x02\x01\x05"):
        answer = client.post("/ocsp", content=garbage,
                             headers={"Content-Type": "application/ocsp-request"})
        assert answer.status_code == 200  # an OCSP refusal, never a 5xx
        (tmp_path / "bad.der").write_bytes(answer.content)
        shown = openssl("-respin", str(tmp_path / "bad.der"), "-resp_text", "-noverify")
        assert "malformedrequest" in (shown.stdout + shown.stderr).lower()


def test_get_and_openssl_asking_by_url(world):
    api, _, _, _, files, tmp_path = world
    request = tmp_path / "req.der"
    assert openssl("-issuer", str(files["ca"]), "-cert", str(files["card"]), "-reqout",
                   str(request), "-no_nonce").returncode == 0
    client = TestClient(api)
    encoded = quote(base64.b64encode(request.read_bytes()).decode(), safe="")
    by_get = client.get(f"/ocsp/{encoded}")
    assert by_get.status_code == 200
    (tmp_path / "get.der").write_bytes(by_get.content)
    shown = openssl("-respin", str(tmp_path / "get.der"), "-issuer", str(files["ca"]),
                    "-cert", str(files["card"]), "-CAfile", str(files["root"]))
    assert f"{files['card']}: good" in shown.stdout
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port,
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        asked = openssl("-issuer", str(files["ca"]), "-cert", str(files["card"]), "-url",
                        f"http://127.0.0.1:{port}/ocsp", "-CAfile", str(files["root"]))
        assert asked.returncode == 0, asked.stderr
        assert f"{files['card']}: good" in asked.stdout
        assert "Response verify OK" in asked.stdout + asked.stderr
    finally:
        server.should_exit = True
        thread.join(10)
