"""A care application's view of a card, with tools we did not write: the server runs at
the public URL its certificates name; openssl follows the certificates' own pointers (the
CA certificate from AIA caIssuers, the CRL from the CDP, the OCSP responder from AIA)
and verifies each certificate strictly for its purpose; after a revocation both the CRL
and OCSP say so."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.request

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from adapters.bootstrap import CardWorkshop
from adapters.pki.ca import CardCA
from adapters.pki.certificates import Publication
from adapters.pki.uzi import identity_of
from domain.identity import Actor
from tests.conftest import free_port
from tests.integration.http_world import URA, make_identities
from tests.integration.test_http_api import make_api
from tests.uzi_profile import check_uzi_profile

PEM = serialization.Encoding.PEM
PURPOSES = {"authentication": "sslclient", "signature": "smimesign",
            "confidentiality": "smimeencrypt"}
NOTICE = "ZORG-ID Smartcard: persoonsgebonden certificaat; zie de CPS"


@pytest.fixture
def served(tmp_path, monkeypatch):
    pki, issued, _, made = make_identities(tmp_path / "ca")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    authority = CardCA(made.authority.signer, made.authority.certificate,
                       publication=Publication.at(base, f"{base}/cps", NOTICE),
                       chain=made.authority.chain)
    workshop = CardWorkshop(authority, made.master_secret)
    api = make_api(tmp_path / "data", pki, monkeypatch, workshop)
    app = api.state.lifecycle
    passes = {name: identity_of(i.certificate).to_pass() for name, i in issued.items()}
    app.register_practice(URA, "Praktijk", "huisartsenpraktijk", passes["administrator"])
    app.ship_order(app.place_order(URA, 1, "k", passes["administrator"]), ["ZID000000601"],
                   Actor.system("fulfilment"))
    started = app.start_card_creation("ZID000000601", passes["holder"])
    keys = [rsa.generate_private_key(65537, 2048).public_key() for _ in range(3)]  # the chip's
    certificates = dict(zip(PURPOSES, workshop.certify(app, started.card_id, started.job_id,
                                                       *keys), strict=True))
    app.activate_card(started.card_id, started.job_id, Actor.system("reader-agent"))
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port,
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (tmp_path / "root.pem").write_bytes(authority.root.public_bytes(PEM))  # the RP's trust
    try:
        yield app, started.card_id, passes, certificates, authority, base, tmp_path
    finally:
        server.should_exit = True
        thread.join(10)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return bytes(answer.read())


def follow_pointers(certificate: x509.Certificate, tmp_path) -> tuple[str, str, str]:
    """What a relying party finds from the certificate alone: its issuer (AIA caIssuers,
    DER), the CRL (CDP, DER) and the OCSP URL; the first two saved as PEM."""
    access = {a.access_method: a.access_location.value for a in
              certificate.extensions.get_extension_for_class(
                  x509.AuthorityInformationAccess).value}
    issuer = x509.load_der_x509_certificate(fetch(access[AuthorityInformationAccessOID
                                                         .CA_ISSUERS]))
    [point] = certificate.extensions.get_extension_for_class(
        x509.CRLDistributionPoints).value
    crl = x509.load_der_x509_crl(fetch(point.full_name[0].value))
    issuer_file, crl_file = tmp_path / "issuer.pem", tmp_path / "crl.pem"
    issuer_file.write_bytes(issuer.public_bytes(PEM))
    crl_file.write_bytes(crl.public_bytes(PEM))
    return str(issuer_file), str(crl_file), access[AuthorityInformationAccessOID.OCSP]


def verify(tmp_path, certificate: x509.Certificate, purpose: str
           ) -> subprocess.CompletedProcess[str]:
    card = tmp_path / "card.pem"
    card.write_bytes(certificate.public_bytes(PEM))
    issuer, crl, _ = follow_pointers(certificate, tmp_path)
    return subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", purpose, "-crl_check",
         "-CAfile", str(tmp_path / "root.pem"), "-untrusted", issuer, "-CRLfile", crl,
         str(card)], capture_output=True, text=True, timeout=30, check=False)


def ask_ocsp(tmp_path, certificate: x509.Certificate) -> str:
    card = tmp_path / "card.pem"
    card.write_bytes(certificate.public_bytes(PEM))
    issuer, _, url = follow_pointers(certificate, tmp_path)
    asked = subprocess.run(["openssl", "ocsp", "-issuer", issuer, "-cert", str(card), "-url",
                            url, "-CAfile", str(tmp_path / "root.pem")],
                           capture_output=True, text=True, timeout=30, check=False)
    assert asked.returncode == 0, asked.stderr
    assert "Response verify OK" in asked.stdout + asked.stderr
    return asked.stdout


def test_each_certificate_verifies_for_its_purpose_with_the_crl_from_its_cdp(served):
    _, _, _, certificates, authority, base, tmp_path = served
    check_uzi_profile(certificates, authority.certificate, authority.root, authority.policies,
                      base, f"{base}/cps", NOTICE)
    for purpose, certificate in certificates.items():
        checked = verify(tmp_path, certificate, PURPOSES[purpose])
        assert checked.returncode == 0 and ": OK" in checked.stdout, \
            f"{purpose}: {checked.stdout}{checked.stderr}"
        assert f"{tmp_path / 'card.pem'}: good" in ask_ocsp(tmp_path, certificate)
    refused = verify(tmp_path, certificates["confidentiality"], "sslclient")
    assert refused.returncode != 0  # the purposes are not interchangeable


def test_after_a_revocation_the_cdp_and_ocsp_both_say_revoked(served):
    app, card_id, passes, certificates, _, _, tmp_path = served
    app.revoke_card(card_id, "loss_or_theft", passes["holder"])
    for purpose, certificate in certificates.items():
        checked = verify(tmp_path, certificate, PURPOSES[purpose])
        assert checked.returncode != 0 and "certificate revoked" in \
            checked.stdout + checked.stderr, purpose
        said = ask_ocsp(tmp_path, certificate)
        assert f"{tmp_path / 'card.pem'}: revoked" in said and "keyCompromise" in said
