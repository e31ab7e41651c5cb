"""The reader stack through a real pcscd and the vpcd virtual reader."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import pytest

from adapters.reader.apdu import ApduConnection
from adapters.reader.piv import KeyAlgorithm, PivSession, Slot
from adapters.reader.virtual_card import VirtualPivCard
from adapters.reader.vpcd import serve_vpcd

KEY = bytes(range(16))


class RunningCard:
    """A virtual card in vpcd's first reader, on a thread; `pull()` takes it out."""

    def __init__(self, card: VirtualPivCard) -> None:
        self.card = card
        self.stop = threading.Event()
        self.socket: socket.socket | None = None
        self.thread = threading.Thread(
            target=serve_vpcd, args=(card,),
            kwargs={"should_stop": self.stop.is_set, "on_connect": self._connected},
            daemon=True)
        self.thread.start()

    def _connected(self, sock: socket.socket) -> None:
        self.socket = sock

    def pull(self) -> None:
        """Take the card out, and wait until pcscd has seen it go (its 400 ms poll)."""
        self.stop.set()
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        time.sleep(0.8)


@pytest.fixture
def inserted(pcscd, tmp_path: Path):
    card = VirtualPivCard.blank(tmp_path / "card.json", "ZID000000777", KeyAlgorithm.AES128, KEY)
    running = RunningCard(card)
    yield running
    running.pull()


def test_a_session_through_pcscd(pcscd, inserted):
    from adapters.reader.pcsc import PcscTransport, choose_reader

    assert choose_reader("virtual pcd 00 00") == pcscd
    transport = PcscTransport.wait_for_card(pcscd, timeout=15)
    try:
        piv = PivSession(ApduConnection(transport))
        piv.select()
        assert piv.read_serial() == "ZID000000777"
        piv.authenticate(KeyAlgorithm.AES128, KEY)
        piv.generate_key(Slot.AUTHENTICATION, KeyAlgorithm.RSA2048)
        piv.put_certificate(Slot.AUTHENTICATION, bytes(range(256)) * 4)
        assert piv.get_certificate(Slot.AUTHENTICATION) == bytes(range(256)) * 4
    finally:
        transport.close()


def test_no_matching_reader_and_no_card_are_clear_errors(pcscd):
    from adapters.reader.pcsc import NoCard, PcscTransport, ReaderNotFound

    with pytest.raises(ReaderNotFound) as missing:
        PcscTransport.wait_for_card("OMNIKEY", timeout=1)
    assert "Virtual PCD" in str(missing.value)
    with pytest.raises(NoCard):
        PcscTransport.wait_for_card("Virtual PCD 00 01", timeout=1)


def test_a_card_pulled_out_mid_session_is_reported_as_removed(pcscd, inserted):
    from adapters.reader.pcsc import CardRemoved, PcscTransport

    transport = PcscTransport.wait_for_card(pcscd, timeout=15)
    piv = PivSession(ApduConnection(transport))
    piv.select()
    inserted.pull()
    with pytest.raises(CardRemoved):
        piv.read_serial()
    transport.close()
