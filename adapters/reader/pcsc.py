"""PC/SC through pyscard: the only module that imports it.

List readers, choose one by a name filter (an Omnikey by default), wait for a card
with a timeout, and transmit. pyscard's exceptions become ours, with messages a
person at a workstation can act on.
"""

from __future__ import annotations

import contextlib
import logging

from smartcard.CardRequest import CardRequest
from smartcard.CardType import AnyCardType
from smartcard.Exceptions import (
    CardConnectionException,
    CardRequestTimeoutException,
    NoCardException,
)
from smartcard.pcsc.PCSCExceptions import EstablishContextException, ListReadersException
from smartcard.System import readers as pcsc_readers

log = logging.getLogger(__name__)

DEFAULT_READER_FILTER = "OMNIKEY"


class ReaderError(Exception):
    """Something between us and the card went wrong; the message says what to do."""

    step = "reader"


class PcscUnavailable(ReaderError):
    pass


class ReaderNotFound(ReaderError):
    pass


class NoCard(ReaderError):
    pass


class CardRemoved(ReaderError):
    step = "card_removed"


def list_readers() -> list[str]:
    try:
        return [str(reader) for reader in pcsc_readers()]
    except (EstablishContextException, ListReadersException) as error:
        raise PcscUnavailable(
            "the smart card service (pcscd) is not running; start it and try again"
        ) from error


def choose_reader(name_filter: str = DEFAULT_READER_FILTER) -> str:
    names = list_readers()
    matching = [name for name in names if name_filter.lower() in name.lower()]
    if not matching:
        found = ", ".join(names) or "none"
        raise ReaderNotFound(f"no card reader matching {name_filter!r} (readers found: {found})")
    return matching[0]


class PcscTransport:
    """The two-member transport over a PC/SC connection."""

    def __init__(self, reader: str, connection: object, service: object = None) -> None:
        self.reader = reader
        self._connection = connection
        self._service = service  # pyscard's card service disconnects when collected

    @classmethod
    def wait_for_card(cls, name_filter: str = DEFAULT_READER_FILTER,
                      timeout: float = 30.0) -> PcscTransport:
        reader = choose_reader(name_filter)
        target = next(r for r in pcsc_readers() if str(r) == reader)
        try:
            service = CardRequest(timeout=timeout, readers=[target],
                                  cardType=AnyCardType()).waitforcard()
            service.connection.connect()
        except CardRequestTimeoutException as error:
            raise NoCard(f"no card in {reader} after {timeout:.0f} s; insert a blank card")\
                from error
        except (NoCardException, CardConnectionException) as error:
            raise CardRemoved(f"the card in {reader} could not be reached; put it back in")\
                from error
        log.info("card connected in %s", reader)
        return cls(reader, service.connection, service)

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))  # type: ignore[attr-defined]
        except (NoCardException, CardConnectionException) as error:
            raise CardRemoved(f"the card was taken out of {self.reader}") from error
        return bytes(data), (sw1 << 8) | sw2

    def close(self) -> None:
        """Disconnect and release the PC/SC context now, not whenever Python collects it."""
        with contextlib.suppress(CardConnectionException):  # already gone: nothing to close
            self._connection.disconnect()  # type: ignore[attr-defined]
        with contextlib.suppress(CardConnectionException):
            self._connection.release()  # type: ignore[attr-defined]
