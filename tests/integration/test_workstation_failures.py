"""ZORG-ID Werkplek when things go wrong, through a real pcscd with the vpcd reader and a
real API server (uvicorn): no reader, no card, the wrong card, the card pulled out after
every few APDUs, the API stopped before and during the writing, and a job left idle.
Each ends with the Dutch message that says what to do, the job's state in the store (and
so in the portal) saying the same, and a card that can be tried again: the last attempt
of each test writes it."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from adapters.http.job_tokens import pairing_code
from adapters.reader.piv import KeyAlgorithm
from adapters.reader.virtual_card import VirtualPivCard
from adapters.reader.vpcd import serve_vpcd
from adapters.workstation.helper import Helper, HelperError
from adapters.workstation.texts import problem
from domain.clock import ManualClock, SystemClock
from projections import jobs
from tests.conftest import free_port
from tests.integration.http_world import build_world, make_identities

PIN, PUK = "482915", "73920184"
SERIAL = "ZID000000005"  # the world's blank card with a job in progress
OTHER_SERIAL = "ZID000000002"  # another blank card of the practice


class Card:
    """A virtual card in vpcd's reader on a thread. `pull_after(n)` takes it out while it
    answers its n-th command APDU from then on, as a hand would."""

    def __init__(self, card: VirtualPivCard) -> None:
        self.card = card
        self.atr = card.atr
        self.count, self.limit = 0, None
        self.stop = threading.Event()
        self.socket: socket.socket | None = None
        self.on_apdu = None
        self.thread = threading.Thread(target=serve_vpcd, args=(self,), kwargs={
            "should_stop": self.stop.is_set, "on_connect": self._connected}, daemon=True)
        self.thread.start()
        time.sleep(0.8)  # pcscd's poll sees it

    def _connected(self, sock: socket.socket) -> None:
        self.socket = sock

    def power_on(self) -> None:
        self.card.power_on()

    def process(self, raw: bytes) -> bytes:
        self.count += 1
        if self.on_apdu is not None:
            self.on_apdu(self.count)
        if self.limit is not None and self.count >= self.limit:
            self._out()
        return self.card.process(raw)

    def pull_after(self, apdus: int) -> None:
        self.count, self.limit = 0, apdus

    def _out(self) -> None:
        self.stop.set()
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)

    def pull(self) -> None:
        self._out()
        self.thread.join(5)
        time.sleep(0.8)


class Api:
    """The world's API under uvicorn on a port of its own, stoppable and startable."""

    def __init__(self, app) -> None:
        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(self.app, port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/healthz").status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError("the API did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def identities(tmp_path_factory):
    return make_identities(tmp_path_factory.mktemp("card-ca"))


@pytest.fixture
def world(identities, tmp_path, pcscd):
    api, _, values, monkey = build_world(identities, tmp_path / "data")
    # the world's HTTP tests trust the test client as the proxy; here the helper calls in
    server = Api(api)
    yield api, server, values, pcscd, identities[1]["job_holder"]
    server.stop()
    monkey.undo()


def blank(world, tmp_path: Path, serial: str = SERIAL) -> VirtualPivCard:
    api = world[0]
    key, _ = api.state.workshop.keys(serial, 16)
    return VirtualPivCard.blank(tmp_path / f"{serial}.json", serial, KeyAlgorithm.AES128, key)


def new_code(world) -> str:
    """The holder starts the card creation again (as in the portal): its pairing code."""
    from adapters.pki.uzi import identity_of

    api, holder = world[0], world[4]
    started = api.state.lifecycle.start_card_creation(
        SERIAL, identity_of(holder.certificate).to_pass())
    return pairing_code(api.state.job_secret, started.job_id)


def job_row(api, serial: str = SERIAL) -> dict:
    card = api.state.lifecycle.get_card_by_serial(serial)
    with api.state.views.current() as db:
        rows = list(db.query("SELECT job_id FROM personalisation_jobs WHERE card_id = ? "
                             "ORDER BY started_at DESC LIMIT 1", [str(card.id)]))
        return jobs.job(db, rows[0]["job_id"])


def helper_for(world, reader: str | None = None, clock=None, **options) -> Helper:
    from adapters.workstation.readers import PcscReaders

    _, server, _, pcscd, _ = world
    return Helper(server.url, PcscReaders(), clock or SystemClock(), "balie-pc",
                  reader_filter=pcscd if reader is None else reader, **options)


def said(code: str, **values: str) -> str:
    return problem("nl", code, **values)


def write(helper: Helper) -> None:
    helper.start(PIN, PIN, PUK, PUK)
    helper.wait(120)


def test_no_reader_no_card_and_the_wrong_card_are_said_before_any_secret(world, tmp_path):
    api, _, values, *_ = world
    helper = helper_for(world, reader="OMNIKEY")
    session = helper.pair(values["pairing_code"])
    assert (session.state, session.error.code) == ("checking", "no_reader")
    assert problem("nl", "no_reader").startswith("Er is geen kaartlezer gevonden.")
    helper.reader_filter = world[3]  # the reader plugged in
    session = helper.recheck()
    assert session.error.code == "no_card"
    assert said("no_card", serial=SERIAL).startswith(
        f"Er zit geen kaart in de kaartlezer. Steek blanco kaart {SERIAL}")
    wrong = Card(blank(world, tmp_path, OTHER_SERIAL))
    try:
        session = helper.recheck()
        assert (session.state, session.error.code) == ("checking", "wrong_card")
    finally:
        wrong.pull()
    assert job_row(api)["status"] == "started"  # nothing failed: the job waits
    right = Card(blank(world, tmp_path))
    try:
        assert helper.recheck().state == "ready"
        write(helper)
        assert helper.current().state == "done", helper.current().error
    finally:
        right.pull()
    assert job_row(api)["status"] == "activated"


def test_a_card_pulled_out_after_every_few_apdus_stays_blank_and_is_written_at_last(
        world, tmp_path):
    api, _, values, *_ = world
    card = blank(world, tmp_path)
    code = values["pairing_code"]
    cut, written, cuts = 2, False, []
    while not written:
        inserted = Card(card)
        helper = helper_for(world)
        try:
            assert helper.pair(code).state == "ready"
            inserted.pull_after(cut)
            write(helper)
            session = helper.current()
        finally:
            inserted.pull()
        if session.state == "done":  # pulled only after the store had it active
            written = True
            break
        assert (session.state, session.error.code) == ("failed", "card_removed"), (
            cut, session.error)
        row = job_row(api)
        assert (row["status"], row["step"]) == ("failed", "card_removed"), cut
        assert api.state.lifecycle.get_card_by_serial(SERIAL).status.value == "blank"
        helper.forget()
        cuts.append(cut)
        code = new_code(world)
        cut += 3
    assert len(cuts) >= 6, cuts  # cut short at many points before it got through
    assert api.state.lifecycle.get_card_by_serial(SERIAL).status.value == "active"


def test_the_api_stopped_before_and_during_the_writing(world, tmp_path):
    api, server, values, *_ = world
    inserted = Card(blank(world, tmp_path))
    try:
        helper = helper_for(world)
        assert helper.pair(values["pairing_code"]).state == "ready"
        server.stop()
        session = helper.recheck()
        assert (session.state, session.error.code) == ("checking", "api_unreachable")
        assert said("api_unreachable").startswith("De ZORG-ID-server is niet bereikbaar.")
        server.start()
        assert helper.recheck().state == "ready"

        # now it goes away while the card is written (before the certificates)
        def away(count: int) -> None:
            if count == 3:
                inserted.on_apdu = None
                threading.Thread(target=server.stop).start()

        inserted.on_apdu = away
        inserted.count = 0
        write(helper)
        session = helper.current()
        assert (session.state, session.error.code) == ("failed", "api_lost")
        server.start()
        helper.forget()  # the helper tells the API now that it answers again
        row = job_row(api)
        assert (row["status"], row["step"]) == ("failed", "api_unreachable")
        assert api.state.lifecycle.get_card_by_serial(SERIAL).status.value == "blank"
        helper.pair(new_code(world))
        write(helper)
        assert helper.current().state == "done", helper.current().error
    finally:
        inserted.pull()


def test_a_job_left_idle_is_given_up_and_the_portal_says_so(world, tmp_path):
    api, _, values, *_ = world
    clock = ManualClock(dt.datetime.now(dt.UTC))
    inserted = Card(blank(world, tmp_path))
    try:
        helper = helper_for(world, clock=clock)
        assert helper.pair(values["pairing_code"]).state == "ready"
        clock.advance(dt.timedelta(minutes=11))
        session = helper.current()
        assert (session.state, session.error.code) == ("failed", "job_idle")
        with pytest.raises(HelperError) as refused:
            helper.start(PIN, PIN, PUK, PUK)
        assert refused.value.code == "not_ready"
        row = job_row(api)
        assert (row["status"], row["step"]) == ("failed", "choose_pin")
        helper.forget()
        helper.pair(new_code(world))
        write(helper)
        assert helper.current().state == "done", helper.current().error
    finally:
        inserted.pull()
