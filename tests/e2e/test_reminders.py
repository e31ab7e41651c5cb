"""R17 as the mail reaches people: cards that end in 80 days, their holders and the
practice's administrator with an e-mail address, and `zorgid notify` run against a real
SMTP server (aiosmtpd) that wants STARTTLS and a login. The server kills the job with
SIGKILL right after it has taken the third message; the next run sends the rest, a third
run sends nothing, and every reminder arrived exactly once, in Dutch, with the date and
the portal's address."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import subprocess
import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support import URA_A, create_card, uzi_pass, zorgid_command

PASSWORD = "s3cret-smtp-password"


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                  critical=True)
                   .sign(key, hashes.SHA256()))
    cert, key_file = directory / "mail.pem", directory / "mail.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert, key_file


class Mailbox:
    """What arrived; `kill_after(n, process)` SIGKILLs the sender once it took the n-th."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()
        self.kill: tuple[int, subprocess.Popen] | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it so
        assert session.authenticated and session.ssl is not None
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            if self.kill is not None and len(self.messages) == self.kill[0]:
                os.kill(self.kill[1].pid, signal.SIGKILL)
        return "250 OK"


def build_store(data_dir: Path, start: dt.datetime) -> None:
    from adapters.bootstrap import Settings, init_data_dir, open_lifecycle
    from domain.clock import ManualClock
    from domain.identity import Actor

    settings = Settings(data_dir=data_dir)
    init_data_dir(settings)
    app = open_lifecycle(settings, ManualClock(start))
    since = start - dt.timedelta(days=1)
    admin = uzi_pass("900016528", "Z", URA_A, name=("Huib", "Arts"), valid_from=since)
    app.register_practice(URA_A, "Huisartsenpraktijk Noord", "huisartsenpraktijk", admin)
    serials = [f"ZID0000001{i:02d}" for i in range(3)]
    app.ship_order(app.place_order(URA_A, 3, "k", admin), serials, Actor.system("fulfilment"))
    app.set_email("huib@praktijk-noord.example", admin)
    for index, serial in enumerate(serials):
        holder = uzi_pass(f"90002000{index + 1}", "N", URA_A,
                          name=("Bea", f"Assistent {index + 1}"), valid_from=since)
        create_card(app, serial, holder)
        app.set_email(f"bea{index + 1}@praktijk-noord.example", holder)
    app.close()


def test_each_reminder_arrives_once_across_a_sigkill_of_the_sending_job(tmp_path):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    import ssl

    from aiosmtpd.smtp import AuthResult

    from adapters.bootstrap import Settings, open_lifecycle

    now = dt.datetime.now(dt.UTC)
    # made 3 years less 80 days ago: each card ends in 80 days, its 90-day reminder is due
    start = now.replace(year=now.year - 3) + dt.timedelta(days=80)
    data = tmp_path / "data"
    build_store(data, start)
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def login(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"zorgid"
                          and auth_data.password == PASSWORD.encode())

    mailbox, port = Mailbox(), free_port()
    controller = aiosmtpd.Controller(mailbox, hostname="127.0.0.1", port=port,
                                     tls_context=context, require_starttls=True,
                                     auth_required=True, authenticator=login)
    controller.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    env.update({"ZORGID_SMTP_URL": f"smtp://zorgid@127.0.0.1:{port}?starttls=required",
                "ZORGID_SMTP_PASSWORD": PASSWORD, "ZORGID_SMTP_CA_FILE": str(cert),
                "ZORGID_PUBLIC_URL": "https://zorgid.example"})
    command = [*zorgid_command(), "notify", "--data-dir", str(data)]
    try:
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        mailbox.kill = (3, first)
        assert PASSWORD not in " ".join(first.args)
        out, err = first.communicate(timeout=120)
        assert first.returncode == -signal.SIGKILL, (out, err)
        mailbox.kill = None
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert second.stdout.startswith("3 reminder(s) sent"), second.stdout
        assert "unconfirmed" in second.stderr  # the one the kill cut short, not sent again
        third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert third.stdout.startswith("0 reminder(s) sent"), third.stdout
    finally:
        controller.stop()
    arrived = [(str(m["To"]), str(m["Subject"])) for m in mailbox.messages]
    assert len(arrived) == 6 and len(set(arrived)) == 6, arrived  # 3 cards x 2 people, once
    ends = now + dt.timedelta(days=80)
    holder = next(m for m in mailbox.messages if str(m["To"]) == "bea1@praktijk-noord.example")
    body = holder.get_content()
    assert str(holder["Subject"]).startswith("Uw ZORG-ID Smartcard verloopt op ")
    assert str(ends.year) in str(holder["Subject"])
    assert "nog 80 dagen" in body and "https://zorgid.example/portal" in body
    managers = [m for m in mailbox.messages if str(m["To"]) == "huib@praktijk-noord.example"]
    assert len(managers) == 3
    assert all("(URA 90000382)" in m.get_content() for m in managers)
    app = open_lifecycle(Settings(data_dir=data))
    kinds = [e.type for e in app.read_log()]
    app.close()
    assert kinds.count("Person.ReminderSending") == 6
    assert kinds.count("Person.ReminderSent") == 5  # the sixth arrived; the kill came first
