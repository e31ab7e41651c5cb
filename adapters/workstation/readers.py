"""The helper's readers through PC/SC (pyscard): its errors as the helper's codes."""

from __future__ import annotations

from adapters.reader.pcsc import (
    CardRemoved,
    NoCard,
    PcscTransport,
    PcscUnavailable,
    ReaderError,
    ReaderNotFound,
    list_readers,
)
from adapters.workstation.helper import HelperError

CODES: dict[type[ReaderError], str] = {PcscUnavailable: "pcsc_unavailable",
                                       ReaderNotFound: "no_reader", NoCard: "no_card",
                                       CardRemoved: "card_removed"}


class PcscReaders:
    def names(self) -> list[str]:
        try:
            return list_readers()
        except ReaderError as error:
            raise HelperError(CODES.get(type(error), "reader_error"), str(error)) from None

    def connect(self, name_filter: str, timeout: float) -> PcscTransport:
        try:
            return PcscTransport.wait_for_card(name_filter, timeout)
        except ReaderError as error:
            raise HelperError(CODES.get(type(error), "reader_error"), str(error)) from None
