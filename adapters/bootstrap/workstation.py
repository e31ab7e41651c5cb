"""The reader at a workstation: a card personalised here with the data directory's card
CA, a card personalised for a job of a remote API, and the virtual card for tests and
demos. Errors of the reader, the card and the API come out as `DomainError`s with the
codes the CLI prints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from adapters.bootstrap.card_ca import blank_card_key, card_authority
from adapters.bootstrap.logins import load_certificates, uzi_pass_validator
from adapters.bootstrap.store import open_lifecycle, read_master_secret
from adapters.reader.agent import Personalised, personalise
from adapters.reader.apdu import ApduConnection
from adapters.reader.pcsc import PcscTransport, ReaderError
from adapters.reader.personalise import MANAGEMENT_ALGORITHM, PersonalisationError
from adapters.reader.piv import PivSession
from adapters.reader.remote_agent import (
    RemoteError,
    RemoteResult,
    checked_card,
    open_job,
    write_job,
)
from adapters.reader.virtual_card import VirtualPivCard
from adapters.reader.vpcd import serve_vpcd
from adapters.settings import Settings
from domain.clock import Clock, SystemClock
from domain.errors import DomainError, InvalidValue, RuleViolation
from domain.identity import UziPass


def checked_uzi_pass(settings: Settings, certificate_file: Path, clock: Clock) -> UziPass:
    """The identity on the employee's UZI pass certificate (PEM, with its chain), refused
    unless it is a valid UZI-medewerkerspas op naam now."""
    leaf, *chain = load_certificates(certificate_file)
    verdict = uzi_pass_validator(settings).check(leaf, clock.now(), chain)
    if not verdict.valid or verdict.identity is None:
        raise RuleViolation(f"uzi_pass_{verdict.reason}",
                            f"your UZI pass is not accepted: {verdict.detail}")
    return verdict.identity.to_pass()


def _card_in(reader: str, timeout: float) -> PcscTransport:
    try:
        return PcscTransport.wait_for_card(reader, timeout)
    except ReaderError as error:
        raise DomainError("reader_error", str(error)) from None


def _failed(error: PersonalisationError) -> DomainError:
    if error.code != "personalisation_failed":  # the card said what is wrong with it
        return DomainError(error.code, f"at step {error.step}: {error.detail}")
    return DomainError("personalisation_failed", f"at step {error.step}: {error.detail}; "
                       "the card is still blank, try again")


def personalise_here(settings: Settings, reader: str, certificate_file: Path,
                     timeout: float, ask_pin_and_puk: Callable[[], tuple[str, str]],
                     clock: Clock | None = None) -> Personalised:
    """`zorgid cards personalise`: the employee's UZI pass checked, then the card in
    `reader` personalised with this data directory's card CA and master secret."""
    clock = clock or SystemClock()
    holder = checked_uzi_pass(settings, certificate_file, clock)
    authority = card_authority(settings)
    secret = read_master_secret(settings)
    pin, puk = ask_pin_and_puk()
    app = open_lifecycle(settings)
    try:
        app.get_practice(holder.ura)  # an unregistered practice: refused before the card
        transport = _card_in(reader, timeout)
        try:
            return personalise(app, transport, holder, secret, authority, pin, puk,
                               settings.card_key_type)
        except PersonalisationError as error:
            raise _failed(error) from None
        finally:
            transport.close()
    finally:
        app.close()


def personalise_for_job(api: str, job_id: UUID, token: str, reader: str, timeout: float,
                        ask_pin_and_puk: Callable[[], tuple[str, str]]) -> RemoteResult:
    """`zorgid reader-agent`: the card in `reader` personalised for a job of the API. The
    API, the job and the card are checked before PIN and PUK are asked."""
    with httpx.Client(base_url=api, timeout=60) as client:
        try:
            job = open_job(client, job_id, token)
        except RemoteError as error:
            raise DomainError(error.code, error.message) from None
        transport = _card_in(reader, timeout)
        try:
            piv = PivSession(ApduConnection(transport))
            identity = checked_card(client, job, token, piv)
            pin, puk = ask_pin_and_puk()
            return write_job(client, job, token, piv, identity, pin, puk)
        except RemoteError as error:
            raise DomainError(error.code, error.message) from None
        except PersonalisationError as error:
            raise _failed(error) from None
        finally:
            transport.close()


def serve_workstation(api: str, reader: str, port: int, name: str,
                      ready: Callable[[str], None]) -> None:
    """`zorgid workstation`: ZORG-ID Werkplek on 127.0.0.1:`port` until stopped."""
    import uvicorn

    from adapters.workstation.helper import Helper
    from adapters.workstation.readers import PcscReaders
    from adapters.workstation.web import create_helper_app

    helper = Helper(api, PcscReaders(), SystemClock(), name, reader)
    app = create_helper_app(helper, port)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    original = server.startup

    async def startup(sockets: Any = None) -> None:
        await original(sockets)
        ready(f"http://127.0.0.1:{port}/")

    server.startup = startup  # type: ignore[method-assign]
    server.run()


def virtual_card(settings: Settings, state: Path, serial: str | None,
                 chip_serial: int | None = None) -> VirtualPivCard:
    """The virtual card whose memory is `state`; a new blank one when the file does not
    exist: our supplier's (the blank management key of its serial), or with
    `chip_serial` a factory-fresh PIV card."""
    if state.exists():
        return VirtualPivCard.load(state)
    if chip_serial is not None:
        return VirtualPivCard.factory(state, chip_serial)
    if not serial:
        raise InvalidValue("serial_required", "a new blank card needs --serial")
    return VirtualPivCard.blank(state, serial, MANAGEMENT_ALGORITHM,
                                blank_card_key(settings, serial))


def serve_virtual_card(card: VirtualPivCard, port: int,
                       should_stop: Callable[[], bool]) -> None:
    """Put the card in pcscd's vpcd reader until `should_stop()`."""
    serve_vpcd(card, port=port, should_stop=should_stop)
