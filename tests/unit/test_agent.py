"""Personalisation as a domain process, with the virtual card in-process and failures
injected at every step: the store and the card always stay consistent."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

import pytest

from adapters.pki.ca import CardCA
from adapters.pki.card_keys import management_key
from adapters.reader.agent import personalise
from adapters.reader.apdu import ApduConnection
from adapters.reader.pcsc import CardRemoved
from adapters.reader.personalise import PersonalisationError
from adapters.reader.piv import KeyAlgorithm, PivSession, Slot
from adapters.reader.status import SecurityNotSatisfied
from adapters.reader.virtual_card import VirtualPivCard
from domain.card import CardStatus
from domain.errors import DomainError
from tests.support import ASSISTANT_A, T0, expired, make_app, ready_practice
from tests.unit.test_piv_session import InProcess

SECRET = b"a master secret for the tests"
PIN, PUK = "482915", "73920184"


class Pulled(InProcess):
    """The card comes out of the reader after `after` APDUs."""

    def __init__(self, card, after: int) -> None:
        super().__init__(card)
        self.left = after

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        if self.left <= 0:
            raise CardRemoved("the card was taken out of the reader")
        self.left -= 1
        return super().send_and_receive(apdu)


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> CardCA:
    return CardCA.create(tmp_path_factory.mktemp("ca"), b"pass", T0 - dt.timedelta(days=1))


@pytest.fixture
def app():
    application = make_app()
    yield application
    application.close()


def blank(tmp_path, serial: str) -> VirtualPivCard:
    return VirtualPivCard.blank(tmp_path / f"{serial}.json", serial, KeyAlgorithm.AES128,
                                management_key(SECRET, serial, personalised=False))


def issuer(ca: CardCA) -> CardCA:
    return ca  # the card CA is the personalisation's certificate issuer


def test_a_blank_card_becomes_an_active_card_of_three_years(app, ca, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    serial = ready_practice(app)[0]
    card = blank(tmp_path, serial)
    result = personalise(app, InProcess(card), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)
    stored = app.get_card(result.card_id)
    assert stored.status is CardStatus.ACTIVE and stored.serial == serial
    assert result.expires_at == stored.expires_at == T0.replace(year=T0.year + 3)
    assert result.sealed and result.apdus > 10
    piv = PivSession(ApduConnection(InProcess(card)))
    piv.select()
    certificate = piv.get_certificate(Slot.AUTHENTICATION)
    assert hashlib.sha256(certificate).hexdigest() == stored.certificates[0]["sha256"]
    piv.verify_pin(PIN)  # the holder's PIN, not the factory one
    with pytest.raises(SecurityNotSatisfied):  # the blank key no longer opens it
        piv.authenticate(KeyAlgorithm.AES128, management_key(SECRET, serial, False))
    # secrets never reach an event or a log line
    everything = "".join(json.dumps(e.payload, default=str) for e in app.read_log())
    assert PIN not in everything and PUK not in everything
    assert PIN not in caplog.text and PUK not in caplog.text
    for personalised in (False, True):
        assert management_key(SECRET, serial, personalised).hex() not in caplog.text
    assert "> 00 20" in caplog.text  # the APDUs were logged, with their secrets masked


@pytest.mark.parametrize("after", range(1, 17))  # after every APDU up to the activation
def test_a_card_pulled_out_at_any_step_leaves_store_and_card_consistent(app, ca, tmp_path,
                                                                       after):
    serial = ready_practice(app)[0]
    card = blank(tmp_path, serial)
    with pytest.raises(PersonalisationError) as failure:
        personalise(app, Pulled(card, after), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)
    events = [e.type for e in app.read_log()]
    stored = app.get_card_by_serial(serial)
    if "Card.CreationStarted" in events:
        assert events[-1] == "Card.PersonalisationFailed"
        failed = list(app.read_log())[-1]
        assert failed.payload["step"] == failure.value.step
    assert stored.status is CardStatus.BLANK  # no half-active card
    # the same blank card, put back in, goes through
    card.power_on()
    result = personalise(app, InProcess(card), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)
    assert app.get_card(result.card_id).status is CardStatus.ACTIVE
    piv = PivSession(ApduConnection(InProcess(card)))  # the chosen PIN and PUK work,
    piv.select()                                        # with all their tries
    piv.verify_pin(PIN)
    piv.reset_retry_counter(PUK, PIN)
    assert (card.state.pin_tries, card.state.puk_tries) == (3, 3)


def test_a_refused_holder_touches_neither_store_nor_card(app, ca, tmp_path):
    serial = ready_practice(app)[0]
    card = blank(tmp_path, serial)
    head = app.head()
    before = card.path.read_text()
    with pytest.raises(DomainError) as refused:
        personalise(app, InProcess(card), expired(ASSISTANT_A, T0), SECRET, issuer(ca), PIN,
                    PUK)
    assert refused.value.code == "uzi_pass_expired"
    assert app.head() == head and card.path.read_text() == before


def test_a_bad_pin_choice_is_refused_before_anything(app, ca, tmp_path):
    serial = ready_practice(app)[0]
    head = app.head()
    with pytest.raises(PersonalisationError) as refused:
        personalise(app, InProcess(blank(tmp_path, serial)), ASSISTANT_A, SECRET, issuer(ca),
                    "1234", PUK)
    assert refused.value.step == "choose_pin" and app.head() == head


def test_a_card_that_is_not_blank_is_named_so(app, ca, tmp_path):
    serial = ready_practice(app)[0]
    card = VirtualPivCard.blank(tmp_path / "x.json", serial, KeyAlgorithm.AES128, bytes(16))
    with pytest.raises(PersonalisationError) as failure:
        personalise(app, InProcess(card), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)
    assert failure.value.step == "check_blank"
    assert app.get_card_by_serial(serial).status is CardStatus.BLANK


class Garbled(InProcess):
    """The reader mangles the card's answer to one instruction (a flaky contact)."""

    def __init__(self, card, instruction: int) -> None:
        super().__init__(card)
        self.instruction = instruction

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = super().send_and_receive(apdu)
        if apdu[1] == self.instruction and data:
            return data[: len(data) // 2], sw  # a truncated TLV
        return data, sw


@pytest.mark.parametrize(("instruction", "step"), [(0x47, "generate_key")])
def test_a_malformed_answer_is_a_named_failure_and_nothing_half_done(app, ca, tmp_path,
                                                                    instruction, step):
    serial = ready_practice(app)[0]
    card = blank(tmp_path, serial)
    with pytest.raises(PersonalisationError) as failure:
        personalise(app, Garbled(card, instruction), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)
    assert failure.value.step == step and "malformed" in failure.value.detail
    last = list(app.read_log())[-1]
    assert (last.type, last.payload["step"]) == ("Card.PersonalisationFailed", step)
    assert app.get_card_by_serial(serial).status is CardStatus.BLANK
    card.power_on()
    personalise(app, InProcess(card), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)


def test_an_unexpected_status_word_is_a_named_failure(app, ca, tmp_path):
    serial = ready_practice(app)[0]
    card = blank(tmp_path, serial)

    class Refusing(InProcess):
        def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
            if apdu[1] == 0xDB:  # PUT DATA
                return b"", 0x6A84  # not enough memory
            return super().send_and_receive(apdu)

    with pytest.raises(PersonalisationError) as failure:
        personalise(app, Refusing(card), ASSISTANT_A, SECRET, issuer(ca), PIN, PUK)
    assert failure.value.step == "put_certificate"
    assert "out of memory" in failure.value.detail


def test_the_supplier_secret_opens_blank_cards_only():
    """The supplier derives blank keys from its own secret; the personalised key is
    another derivation of the master secret, which the supplier never holds."""
    from adapters.pki.card_keys import blank_management_key, supplier_secret

    supplier = supplier_secret(SECRET)
    assert supplier != SECRET
    for serial in ("ZID000000001", "ZID000000002"):
        blank_key = management_key(SECRET, serial, personalised=False)
        assert blank_management_key(supplier, serial) == blank_key
        assert management_key(SECRET, serial, personalised=True) not in (
            blank_key, blank_management_key(supplier, serial + "x"))
    assert management_key(SECRET, "ZID000000001", False) != \
        management_key(SECRET, "ZID000000002", False)
