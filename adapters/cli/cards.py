"""Card writing at a workstation: the card CA, personalisation, and the virtual card."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from adapters.bootstrap import (
    card_authority,
    create_card_ca,
    create_master_secret,
    export_supplier_secret,
    import_card_ca,
    open_lifecycle,
    open_views_db,
    write_crl,
)
from adapters.cli.options import Stopper, data_dir_option, settings_for
from domain.clock import SystemClock
from domain.errors import DomainError, InvalidValue
from projections.certificates import crl_entries
from projections.runner import ApplicationSource, Projector


@click.group()
def ca() -> None:
    """The card CA: its key, and the revocation list.

    \b
    Example:
      ZORGID_CA_PASSPHRASE=... zorgid ca init --data-dir ./data
    """


def pkcs11_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--pkcs11-module", type=click.Path(dir_okay=False, exists=True),
                     help="The PKCS #11 module of the HSM (SoftHSM2: "
                          "/usr/lib/softhsm/libsofthsm2.so); the token's user PIN comes "
                          "from $ZORGID_PKCS11_PIN."),
        click.option("--token-label", help="The token's label (with --pkcs11-module)."),
        click.option("--key-label", default="zorgid-card-ca", show_default=True,
                     help="The label of the card CA's key pair in the token."),
    )):
        f = option(f)
    return f


def token_of(module: str | None, token_label: str | None,
             key_label: str) -> tuple[str, str, str] | None:
    if module is None:
        if token_label is not None:
            raise click.UsageError("--token-label needs --pkcs11-module")
        return None
    if not token_label:
        raise click.UsageError("--pkcs11-module needs --token-label")
    return module, token_label, key_label


@ca.command("init")
@data_dir_option
@click.option("--key-type", type=click.Choice(["rsa", "ec"]), default="rsa",
              show_default=True, help="The CA keys: RSA-4096 (as the UZI CAs) or P-384.")
@pkcs11_options
def ca_init(data_dir: Path, key_type: str, pkcs11_module: str | None,
            token_label: str | None, key_label: str) -> None:
    """Create the card CA and the cards' master secret, unless they exist.

    The card CA is made under a root of its own: the root's key (encrypted with
    $ZORGID_CA_PASSPHRASE) is written to ca/offline/ and is needed again only to certify
    a new card CA, so move it to offline storage. The card CA's key is encrypted with
    the same passphrase, or, with --pkcs11-module, made in the HSM's token, where it
    cannot be extracted. Relying parties trust ca/root-ca.pem.

    \b
    Examples:
      ZORGID_CA_PASSPHRASE=... zorgid ca init --data-dir ./data
      ZORGID_CA_PASSPHRASE=... ZORGID_PKCS11_PIN=... zorgid ca init --data-dir ./data \\
          --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token-label zorgid
    """
    settings = settings_for(data_dir)
    made = create_card_ca(settings, SystemClock().now(), key_type,
                          token_of(pkcs11_module, token_label, key_label))
    if made is None:
        click.echo(f"card CA already in {settings.ca_dir}; kept")
    else:
        where = f"in token {token_label!r}" if pkcs11_module else f"in {settings.ca_dir}"
        click.echo(f"card CA created, its key {where}")
        click.echo(f"root CA's key written to {made.root_key_file}: move it to offline "
                   "storage; this server does not need it")
    if create_master_secret(settings.master_key_path):
        click.echo(f"master secret created at {settings.master_key_path} (mode 0600)")


@ca.command("import")
@data_dir_option
@click.option("--certificate", "certificate_file", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The issuing CA's certificate (PEM or DER).")
@click.option("--chain", "chain_file", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The CAs above it, up to the self-signed root (PEM).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, exists=True,
                                                   path_type=Path),
              help="Its private key: PEM, encrypted with $ZORGID_CA_PASSPHRASE.")
@pkcs11_options
def ca_import(data_dir: Path, certificate_file: Path, chain_file: Path, key_file: Path | None,
              pkcs11_module: str | None, token_label: str | None, key_label: str) -> None:
    """Make an issuing CA created elsewhere the card CA (with the master secret).

    Its key is a PEM file encrypted with $ZORGID_CA_PASSPHRASE, or a key pair the HSM's
    token already holds (--pkcs11-module, --token-label, --key-label).

    \b
    Example:
      ZORGID_CA_PASSPHRASE=... zorgid ca import --data-dir ./data \\
          --certificate issuing.pem --chain root.pem --key issuing.key
    """
    settings = settings_for(data_dir)
    authority = import_card_ca(settings, certificate_file, chain_file, key_file,
                               token_of(pkcs11_module, token_label, key_label),
                               SystemClock().now())
    click.echo(f"card CA {authority.certificate.subject.rfc4514_string()} imported into "
               f"{settings.ca_dir}")
    if create_master_secret(settings.master_key_path):
        click.echo(f"master secret created at {settings.master_key_path} (mode 0600)")


@ca.command("supplier-secret")
@data_dir_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="New file for the secret (mode 0600); give it to the card supplier.")
def ca_supplier_secret(data_dir: Path, out: Path) -> None:
    """Write the secret the card supplier sets blank cards' management keys from.

    It is derived one way from the master secret: it opens blank cards, never a
    personalised one. Send it to the supplier over a protected channel.

    \b
    Example:
      zorgid ca supplier-secret --data-dir ./data --out supplier.key
    """
    if not export_supplier_secret(settings_for(data_dir), out):
        raise InvalidValue("file_exists", f"{out} exists; not overwritten")
    click.echo(f"supplier secret written to {out} (mode 0600)")


@ca.command("crl")
@data_dir_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the CRL (DER).")
@click.option("--follow", is_flag=True,
              help="Keep going: write a new CRL whenever a card's status changes "
                   "(and at least every 12 hours).")
@click.option("--poll", type=click.FloatRange(min=0.05), default=1.0, show_default=True)
def ca_crl(data_dir: Path, out: Path, follow: bool, poll: float) -> None:
    """Bring the views up to date and write the CRL: revoked cards, and suspended ones on hold.

    \b
    Example:
      zorgid ca crl --data-dir ./data --out /srv/www/zorgid.crl --follow
    """
    settings = settings_for(data_dir)
    authority = card_authority(settings)
    app = open_lifecycle(settings)
    db = open_views_db(settings)
    stopping = Stopper()
    published: list[tuple[str, str, str]] | None = None
    written_at = 0.0
    try:
        while True:
            Projector(db).run_until_caught_up(ApplicationSource(app))
            now = app.clock.now()
            rows = crl_entries(db, now)
            current = [(r["serial_number"], r["status"], r["since"]) for r in rows]
            if current != published or time.monotonic() - written_at > 12 * 3600:
                write_crl(authority, rows, now, out)
                published, written_at = current, time.monotonic()
                click.echo(f"CRL with {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} "
                           f"written to {out}")
            if not follow or stopping():
                break
            time.sleep(poll)
    finally:
        app.close()
        db.conn.close()


def reader_part(name: str) -> Any:
    """A part of the workstation's reader side; without pyscard (or httpx) one line
    says what to install, instead of a traceback."""
    try:
        import adapters.bootstrap.workstation as workstation
    except ImportError as error:
        missing = (error.name or "").split(".")[0]
        raise DomainError("reader_software_missing", (
            f"the card reader part is not installed ({missing} is missing); install it with: "
            "pipx install 'zorgid-cards[workstation]' (on Debian/Ubuntu first: sudo apt "
            "install pcscd)")) from None
    return getattr(workstation, name)


@click.command("workstation")
@click.option("--api", envvar="ZORGID_API", required=True, show_envvar=True,
              help="The ZORG-ID server's address (https://zorgid.example).")
@click.option("--reader", default="", help="Part of the reader's name (default: any).")
@click.option("--port", type=click.IntRange(1024, 65535), default=8765, show_default=True)
@click.option("--name", default=None, help="What this workstation is called in the portal "
                                           "(default: its host name).")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Open the helper's page in the web browser.")
def workstation(api: str, reader: str, port: int, name: str | None, browser: bool) -> None:
    """ZORG-ID Werkplek: make your card at this computer, with the pairing code the
    portal shows. Its page is at http://127.0.0.1:PORT/, on this computer only.

    \b
    Example:
      zorgid workstation --api https://zorgid.example
    """
    import socket
    import webbrowser

    serve = reader_part("serve_workstation")

    def ready(url: str) -> None:
        click.echo(f"ZORG-ID Werkplek: {url}  (stoppen: Ctrl+C)")
        if browser:
            webbrowser.open(url)

    serve(api, reader, port, (name or socket.gethostname())[:64], ready)


def read_secrets(pin_fd: int | None) -> tuple[str, str]:
    """PIN and PUK: from a file descriptor (two lines), or asked at the prompt, hidden."""
    if pin_fd is not None:
        with os.fdopen(pin_fd, "r", closefd=False) as handle:
            lines = handle.read().splitlines()
        if len(lines) < 2:
            raise InvalidValue("pin_input", "give the PIN and the PUK on two lines")
        return lines[0].strip(), lines[1].strip()
    pin = click.prompt("Kies een pincode (6 tot 8 cijfers)", hide_input=True,
                       confirmation_prompt="Herhaal de pincode")
    puk = click.prompt("Kies een PUK (6 tot 8 cijfers)", hide_input=True,
                       confirmation_prompt="Herhaal de PUK")
    return pin, puk


@click.group()
def cards() -> None:
    """Cards at the workstation.

    \b
    Example:
      zorgid cards personalise --data-dir ./data --reader OMNIKEY --uzi-cert pass.pem
    """


@cards.command()
@data_dir_option
@click.option("--reader", default="OMNIKEY", show_default=True,
              help="Part of the reader's name.")
@click.option("--uzi-cert", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              required=True, help="The employee's UZI pass certificate (PEM, with its chain).")
@click.option("--pin-fd", type=int, default=None,
              help="Read PIN and PUK (two lines) from this file descriptor instead of asking.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds to wait for a card.")
def personalise(data_dir: Path, reader: str, uzi_cert: Path, pin_fd: int | None,
                timeout: float) -> None:
    """Create your own ZORG-ID card: put a blank card in the reader.

    \b
    Example:
      zorgid cards personalise --data-dir ./data --reader OMNIKEY --uzi-cert pass.pem
    """
    personalise_here = reader_part("personalise_here")

    result = personalise_here(settings_for(data_dir), reader, uzi_cert, timeout,
                              lambda: read_secrets(pin_fd))
    click.echo(f"card {result.serial} is active until {result.expires_at.date().isoformat()}"
               + ("" if result.sealed else " (warning: not sealed; put it back in and ask "
                  "support)"))


@click.command("virtual-card")
@data_dir_option
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The card's memory; created blank when it does not exist.")
@click.option("--serial", default=None, help="Serial of a new blank card.")
@click.option("--chip-serial", type=click.IntRange(min=1, max=2**32 - 1), default=None,
              help="Instead: a new factory-fresh PIV card (default 3DES management key, no "
                   "ZORG-ID serial) whose chip reports this serial.")
@click.option("--port", type=int, default=35963, show_default=True,
              help="vpcd's port (35963 is 'Virtual PCD 00 00').")
def virtual_card(data_dir: Path, state: Path, serial: str | None, chip_serial: int | None,
                 port: int) -> None:
    """Run a PIV virtual blank card in pcscd's vpcd reader until stopped.

    \b
    Example:
      zorgid virtual-card --data-dir ./data --state card.json --serial ZID000000001
      zorgid virtual-card --state factory.json --chip-serial 12345678
    """
    from adapters.bootstrap.workstation import serve_virtual_card
    from adapters.bootstrap.workstation import virtual_card as open_card

    card = open_card(settings_for(data_dir), state, serial, chip_serial)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"card {card.state.serial} in the reader on port {port}", err=True)
    with contextlib.suppress(KeyboardInterrupt):  # SIGTERM or Ctrl-C: the card is pulled out
        serve_virtual_card(card, port, lambda: stopping)



@click.command("reader-agent")
@click.option("--api", required=True, help="Base URL of the zorgid API.")
@click.option("--job", "job_id", required=True, help="The job id from POST /v1/cards.")
@click.option("--token", envvar="ZORGID_JOB_TOKEN", required=True, show_envvar=True,
              help="The job's bearer token.")
@click.option("--reader", default="OMNIKEY", show_default=True,
              help="Part of the reader's name.")
@click.option("--pin-fd", type=int, default=None,
              help="Read PIN and PUK (two lines) from this file descriptor instead of asking.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True)
def reader_agent(api: str, job_id: str, token: str, reader: str, pin_fd: int | None,
                 timeout: float) -> None:
    """Personalise the card of one job through the API, at a remote workstation.

    \b
    Example:
      zorgid reader-agent --api https://zorgid.example --job JOB --token TOKEN --reader OMNIKEY
    """
    from uuid import UUID

    personalise_for_job = reader_part("personalise_for_job")

    try:
        job = UUID(job_id)
    except ValueError:
        raise InvalidValue("invalid_job_id", f"{job_id!r} is not a job id") from None
    result = personalise_for_job(api, job, token, reader, timeout,
                                 lambda: read_secrets(pin_fd))
    click.echo(f"card {result.serial} is active"
               + ("" if result.sealed else " (warning: not sealed; ask support)"))
