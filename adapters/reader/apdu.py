"""Command and response APDUs (ISO 7816-4 section 5.1): short and extended length,
command chaining, and GET RESPONSE for 61xx. Pure: no card, no pyscard."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from adapters.reader.status import SW, CardError, check

log = logging.getLogger(__name__)

CHAINING = 0x10  # CLA bit: more command data follows (ISO 7816-4 5.1.1.1)
INS_GET_RESPONSE = 0xC0
SECRET_INS = {0x20, 0x24, 0x2C, 0xFF}  # VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER,
# and SET MANAGEMENT KEY (its data is the new key)


class ApduFormatError(ValueError):
    pass


@dataclass(frozen=True)
class CommandApdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # expected length; 0 < le <= 65536, None for none

    def encode(self, extended: bool | None = None) -> bytes:
        long_data = len(self.data) > 255
        long_le = self.le is not None and self.le > 256
        if extended is None:
            extended = long_data or long_le
        if not extended and (long_data or long_le):
            raise ApduFormatError("too long for a short APDU")
        if len(self.data) > 65535 or (self.le is not None and not 0 < self.le <= 65536):
            raise ApduFormatError("data or Le out of range")
        out = bytearray([self.cla, self.ins, self.p1, self.p2])
        if extended:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                le = b"\x00\x00" if self.le == 65536 else self.le.to_bytes(2, "big")
                out += le if self.data else b"\x00" + le
        else:
            if self.data:
                out += bytes([len(self.data)]) + self.data
            if self.le is not None:
                out.append(0 if self.le == 256 else self.le)
        return bytes(out)

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Cases 1, 2, 3 and 4 in short and extended form (ISO 7816-4 5.1)."""
        if len(raw) < 4:
            raise ApduFormatError("a command APDU has at least 4 bytes")
        head, body = raw[:4], raw[4:]
        cla, ins, p1, p2 = head
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] != 0:  # short
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:1 + lc]), body[-1] or 256)
            raise ApduFormatError("Lc does not match the data")
        if len(body) == 3:  # extended case 2
            return cls(cla, ins, p1, p2, le=int.from_bytes(body[1:], "big") or 65536)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ApduFormatError("extended Lc of zero")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]))
        if len(body) == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or 65536
            return cls(cla, ins, p1, p2, bytes(body[3:3 + lc]), le)
        raise ApduFormatError("extended Lc does not match the data")

    def chained(self, size: int = 255) -> list[CommandApdu]:
        """Split into short commands: all but the last with the chaining bit set."""
        if len(self.data) <= size:
            return [self]
        parts = [self.data[i:i + size] for i in range(0, len(self.data), size)]
        chain = [CommandApdu(self.cla | CHAINING, self.ins, self.p1, self.p2, part)
                 for part in parts[:-1]]
        return [*chain, CommandApdu(self.cla, self.ins, self.p1, self.p2, parts[-1], self.le)]


@dataclass(frozen=True)
class ResponseApdu:
    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise ApduFormatError("a response APDU has at least the two status bytes")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")


class Transport(Protocol):
    """The seam to a card: two members wide."""

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]: ...

    def close(self) -> None: ...


def describe(apdu: CommandApdu) -> str:
    """For DEBUG logs: secrets (PIN, PUK) masked."""
    data = "*" * 8 if apdu.ins in SECRET_INS and apdu.data else apdu.data.hex()
    return f"{apdu.cla:02X} {apdu.ins:02X} {apdu.p1:02X} {apdu.p2:02X} [{data}]"


class ApduConnection:
    """Sends commands over a transport: short APDUs with chaining (what every reader and
    card take), gathers 61xx responses with GET RESPONSE, and raises on errors."""

    def __init__(self, transport: Transport, chain_size: int = 255) -> None:
        self.transport = transport
        self.chain_size = chain_size
        self.apdus = 0
        self.bytes = 0

    def _exchange(self, apdu: CommandApdu) -> tuple[bytes, int]:
        raw = apdu.encode()
        log.debug("> %s", describe(apdu))
        data, sw = self.transport.send_and_receive(raw)
        log.debug("< %04X %d bytes", sw, len(data))
        self.apdus += 1
        self.bytes += len(raw) + len(data) + 2
        return data, sw

    def send(self, apdu: CommandApdu) -> bytes:
        *leading, last = apdu.chained(self.chain_size)
        for part in leading:
            _, sw = self._exchange(part)
            check(sw)
        data, sw = self._exchange(last)
        gathered = bytearray(data)
        while sw & 0xFF00 == SW.BYTES_REMAINING:
            remaining = sw & 0xFF or 256
            data, sw = self._exchange(CommandApdu(0x00, INS_GET_RESPONSE, 0, 0, le=remaining))
            gathered += data
        if sw & 0xFF00 == SW.WRONG_LE:
            raise CardError(sw, "the card wants another expected length")
        check(sw)
        return bytes(gathered)
