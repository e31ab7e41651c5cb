"""The card CA's key in a PKCS #11 token (SoftHSM2, made by scripts/softhsm-token.sh):
`zorgid ca init --pkcs11-module` makes it there, never extractable; every later process
opens it with the PIN from the environment and signs certificates, CRLs and OCSP
answers in the token; no file holds it. Each step is its own process, as a restart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
ROOT = Path(__file__).resolve().parents[2]
PIN = "31415926"
PASSPHRASE = "the root's offline passphrase"

pytestmark = pytest.mark.skipif(not Path(MODULE).exists() or not shutil.which("pkcs11-tool"),
                                reason="SoftHSM2 and OpenSC: scripts/setup.sh --test")


@pytest.fixture
def token(tmp_path):
    env = {**os.environ, "ZORGID_PKCS11_PIN": PIN}
    made = subprocess.run([str(ROOT / "scripts" / "softhsm-token.sh"), str(tmp_path / "hsm"),
                           "zorgid-test"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    env["SOFTHSM2_CONF"] = str(tmp_path / "hsm" / "softhsm2.conf")
    env["ZORGID_CA_PASSPHRASE"] = PASSPHRASE
    env["ZORGID_PUBLIC_URL"] = "http://zorgid.test"
    return env, tmp_path / "data"


def zorgid(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def python(env, data: Path, code: str) -> subprocess.CompletedProcess[str]:
    """A new process that opens the data directory's card CA as a server would."""
    prelude = textwrap.dedent(f"""
        import datetime as dt, sys
        from adapters.bootstrap import Settings, CardWorkshop, card_authority
        settings = Settings.from_env({str(data)!r})
        now = dt.datetime.now(dt.UTC)
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_key_is_made_in_the_token_and_never_leaves_it(token):
    env, data = token
    assert zorgid(env, "init", "--data-dir", str(data)).returncode == 0
    made = zorgid(env, "ca", "init", "--data-dir", str(data), "--pkcs11-module", MODULE,
                  "--token-label", "zorgid-test", "--key-label", "card-ca")
    assert made.returncode == 0, made.stderr
    assert "in token 'zorgid-test'" in made.stdout and "offline" in made.stdout
    ca_dir = data / "ca"
    assert not (ca_dir / "card-ca.key").exists()
    assert json.loads((ca_dir / "card-ca-pkcs11.json").read_text()) == {
        "module": MODULE, "token_label": "zorgid-test", "key_label": "card-ca"}
    # no file in the data directory holds a private key but the offline root's
    holding = [p for p in data.rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert holding == [ca_dir / "offline" / "root-ca.key"]
    assert PIN not in "".join(p.read_text(errors="ignore") for p in data.rglob("*")
                              if p.is_file())

    # what the token says of the key, asked by OpenSC's tool (not ours)
    listed = subprocess.run(["pkcs11-tool", "--module", MODULE, "--token-label", "zorgid-test",
                             "--login", "--pin", "env:ZORGID_PKCS11_PIN", "-O"], env=env,
                            capture_output=True, text=True, timeout=30, check=False)
    private = listed.stdout.split("Private Key Object")[1]
    assert "sensitive" in private and "never extractable" in private
    assert "decrypt" not in private.split("Access")[0]  # it signs, nothing else
    # and by PKCS #11 itself, in a new process
    asked = python(env, data, """
        from adapters.pki.hsm import Pkcs11Signer, TokenKey
        signer = Pkcs11Signer.open(TokenKey.read(settings.ca_dir / "card-ca-pkcs11.json"),
                                   settings.pkcs11_pin)
        print(signer.attributes())
    """)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip() == \
        "{'sensitive': True, 'extractable': False, 'never_extractable': True}"
    # an export attempt is refused by the token
    exported = python(env, data, """
        import pkcs11
        from pkcs11 import Attribute, ObjectClass
        from adapters.pki.hsm import TokenKey, open_session
        where = TokenKey.read(settings.ca_dir / "card-ca-pkcs11.json")
        key = open_session(where, settings.pkcs11_pin).get_key(
            object_class=ObjectClass.PRIVATE_KEY, label=where.key_label)
        try:
            key[Attribute.PRIVATE_EXPONENT]
        except pkcs11.PKCS11Error as error:
            print("refused", type(error).__name__)
    """)
    assert exported.stdout.startswith("refused"), exported.stdout + exported.stderr

    certificate = x509.load_pem_x509_certificate((ca_dir / "card-ca.pem").read_bytes())
    root = x509.load_pem_x509_certificate((ca_dir / "root-ca.pem").read_bytes())
    certificate.verify_directly_issued_by(root)
    assert isinstance(certificate.public_key(), rsa.RSAPublicKey)
    assert certificate.public_key().key_size == 4096


def test_after_a_restart_the_token_signs_certificates_crls_and_ocsp_answers(token, tmp_path):
    env, data = token
    assert zorgid(env, "init", "--data-dir", str(data)).returncode == 0
    assert zorgid(env, "ca", "init", "--data-dir", str(data), "--pkcs11-module", MODULE,
                  "--token-label", "zorgid-test").returncode == 0
    ca_dir = data / "ca"
    issuing = x509.load_pem_x509_certificate((ca_dir / "card-ca.pem").read_bytes())

    crl_file = tmp_path / "cards.crl"
    published = zorgid(env, "ca", "crl", "--data-dir", str(data), "--out", str(crl_file))
    assert published.returncode == 0, published.stderr
    crl = x509.load_der_x509_crl(crl_file.read_bytes())
    assert crl.is_signature_valid(issuing.public_key())
    assert crl.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256

    key = rsa.generate_private_key(65537, 2048)
    (tmp_path / "key.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    signed = python(env, data, f"""
        from cryptography.hazmat.primitives import serialization
        from adapters.pki.certificates import Holder
        key = serialization.load_pem_public_key(open({str(tmp_path / 'key.pem')!r},
                                                      'rb').read())
        holder = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea",
                        "Assistent", "Praktijk")
        certificate = card_authority(settings).issue(holder, key, key, now,
                                                     now + dt.timedelta(days=30))[0]
        sys.stdout.write(certificate.public_bytes(serialization.Encoding.PEM).decode())
    """)
    assert signed.returncode == 0, signed.stderr
    card = x509.load_pem_x509_certificate(signed.stdout.encode())
    card.verify_directly_issued_by(issuing)
    (tmp_path / "card.pem").write_bytes(card.public_bytes(serialization.Encoding.PEM))
    verified = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile",
         str(ca_dir / "root-ca.pem"), "-untrusted", str(ca_dir / "card-ca.pem"),
         str(tmp_path / "card.pem")], capture_output=True, text=True, timeout=30, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    request = ocsp.OCSPRequestBuilder().add_certificate(card, issuing, hashes.SHA1()).build()
    (tmp_path / "request.der").write_bytes(request.public_bytes(serialization.Encoding.DER))
    answered = python(env, data, f"""
        from adapters.pki.ocsp import Status
        workshop = CardWorkshop.open(settings)
        der = workshop.ocsp(open({str(tmp_path / 'request.der')!r}, 'rb').read(),
                            lambda serial: Status("good"), now)
        open({str(tmp_path / 'response.der')!r}, 'wb').write(der)
    """)
    assert answered.returncode == 0, answered.stderr
    checked = subprocess.run(
        ["openssl", "ocsp", "-respin", str(tmp_path / "response.der"), "-issuer",
         str(ca_dir / "card-ca.pem"), "-cert", str(tmp_path / "card.pem"), "-CAfile",
         str(ca_dir / "root-ca.pem"), "-no_nonce", "-resp_text"],
        capture_output=True, text=True, timeout=30, check=False)
    assert f"{tmp_path / 'card.pem'}: good" in checked.stdout, checked.stdout + checked.stderr
    assert "Response verify OK" in checked.stdout + checked.stderr
    response = ocsp.load_der_ocsp_response((tmp_path / "response.der").read_bytes())
    assert response.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256


def test_a_wrong_or_missing_pin_and_a_taken_label_are_one_line_each(token):
    env, data = token
    assert zorgid(env, "init", "--data-dir", str(data)).returncode == 0
    assert zorgid(env, "ca", "init", "--data-dir", str(data), "--pkcs11-module", MODULE,
                  "--token-label", "zorgid-test").returncode == 0
    for changed, code in (({"ZORGID_PKCS11_PIN": "00000000"}, "pkcs11_pin_incorrect"),
                          ({"ZORGID_PKCS11_PIN": ""}, "pkcs11_pin_missing")):
        refused = zorgid({**env, **changed}, "ca", "crl", "--data-dir", str(data), "--out",
                         str(data / "x.crl"))
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and code in refused.stderr
        assert "00000000" not in refused.stderr
    again = zorgid(env, "ca", "init", "--data-dir", str(data.parent / "other"),
                   "--pkcs11-module", MODULE, "--token-label", "zorgid-test")
    assert again.returncode != 0 and "pkcs11_key_exists" in again.stderr
    assert not (data.parent / "other" / "ca" / "card-ca.pem").exists()
