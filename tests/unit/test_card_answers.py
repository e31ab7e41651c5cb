"""What a card says when our key does not open it, said back per status word: each is its
own code and message, on a scripted in-process card (ISO 7816-4 5.6)."""

from __future__ import annotations

import uuid

import pytest

from adapters.reader.apdu import ApduConnection
from adapters.reader.personalise import PersonalisationError, read_serial, write_card
from adapters.reader.piv import INS_GENERAL_AUTHENTICATE, INS_SELECT, PivSession
from adapters.reader.tlv import encode_tlv
from adapters.reader.virtual_card import APPLICATION_PROPERTY_TEMPLATE


class Scripted:
    """A card that selects, knows its serial, and answers GENERAL AUTHENTICATE with `sw`."""

    def __init__(self, authenticate_sw: int, select_sw: int = 0x9000) -> None:
        self.authenticate_sw = authenticate_sw
        self.select_sw = select_sw
        self.generated = False

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        ins = apdu[1]
        if ins == INS_SELECT:
            if self.select_sw != 0x9000:
                return b"", self.select_sw
            return APPLICATION_PROPERTY_TEMPLATE, 0x9000
        if ins == 0xCB:  # GET DATA: the serial object
            return encode_tlv(0x53, b"ZID000000777"), 0x9000
        if ins == INS_GENERAL_AUTHENTICATE:
            return b"", self.authenticate_sw
        if ins == 0x47:
            self.generated = True
        return b"", 0x6D00

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("sw", "code", "words"), [
    (0x6982, "card_personalised_before", "has been personalised before"),
    (0x6983, "card_management_key_blocked", "blocked"),
    (0x6A86, "card_key_algorithm_differs", "another management key algorithm"),
    (0x6A80, "card_key_algorithm_differs", "another management key algorithm"),
    (0x6A82, "no_piv_application", "no PIV application"),
    (0x6F00, "card_refused", "status 6F00"),
])
def test_each_refusal_of_the_blank_key_has_its_own_code(sw, code, words):
    card = Scripted(sw)
    piv = PivSession(ApduConnection(card))
    assert read_serial(piv) == "ZID000000777"
    with pytest.raises(PersonalisationError) as refused:
        write_card(piv, "ZID000000777", bytes(16), lambda a, s, c: [None, None, None], uuid.uuid4(),
                   "482915", "73920184")
    assert (refused.value.step, refused.value.code) == ("check_blank", code)
    assert words in refused.value.detail
    assert not card.generated  # nothing was done to the card


def test_a_card_without_a_piv_application_says_so_when_read():
    piv = PivSession(ApduConnection(Scripted(0x9000, select_sw=0x6A82)))
    with pytest.raises(PersonalisationError) as refused:
        read_serial(piv)
    assert (refused.value.step, refused.value.code) == ("read_card", "no_piv_application")


def test_objects_come_with_or_without_the_53_wrapper(tmp_path):
    from adapters.reader.piv import KeyAlgorithm
    from adapters.reader.virtual_card import VirtualPivCard
    from tests.unit.test_piv_session import InProcess

    card = VirtualPivCard.blank(tmp_path / "c.json", "ZID000000778", KeyAlgorithm.AES128,
                                bytes(16))
    piv = PivSession(ApduConnection(InProcess(card)))
    piv.select()
    discovery = piv.get_data(0x7E)  # its own 7E template, as cards return it
    assert discovery[:1] == b"\x7e" and bytes.fromhex("A00000030800001000") in discovery
    assert piv.get_data(0x5FFF01) == b"ZID000000778"  # wrapped in 53, unwrapped
