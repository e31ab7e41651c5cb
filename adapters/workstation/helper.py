"""ZORG-ID Werkplek, the employee's workstation helper: one card creation at a time,
from the pairing code the portal showed to the card written, checked at each step
before anything secret is asked.

    pair       the code typed in, exchanged once at the API for the job and its token
    check      the API answers, the job still runs and is this person's, a reader is
               there with the job's blank card in it: only then are PIN and PUK asked
    write      the card written (reading it, making the keys, writing the certificates,
               activating), each step shown as it begins
    done       "Uw ZORG-ID Smartcard is klaar. Geldig tot ..."

The same pairing code may name a PIN unblock the holder started in the portal: then the
check is that the holder's own card is in the reader, and the helper asks the PUK and a
new PIN, tells the card, and reports only the outcome (unblocked, or the PUK blocked as
well, which revokes the card). A PIN change and "check my card" need no code: the first
is between the helper and the card alone, the second asks the API about the card's
public authentication certificate.

The token lives in this object only: never in a URL, a log line or a command line. A
job left waiting longer than `idle` is given up and reported as failed, so the portal
says so too. PIN and PUK go from the helper's own page to the card and nowhere else."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from uuid import UUID

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from adapters.http.job_tokens import normal_code
from adapters.pki.uzi import identity_of
from adapters.reader.apdu import ApduConnection, Transport
from adapters.reader.personalise import (
    CardIdentity,
    PersonalisationError,
    identify,
    read_serial,
)
from adapters.reader.piv import PivError, PivSession, Slot, pad_pin
from adapters.reader.remote_agent import (
    RemoteError,
    check_card,
    checked_card,
    open_job,
    pulled_out,
    report_failure,
    taken_out,
    write_job,
)
from adapters.reader.status import Blocked, CardError, WrongPin
from domain.clock import Clock
from domain.errors import DomainError

log = logging.getLogger(__name__)
T = TypeVar("T")

# what the person sees, in order; the card's own steps map onto these
STEPS = ("read_card", "generate_key", "put_certificate", "activate")
STEP_OF = {"authenticate": "read_card", "generate_key": "generate_key",
           "issue_certificates": "put_certificate", "put_certificate": "put_certificate",
           "put_chuid": "put_certificate", "set_pin": "put_certificate",
           "activate": "activate"}
IDLE = dt.timedelta(minutes=10)


class Readers(Protocol):
    """The PC/SC side, as the helper needs it (pyscard in use, a fake in unit tests)."""

    def names(self) -> list[str]: ...

    def connect(self, name_filter: str, timeout: float) -> Transport: ...


class HelperError(Exception):
    """What went wrong, as a code for the texts and the detail for the log."""

    def __init__(self, code: str, detail: str = "", **values: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.values = values


@dataclass
class Session:
    job: dict[str, Any]
    token: str = field(repr=False)
    holder_name: str
    serial: str
    paired_at: dt.datetime
    kind: str = "personalisation"  # or pin_unblock
    state: str = "checking"  # checking, ready (PIN and PUK wanted), writing, done, failed
    outcome: str | None = None  # of a PIN unblock: unblocked or puk_blocked
    unreported: bool = False  # failed while the API was away: not yet told
    step: str | None = None
    error: HelperError | None = None
    ends_at: dt.datetime | None = None
    identity: CardIdentity | None = None


class Helper:
    def __init__(self, api: str, readers: Readers, clock: Clock, workstation: str,
                 reader_filter: str = "", idle: dt.timedelta = IDLE,
                 client: httpx.Client | None = None) -> None:
        self.api = api.rstrip("/")
        self.readers = readers
        self.clock = clock
        self.workstation = workstation
        self.reader_filter = reader_filter
        self.idle = idle
        self.client = client or httpx.Client(base_url=self.api, timeout=30)
        self.session: Session | None = None
        self._lock = threading.Lock()  # one job at a time, and one change at a time
        self._worker: threading.Thread | None = None

    # what the start page shows

    def reader_overview(self) -> list[dict[str, str]]:
        """Each reader and what is in it: a card's serial or chip, no card, or a card
        that is not a ZORG-ID blank card."""
        try:
            names = self.readers.names()
        except HelperError:
            return []
        overview = []
        for name in names:
            entry = {"name": name, "card": ""}
            try:
                transport = self.readers.connect(name, 0.3)
            except HelperError:
                overview.append(entry)
                continue
            try:
                found = identify(PivSession(ApduConnection(transport)))
                entry["card"] = found.serial or found.chip_id or ""
            except PersonalisationError:
                entry["card"] = "?"
            finally:
                _close(transport)
            overview.append(entry)
        return overview

    # pair, check

    def pair(self, code: str) -> Session:
        """Exchange the pairing code for the job, then check everything but the secrets."""
        with self._lock:
            self._expire()
            if self.session is not None and self.session.state in ("checking", "ready",
                                                                   "writing"):
                raise HelperError("helper_busy", "a card is being made here already")
            if normal_code(code) is None:
                raise HelperError("invalid_pairing_code")
            try:
                answer = self.client.post("/v1/pairings", json={
                    "code": code, "workstation": self.workstation})
            except httpx.TransportError:
                raise HelperError("api_unreachable", self.api) from None
            if answer.status_code != 200:
                raise HelperError(_code_of(answer), answer.text[:200])
            paired = answer.json()
            session = Session(job={"job_id": paired["job_id"]}, token=paired["job_token"],
                              holder_name=paired["holder_name"], serial=paired["serial"],
                              paired_at=self.clock.now(),
                              kind=paired.get("kind", "personalisation"))
            self.session = session
            self._check(session)
            return session

    def recheck(self) -> Session:
        with self._lock:
            session = self._current()
            if session.state not in ("checking", "ready"):
                return session
            self._check(session)
            return session

    def _check(self, session: Session) -> None:
        """API and job, then reader and card. A job that cannot run any more ends the
        session; a reader or card problem leaves it waiting for the person to fix it."""
        session.error = None
        if session.kind == "pin_unblock":
            self._check_own_card(session)
            return
        try:
            session.job = open_job(self.client, UUID(session.job["job_id"]), session.token)
        except RemoteError as error:
            if error.code == "api_unreachable":  # it may come back: check again then
                session.state, session.error = "checking", HelperError(error.code,
                                                                       error.message)
            else:
                self._give_up(session, HelperError("job_not_running", error.message))
            return
        identity = self._examine(session, lambda piv: check_card(piv, session.job),
                                 lambda error: HelperError(
                                     error.code if error.code != "personalisation_failed"
                                     else "card_unreadable", error.detail))
        if identity is None:
            return
        session.identity = identity
        session.state = "ready"

    # write

    def start(self, pin: str, pin_again: str, puk: str, puk_again: str,
              on_done: Callable[[], None] | None = None) -> Session:
        """PIN and PUK chosen (twice each): the card is checked once more and written
        in the background; `progress` then says how far it got."""
        with self._lock:
            self._expire()
            session = self._current()
            if session.state != "ready":
                raise HelperError("not_ready", session.state)
            _chosen(pin, pin_again, "pin")
            _chosen(puk, puk_again, "puk")
            if pin == puk:
                raise HelperError("pin_equals_puk")
            session.state, session.step = "writing", STEPS[0]
            self._worker = threading.Thread(target=self._write, name="zorgid-write",
                                            args=(session, pin, puk, on_done), daemon=True)
            self._worker.start()
            return session

    def _write(self, session: Session, pin: str, puk: str,
               on_done: Callable[[], None] | None) -> None:
        transport = None
        try:
            try:
                transport = self.readers.connect(self.reader_filter, 5.0)
            except HelperError as error:
                report_failure(self.client, session.job, session.token, "read_card",
                               error.detail or error.code)
                raise
            piv = PivSession(ApduConnection(transport))

            def progress(step: str) -> None:
                session.step = STEP_OF.get(step, session.step)

            identity = checked_card(self.client, session.job, session.token, piv)
            result = write_job(self.client, session.job, session.token, piv, identity,
                               pin, puk, progress)
            session.ends_at = result.expires_at
            session.state, session.step = "done", None
        except HelperError as error:
            error.values.setdefault("serial", session.serial)
            session.state, session.error = "failed", error
        except RemoteError as error:
            # the API went away mid-way, so it does not know yet: tell it when it is back
            session.unreported = error.code == "api_unreachable"
            session.state = "failed"
            session.error = HelperError("api_lost" if session.unreported else error.code,
                                        error.message)
        except PersonalisationError as error:
            session.state = "failed"
            code = "card_removed" if pulled_out(error) else (
                error.code if error.code != "personalisation_failed" else "write_failed")
            session.error = HelperError(code, f"{error.step}: {error.detail}",
                                        serial=session.serial)
        except Exception as error:  # the person gets a message, not a hang
            log.exception("writing the card failed")
            session.state = "failed"
            session.error = HelperError("write_failed", type(error).__name__)
        finally:
            if transport is not None:
                _close(transport)
            if on_done is not None:
                on_done()

    # PIN services

    def _check_own_card(self, session: Session) -> None:
        """For a PIN unblock: the holder's own card (the serial the portal named) is in
        the reader. The pairing has just shown that the API answers."""
        serial = self._examine(session, read_serial, _card_trouble)
        if serial is None:
            return
        if serial != session.serial:
            session.state = "checking"
            session.error = HelperError("wrong_own_card", serial, serial=session.serial)
            return
        session.state = "ready"

    def unblock(self, puk: str, pin: str, pin_again: str) -> Session:
        """R16: the PUK and a new PIN to the card (RESET RETRY COUNTER), then only the
        outcome to the API. A wrong PUK with tries left leaves the session ready; a
        blocked PUK ends the card, and the API revokes it as puk_blocked."""
        with self._lock:
            self._expire()
            session = self._current()
            if session.kind != "pin_unblock" or session.state != "ready":
                raise HelperError("not_ready", session.state)
            _chosen(pin, pin_again, "pin")
            _well_formed(puk, "puk")
            try:
                with self._card(2.0) as piv:
                    if read_serial(piv) != session.serial:
                        raise HelperError("wrong_own_card", serial=session.serial)
                    piv.reset_retry_counter(puk, pin)
                outcome = "unblocked"
            except WrongPin as refused:
                if refused.tries_left > 0:
                    raise HelperError("wrong_puk", tries=str(refused.tries_left)) from None
                outcome = "puk_blocked"
            except Blocked:
                outcome = "puk_blocked"
            except PersonalisationError as error:
                raise _card_trouble(error) from None
            try:
                answer = self.client.post(
                    f"/v1/pin-services/{session.job['job_id']}/result",
                    json={"outcome": outcome},
                    headers={"Authorization": f"Bearer {session.token}"})
                refusal = None if answer.status_code == 204 else _code_of(answer)
            except httpx.TransportError:
                refusal = "api_unreachable"
            session.outcome = outcome
            if refusal is None:
                session.state = "done"
            else:  # the card has its new PIN (or is blocked for good); the record is missing
                session.state = "failed"
                session.error = HelperError(f"{outcome}_not_recorded", refusal)
            return session

    def change_pin(self, old: str, new: str, new_again: str) -> None:
        """A PIN change, between the helper and the card alone (nothing is recorded)."""
        _well_formed(old, "pin")
        _chosen(new, new_again, "pin")
        if old == new:
            raise HelperError("pin_unchanged")
        with self._lock:
            self._not_writing()
            try:
                with self._card(1.0) as piv:
                    read_serial(piv)
                    piv.change_pin(old, new)
            except WrongPin as refused:
                if refused.tries_left > 0:
                    raise HelperError("wrong_pin", tries=str(refused.tries_left)) from None
                raise HelperError("pin_blocked") from None
            except Blocked:
                raise HelperError("pin_blocked") from None
            except PersonalisationError as error:
                raise _card_trouble(error) from None

    def inspect(self) -> dict[str, Any]:
        """Check my card: which card is in the reader, whose it is, its status in the
        store and the days until it ends. A blank card says so; the store's answer is
        asked with the card's public authentication certificate."""
        with self._lock:
            self._not_writing()
            try:
                with self._card(1.0) as piv:
                    found = identify(piv)
                    if found.serial is None or not piv.has_certificate(Slot.AUTHENTICATION):
                        return {"serial": found.serial or found.chip_id, "blank": True}
                    der = piv.get_certificate(Slot.AUTHENTICATION)
            except PersonalisationError as error:
                raise _card_trouble(error) from None
            except (CardError, PivError) as error:
                raise HelperError("card_unreadable", str(error)) from None
        try:
            certificate = x509.load_der_x509_certificate(der)
            identity = identity_of(certificate)
        except (ValueError, DomainError):
            raise HelperError("not_a_zorgid_card", "its certificate cannot be read") from None
        facts: dict[str, Any] = {"serial": found.serial, "blank": False,
                                 "holder_name": identity.name,
                                 "uzi_number": identity.uzi_number}
        try:
            answer = self.client.post("/v1/card-checks", json={
                "certificate": certificate.public_bytes(Encoding.PEM).decode()})
        except httpx.TransportError:
            raise HelperError("api_unreachable_check", self.api) from None
        if answer.status_code != 200:
            raise HelperError(_code_of(answer), answer.text[:200])
        checked = answer.json()
        facts.update({key: checked.get(key) for key in (
            "status", "days_left", "revocation_reason", "suspension_reason", "card_id")})
        facts["expires_at"] = dt.datetime.fromisoformat(checked["expires_at"]) \
            if checked.get("expires_at") else None
        return facts

    def _examine(self, session: Session, look: Callable[[PivSession], T],
                 trouble: Callable[[PersonalisationError], HelperError]) -> T | None:
        """`look` at the card in the reader before anything secret is asked; a reader or
        card problem leaves the session checking, with what to do (None then)."""
        try:
            with self._card(1.0) as piv:
                return look(piv)
        except (HelperError, PersonalisationError) as error:
            problem = error if isinstance(error, HelperError) else trouble(error)
            problem.values.setdefault("serial", session.serial)
            session.state, session.error = "checking", problem
            return None

    def _not_writing(self) -> None:
        if self.session is not None and self.session.state == "writing":
            raise HelperError("helper_busy", "a card is being written here")

    @contextlib.contextmanager
    def _card(self, timeout: float) -> Iterator[PivSession]:
        """The card in the reader, its PIV application selected; the reader's troubles
        (no reader, no card, card pulled out) as the helper's codes."""
        transport = self.readers.connect(self.reader_filter, timeout)
        try:
            piv = PivSession(ApduConnection(transport))
            try:
                yield piv
            except (CardError, PivError, PersonalisationError, HelperError):
                raise
            except Exception as error:
                if taken_out(error):
                    raise HelperError("card_removed_service", str(error)) from None
                raise
        finally:
            _close(transport)

    def wait(self, timeout: float = 120.0) -> None:
        """Until the background write has ended (for tests and for a clean exit)."""
        if self._worker is not None:
            self._worker.join(timeout)

    # the rest

    def forget(self) -> None:
        """Back to the start page, once a job has ended; a running one stays. A failure
        the API could not be told of is told now (if it answers), so the blank card can
        be started again at once rather than after the job's timeout."""
        with self._lock:
            session = self.session
            if session is None or session.state not in ("done", "failed"):
                return
            if session.unreported and session.kind == "personalisation":
                report_failure(self.client, session.job, session.token, "api_unreachable",
                               "the ZORG-ID server did not answer while the card was written")
            self.session = None

    def current(self) -> Session | None:
        with self._lock:
            self._expire()
            return self.session

    def _current(self) -> Session:
        if self.session is None:
            raise HelperError("no_job")
        return self.session

    def _give_up(self, session: Session, error: HelperError) -> None:
        session.state, session.error = "failed", error

    def _expire(self) -> None:
        session = self.session
        if session is None or session.state not in ("checking", "ready"):
            return
        if self.clock.now() - session.paired_at > self.idle:
            report_failure(self.client, session.job, session.token, "choose_pin",
                           "nothing happened at the workstation in time")
            self._give_up(session, HelperError("job_idle"))


def _code_of(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code", "api_error"))
    except ValueError:
        return "api_error"


def _card_trouble(error: PersonalisationError) -> HelperError:
    """A card that could not be read as a ZORG-ID card: pulled out, or not one of ours."""
    if pulled_out(error):
        return HelperError("card_removed_service", error.detail)
    return HelperError("not_a_zorgid_card", error.detail)


def _well_formed(secret: str, what: str) -> None:
    """A PIN or PUK of 6 to 8 digits (`pin_rules`, `puk_rules`)."""
    try:
        pad_pin(secret)
    except ValueError:
        raise HelperError(f"{what}_rules") from None


def _chosen(secret: str, again: str, what: str) -> None:
    """A new PIN or PUK, well formed and typed the same twice (`pin_mismatch`, ...)."""
    _well_formed(secret, what)
    if secret != again:
        raise HelperError(f"{what}_mismatch")


def _close(transport: Transport) -> None:
    close = getattr(transport, "close", None)
    if close is not None:
        close()
