"""A real nginx terminates TLS in front of `zorgid serve`, verifies client certificates
and forwards them; curl plays the browser with a UZI pass certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.bootstrap import Settings, init_data_dir, open_lifecycle
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from adapters.pki.uzi import identity_of
from domain.identity import Actor
from tests.conftest import free_port, missing
from tests.support import certificates_for, wait_for_health, zorgid_command

ROOT = Path(__file__).resolve().parents[2]
URA = "90000382"
NOW = dt.datetime.now(dt.UTC)
PEM = serialization.Encoding.PEM


def server_certificate(directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - dt.timedelta(days=1))
                   .not_valid_after(NOW + dt.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(certificate.public_bytes(PEM))
    key_path.write_bytes(key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def client_files(directory, name, issued) -> tuple[str, str]:
    cert = directory / f"{name}.pem"
    cert.write_bytes(b"".join(c.public_bytes(PEM) for c in [issued.certificate, *issued.chain]))
    key = directory / f"{name}.key"
    key.write_bytes(issued.key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return str(cert), str(key)


def curl(url, files, server_cert, method="GET", body=None) -> tuple[int, str]:
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", server_cert,
               "-X", method, url]
    if files:
        command += ["--cert", files[0], "--key", files[1]]
    if body is not None:
        command += ["-H", "Content-Type: application/json", "--data", body]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    text, _, status = result.stdout.rpartition("\n")
    return int(status or 0), text


@pytest.fixture
def stack(tmp_path):
    if not shutil.which("nginx") or not shutil.which("curl"):
        missing("nginx and curl are needed: scripts/setup.sh --test installs them")
    pki = UziTestHierarchy()
    people = {name: pki.issue_pass(Holder(uzi, kind, URA, "01.015" if kind == "Z" else "00.000",
                                          "00000000", name, "Test", "Praktijk"),
                                   NOW - dt.timedelta(days=9), NOW + dt.timedelta(days=99))
              for name, uzi, kind in (("admin", "900016528", "Z"),
                                      ("employee", "900020001", "N"),
                                      ("holder", "900020002", "N"))}
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    init_data_dir(settings)
    app = open_lifecycle(settings)
    passes = {n: identity_of(i.certificate).to_pass() for n, i in people.items()}
    app.register_practice(URA, "Praktijk", "huisartsenpraktijk", passes["admin"])
    app.ship_order(app.place_order(URA, 2, "k", passes["admin"]),
                   ["ZID000000101", "ZID000000102"], Actor.system("fulfilment"))
    started = app.start_card_creation("ZID000000102", passes["holder"])
    certs, not_before = certificates_for(app, started.card_id)
    app.record_certificates_issued(started.card_id, started.job_id, certs, not_before,
                                   Actor.system("card-ca"))
    app.activate_card(started.card_id, started.job_id, Actor.system("reader-agent"))
    app.close()

    bundle = tmp_path / "uzi-cas.pem"
    bundle.write_bytes(b"".join(c.public_bytes(PEM) for c in [pki.root, *pki.intermediates]))
    server_cert, server_key = server_certificate(tmp_path)
    app_port, tls_port = free_port(), free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")},
           "ZORGID_TRUST_ANCHORS": str(bundle), "ZORGID_TRUSTED_PROXIES": "127.0.0.2",
           "ZORGID_UZI_CA_OIDS": f"N={TEST_CA_OIDS['N']},Z={TEST_CA_OIDS['Z']}"}
    server = subprocess.Popen([*zorgid_command(), "serve", "--data-dir", str(data), "--port",
                               str(app_port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    conf = tmp_path / "nginx.conf"
    site = (ROOT / "deploy" / "nginx" / "zorgid.conf").read_text()  # the shipped block
    for shipped, here in (("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;"),
                          ("/etc/zorgid/tls/server.pem", server_cert),
                          ("/etc/zorgid/tls/server.key", server_key),
                          ("/etc/zorgid/client-cas.pem", str(bundle)),
                          ("proxy_pass http://127.0.0.1:8000;",
                           f"proxy_pass http://127.0.0.1:{app_port}; proxy_bind 127.0.0.2;")):
        assert shipped in site, shipped
        site = site.replace(shipped, here)
    conf.write_text(f"""
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp_path}/body;
  proxy_temp_path {tmp_path}/proxy;
{site}
}}
""")
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_health(f"http://127.0.0.1:{app_port}", server, 30)
    time.sleep(0.3)
    assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
    files = {name: client_files(tmp_path, name, issued) for name, issued in people.items()}
    yield {"base": f"https://127.0.0.1:{tls_port}", "direct": f"http://127.0.0.1:{app_port}",
           "files": files, "server_cert": server_cert, "card": str(started.card_id),
           "pki": pki, "tmp": tmp_path, "people": people}
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(10)
    server.send_signal(signal.SIGTERM)
    server.wait(15)


def test_through_nginx_with_client_certificates(stack):
    base, files, cert = stack["base"], stack["files"], stack["server_cert"]
    status, body = curl(f"{base}/v1/me", files["employee"], cert)
    assert status == 200 and '"uzi_number":"900020001"' in body
    status, body = curl(f"{base}/v1/cards", files["employee"], cert, "POST",
                        '{"card_serial": "ZID000000101"}')
    assert status == 201 and "job_token" in body
    status, body = curl(f"{base}/v1/cards/{stack['card']}/revocation", files["admin"], cert,
                        "POST", '{"reason": "loss_or_theft"}')
    assert status == 204, body
    status, body = curl(f"{base}/v1/cards/{stack['card']}", files["admin"], cert)
    assert status == 200 and '"status":"revoked"' in body

    stranger = UziTestHierarchy().issue_pass(
        Holder("900099999", "N", URA, "00.000", "00000000", "X", "Y", "Z"),
        NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9))
    status, _ = curl(f"{base}/v1/me", client_files(stack["tmp"], "stranger", stranger), cert)
    assert status == 400  # nginx refuses a certificate from an untrusted CA
    status, _ = curl(f"{base}/v1/me", None, cert)
    assert status == 400  # and one without a certificate

    from urllib.parse import quote

    forged = quote(b"".join(c.public_bytes(PEM) for c in [
        stack["people"]["admin"].certificate]).decode())
    direct = httpx.get(f"{stack['direct']}/v1/me", headers={"X-SSL-Client-Cert": forged})
    assert (direct.status_code, direct.json()["code"]) == (401, "untrusted_proxy")
    # claiming to be the proxy in X-Forwarded-For changes nothing: the peer address counts
    claimed = httpx.get(f"{stack['direct']}/v1/me", headers={
        "X-SSL-Client-Cert": forged, "X-Forwarded-For": "127.0.0.2"})
    assert (claimed.status_code, claimed.json()["code"]) == (401, "untrusted_proxy")
