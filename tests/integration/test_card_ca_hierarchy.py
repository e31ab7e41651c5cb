"""The card CA's hierarchy at the command line: `zorgid ca init` makes a root (its key
for offline storage) and the card CA under it, RSA by default; `zorgid ca import` takes
an issuing CA made elsewhere and refuses one that does not fit; a data directory from
before the hierarchy (one self-signed EC card CA) keeps working, and our login takes its
old two-certificate EC cards beside the new RSA ones."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from adapters.bootstrap import CardWorkshop, Settings, card_authority, init_data_dir
from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.pki.ca import CardCA, PemSigner, make_hierarchy
from adapters.pki.certificates import Holder, ca_certificate, ca_subject
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from adapters.pki.uzi import identity_of
from domain.identity import Actor

NOW = dt.datetime.now(dt.UTC)
PASSPHRASE = "a long enough passphrase"
PEM = serialization.Encoding.PEM
HOLDER = Holder("900020001", "N", "90000382", "00.000", "00000000", "Bea", "Assistent", "P")


@pytest.fixture
def run(monkeypatch):
    for name in ("ZORGID_DATA_DIR", "ZORGID_DATABASE_URL", "ZORGID_CA_PASSPHRASE",
                 "ZORGID_PKCS11_PIN"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env={"ZORGID_CA_PASSPHRASE": PASSPHRASE,
                                                        **(env or {})},
                                  catch_exceptions=False)

    return invoke


def one_line(result, code: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert code in result.output, result.output


def test_ca_init_makes_a_root_for_offline_storage_and_the_card_ca_under_it(run, tmp_path):
    data = tmp_path / "data"
    assert run("init", "--data-dir", str(data)).exit_code == 0
    made = run("ca", "init", "--data-dir", str(data))
    assert made.exit_code == 0, made.output
    ca = data / "ca"
    assert f"root CA's key written to {ca / 'offline' / 'root-ca.key'}" in made.output
    assert "move it to offline storage" in made.output
    root_key = ca / "offline" / "root-ca.key"
    assert b"ENCRYPTED PRIVATE KEY" in root_key.read_bytes()
    assert oct(root_key.stat().st_mode & 0o777) == "0o600"
    assert oct((ca / "offline").stat().st_mode & 0o777) == "0o700"
    root = x509.load_pem_x509_certificate((ca / "root-ca.pem").read_bytes())
    issuing = x509.load_pem_x509_certificate((ca / "card-ca.pem").read_bytes())
    assert x509.load_pem_x509_certificates((ca / "card-ca-chain.pem").read_bytes()) \
        == [issuing, root]
    issuing.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    for certificate, length in ((root, 1), (issuing, 0)):
        key = certificate.public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 4096
        assert certificate.signature_algorithm_oid == \
            x509.SignatureAlgorithmOID.RSA_WITH_SHA256
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and constraints.value.path_length == length
    assert root.not_valid_after_utc > issuing.not_valid_after_utc
    # the server runs with the card CA alone: the root's key may leave
    root_key.unlink()
    authority = card_authority(Settings(data_dir=data, ca_passphrase=PASSPHRASE))
    assert authority.root == root
    assert authority.crl([], NOW).is_signature_valid(issuing.public_key())


def test_ca_init_with_ec_keys_where_a_deployment_wants_them(run, tmp_path):
    data = tmp_path / "data"
    assert run("ca", "init", "--data-dir", str(data), "--key-type", "ec").exit_code == 0
    issuing = x509.load_pem_x509_certificate((data / "ca" / "card-ca.pem").read_bytes())
    assert isinstance(issuing.public_key(), ec.EllipticCurvePublicKey)


def test_ca_import_takes_an_issuing_ca_made_elsewhere(run, tmp_path):
    elsewhere = make_hierarchy(tmp_path / "elsewhere", PASSPHRASE.encode(), NOW,
                               name="Praktijkketen Card CA")
    files = tmp_path / "elsewhere"
    data = tmp_path / "data"
    imported = run("ca", "import", "--data-dir", str(data), "--certificate",
                   str(files / "card-ca.pem"), "--chain", str(files / "root-ca.pem"),
                   "--key", str(files / "card-ca.key"))
    assert imported.exit_code == 0, imported.output
    assert "Praktijkketen Card CA" in imported.output
    authority = card_authority(Settings(data_dir=data, ca_passphrase=PASSPHRASE))
    assert authority.certificate == elsewhere.authority.certificate
    assert authority.root == elsewhere.root
    [certificate, *_] = authority.issue(HOLDER, rsa.generate_private_key(65537, 2048)
                                        .public_key(), rsa.generate_private_key(65537, 2048)
                                        .public_key(), NOW, NOW + dt.timedelta(days=30))
    certificate.verify_directly_issued_by(elsewhere.authority.certificate)
    assert (data / "piv-master.key").exists()
    one_line(run("ca", "import", "--data-dir", str(data), "--certificate",
                 str(files / "card-ca.pem"), "--chain", str(files / "root-ca.pem"),
                 "--key", str(files / "card-ca.key")), "card_ca_exists")


def test_ca_import_refuses_what_does_not_fit_and_writes_nothing(run, tmp_path):
    make_hierarchy(tmp_path / "one", PASSPHRASE.encode(), NOW, key_type="ec")
    make_hierarchy(tmp_path / "two", PASSPHRASE.encode(), NOW, key_type="ec")
    one, two = tmp_path / "one", tmp_path / "two"
    data = tmp_path / "data"
    cases = [
        ((one / "card-ca.pem", one / "root-ca.pem", two / "card-ca.key"),
         "the key does not belong to the certificate"),
        ((one / "card-ca.pem", two / "root-ca.pem", one / "card-ca.key"), "is not signed by"),
        ((one / "card-ca.pem", one / "card-ca.pem", one / "card-ca.key"),
         "up to its self-signed root"),
    ]
    for (certificate, chain, key), message in cases:
        refused = run("ca", "import", "--data-dir", str(data), "--certificate",
                      str(certificate), "--chain", str(chain), "--key", str(key))
        one_line(refused, "ca_import_refused")
        assert message in refused.output
        assert not (data / "ca" / "card-ca.pem").exists()
    one_line(run("ca", "import", "--data-dir", str(data), "--certificate",
                 str(one / "card-ca.pem"), "--chain", str(one / "root-ca.pem"), "--key",
                 str(one / "card-ca.key"), env={"ZORGID_CA_PASSPHRASE": "another passphrase"}),
             "wrong_ca_passphrase")
    leaf_like = tmp_path / "leaf.pem"
    key = ec.generate_private_key(ec.SECP256R1())
    name = ca_subject("not a CA", "x")
    leaf_like.write_bytes(x509.CertificateBuilder().subject_name(name).issuer_name(name)
                          .public_key(key.public_key()).serial_number(7)
                          .not_valid_before(NOW).not_valid_after(NOW + dt.timedelta(days=1))
                          .sign(key, hashes.SHA256())
                          .public_bytes(PEM))
    one_line(run("ca", "import", "--data-dir", str(data), "--certificate", str(leaf_like),
                 "--chain", str(one / "root-ca.pem"), "--key", str(one / "card-ca.key")),
             "ca_import_refused")


def old_layout(directory) -> CardCA:
    """A card CA as data directories had it before the hierarchy: one self-signed P-384
    CA, its key in card-ca.key, no root, no chain file."""
    key = ec.generate_private_key(ec.SECP384R1())
    subject = ca_subject("ZORG-ID Card CA", "zorgid-cards")
    certificate = ca_certificate(subject, key.public_key(), subject, key,
                                 NOW - dt.timedelta(days=400), NOW + dt.timedelta(days=3000), 0)
    directory.mkdir(parents=True)
    PemSigner(key).save(directory / "card-ca.key", PASSPHRASE.encode())
    (directory / "card-ca.pem").write_bytes(certificate.public_bytes(PEM))
    return CardCA.load(directory, PASSPHRASE.encode())


def test_an_old_data_directory_keeps_its_ca_and_both_card_profiles_log_in(tmp_path):
    data = tmp_path / "data"
    settings = Settings(data_dir=data, ca_passphrase=PASSPHRASE,
                        trusted_proxies=frozenset({"testclient"}),
                        uzi_ca_oids=(("N", TEST_CA_OIDS["N"]), ("Z", TEST_CA_OIDS["Z"])))
    init_data_dir(settings)
    old = old_layout(settings.ca_dir)
    assert old.root == old.certificate and old.chain == ()
    workshop = CardWorkshop.open(settings)
    assert workshop is not None and workshop.certificate == old.certificate
    pki = UziTestHierarchy()
    api = create_app(settings, workshop=workshop, extra_anchors=[pki.root])
    app = api.state.lifecycle
    admin = identity_of(pki.issue_pass(Holder("900016528", "Z", "90000382", "01.015",
                                              "00000000", "Huib", "Arts", "P"),
                                       NOW - dt.timedelta(days=1),
                                       NOW + dt.timedelta(days=300)).certificate).to_pass()
    app.register_practice("90000382", "Praktijk", "huisartsenpraktijk", admin)
    app.ship_order(app.place_order("90000382", 2, "k", admin),
                   ["ZID000000701", "ZID000000702"], Actor.system("fulfilment"))
    client = TestClient(api)
    for serial, uzi, make_key, three in (
            ("ZID000000701", "900020001", lambda: ec.generate_private_key(ec.SECP256R1()),
             False),  # as cards were written before: EC keys, 9A and 9C
            ("ZID000000702", "900020002", lambda: rsa.generate_private_key(65537, 2048),
             True)):  # as they are now: RSA keys in 9A, 9C and 9D
        holder = identity_of(pki.issue_pass(
            Holder(uzi, "N", "90000382", "00.000", "00000000", "Bea", uzi, "P"),
            NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=300)).certificate).to_pass()
        started = app.start_card_creation(serial, holder)
        keys = [make_key().public_key() for _ in range(3 if three else 2)]
        certificates = workshop.certify(app, started.card_id, started.job_id, *keys)
        assert len(certificates) == len(keys)
        app.activate_card(started.card_id, started.job_id, Actor.system("reader-agent"))
        header = quote(b"".join(c.public_bytes(PEM) for c in (certificates[0],
                                                              old.certificate)).decode())
        me = client.get("/v1/me", headers={"X-SSL-Client-Cert": header})
        assert me.status_code == 200, me.text
        app.revoke_card(started.card_id, "loss_or_theft", holder)
        refused = client.get("/v1/me", headers={"X-SSL-Client-Cert": header})
        assert refused.status_code == 401 and refused.json()["code"] == "card_revoked"
    # signed by the card CA but never recorded (OCSP: unknown): no login either
    stray, _ = workshop.authority.issue(HOLDER, ec.generate_private_key(ec.SECP256R1())
                                        .public_key(), ec.generate_private_key(ec.SECP256R1())
                                        .public_key(), NOW, NOW + dt.timedelta(days=30))
    header = quote(b"".join(c.public_bytes(PEM) for c in (stray, old.certificate)).decode())
    unknown = client.get("/v1/me", headers={"X-SSL-Client-Cert": header})
    assert (unknown.status_code, unknown.json()["code"]) == (401, "card_certificate_unknown")
