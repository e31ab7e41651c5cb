"""The vpcd wire protocol (vsmartcard's virtual reader driver for pcscd): a card served
over TCP to a real pcscd, which then shows it in its "Virtual PCD" reader. Each message
is a two-byte length and a payload: one control byte (power off, power on, reset, ATR)
or a command APDU, answered by a response APDU."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from typing import Protocol

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class Chip(Protocol):
    atr: bytes

    def power_on(self) -> None: ...

    def process(self, raw: bytes) -> bytes: ...


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        # vpcd sends length and payload in two writes; without QUICKACK, Nagle and
        # delayed ACK stall every APDU by about 40 ms. The option is not sticky.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        data += chunk
    return bytes(data)


def serve_vpcd(card: Chip, host: str = "127.0.0.1", port: int = 35963,
               should_stop: Callable[[], bool] = lambda: False,
               connect_timeout: float = 30.0,
               on_connect: Callable[[socket.socket], object] | None = None) -> None:
    """Be the card in vpcd's reader until vpcd goes away or `should_stop()`.

    `on_connect(sock)` receives the socket: shutting it down pulls the card out."""
    deadline = time.monotonic() + connect_timeout
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline or should_stop():
                raise
            time.sleep(0.1)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if on_connect is not None:
        on_connect(sock)
    with sock:
        while not should_stop():
            try:
                (length,) = struct.unpack(">H", _receive_exactly(sock, 2))
                payload = _receive_exactly(sock, length)
            except OSError:  # vpcd went away, or the card was pulled out
                return
            if length == 1:
                control = payload[0]
                if control in (POWER_ON, RESET, POWER_OFF):
                    card.power_on()
                elif control == GET_ATR:
                    sock.sendall(struct.pack(">H", len(card.atr)) + card.atr)
                continue
            response = card.process(payload)
            try:
                sock.sendall(struct.pack(">H", len(response)) + response)
            except OSError:  # pulled out while it answered
                return
