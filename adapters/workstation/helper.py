"""ZORG-ID Werkplek, the employee's workstation helper: one card creation at a time,
from the pairing code the portal showed to the card written, checked at each step
before anything secret is asked.

    pair       the code typed in, exchanged once at the API for the job and its token
    check      the API answers, the job still runs and is this person's, a reader is
               there with the job's blank card in it: only then are PIN and PUK asked
    write      the card written (reading it, making the keys, writing the certificates,
               activating), each step shown as it begins
    done       "Uw ZORG-ID Smartcard is klaar. Geldig tot ..."

The token lives in this object only: never in a URL, a log line or a command line. A
job left waiting longer than `idle` is given up and reported as failed, so the portal
says so too. PIN and PUK go from the helper's own page to the card and nowhere else."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import httpx

from adapters.reader.apdu import ApduConnection, Transport
from adapters.reader.personalise import CardIdentity, PersonalisationError, identify
from adapters.reader.piv import PivSession, pad_pin
from adapters.reader.remote_agent import (
    RemoteError,
    check_card,
    checked_card,
    open_job,
    report_failure,
    write_job,
)
from domain.clock import Clock

log = logging.getLogger(__name__)

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
    state: str = "checking"  # checking, ready (PIN and PUK wanted), writing, done, failed
    step: str | None = None
    error: HelperError | None = None
    reader: str | None = None
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
                              paired_at=self.clock.now())
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
        try:
            session.job = open_job(self.client, UUID(session.job["job_id"]), session.token)
        except RemoteError as error:
            self._give_up(session, HelperError(
                "api_unreachable" if error.code == "api_unreachable" else "job_not_running",
                error.message))
            return
        transport = None
        try:
            transport = self.readers.connect(self.reader_filter, 1.0)
            session.reader = getattr(transport, "reader", self.reader_filter)
            session.identity = check_card(PivSession(ApduConnection(transport)), session.job)
        except HelperError as error:
            error.values.setdefault("serial", session.serial)
            session.state, session.error = "checking", error
            return
        except PersonalisationError as error:
            session.state = "checking"
            session.error = HelperError(error.code if error.code != "personalisation_failed"
                                        else "card_unreadable", error.detail,
                                        serial=session.serial)
            return
        finally:
            if transport is not None:
                _close(transport)
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
            for first, second, what in ((pin, pin_again, "pin"), (puk, puk_again, "puk")):
                try:
                    pad_pin(first)
                except ValueError:
                    raise HelperError(f"{what}_rules") from None
                if first != second:
                    raise HelperError(f"{what}_mismatch")
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
            session.state = "failed"
            session.error = HelperError(error.code, error.message)
        except PersonalisationError as error:
            session.state = "failed"
            code = "card_removed" if _pulled_out(error) else (
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

    def wait(self, timeout: float = 120.0) -> None:
        """Until the background write has ended (for tests and for a clean exit)."""
        if self._worker is not None:
            self._worker.join(timeout)

    # the rest

    def forget(self) -> None:
        """Back to the start page, once a job has ended; a running one stays."""
        with self._lock:
            if self.session is not None and self.session.state in ("done", "failed"):
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


def _pulled_out(error: PersonalisationError) -> bool:
    cause = error.__cause__
    return cause is not None and type(cause).__name__ in ("CardRemoved", "NoCard")


def _close(transport: Transport) -> None:
    close = getattr(transport, "close", None)
    if close is not None:
        close()
