"""Standard PIV cards as suppliers ship them: the default 3DES management key, no serial
object of ours, the chip's own serial. The shipment ties the printed serial to the chip;
personalisation replaces the public key before anything else and refuses a card that
cannot have it replaced (in-process, the virtual card in its factory mode)."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.pki.ca import CardCA
from adapters.pki.card_keys import management_key
from adapters.reader.agent import personalise
from adapters.reader.apdu import ApduConnection
from adapters.reader.personalise import PersonalisationError
from adapters.reader.piv import DEFAULT_MANAGEMENT_KEY, KeyAlgorithm, PivSession
from adapters.reader.status import CardError, SecurityNotSatisfied
from adapters.reader.virtual_card import VirtualPivCard
from domain.card import CardStatus
from domain.errors import DomainError
from tests.support import ASSISTANT_A, DOCTOR_A, FULFILMENT, T0, URA_A, make_app
from tests.unit import test_agent
from tests.unit.test_agent import PIN, PUK, SECRET
from tests.unit.test_piv_session import InProcess

ca = test_agent.ca  # the same module-scoped card CA fixture


@pytest.fixture
def app():
    application = make_app()
    application.register_practice(URA_A, "Huisartsenpraktijk Noord", "huisartsenpraktijk",
                                  DOCTOR_A)
    yield application
    application.close()


def ship(app, serial: str, chip: str | None) -> None:
    order = app.place_order(URA_A, 1, f"order-{serial}", DOCTOR_A)
    app.ship_order(order, [serial], FULFILMENT, [chip])


def test_a_factory_fresh_card_is_found_by_its_chip_and_leaves_with_our_key(app, ca, tmp_path):
    ship(app, "ZID000000901", "yubico:12345678")
    card = VirtualPivCard.factory(tmp_path / "f.json", 12345678)
    result = personalise(app, InProcess(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert result.serial == "ZID000000901" and result.sealed
    assert app.get_card(result.card_id).status is CardStatus.ACTIVE
    assert app.get_card(result.card_id).chip_id == "yubico:12345678"
    piv = PivSession(ApduConnection(InProcess(card)))
    piv.select()
    with pytest.raises(CardError):  # the public default key opens it no more
        piv.authenticate(KeyAlgorithm.TDES, DEFAULT_MANAGEMENT_KEY)
    with pytest.raises(SecurityNotSatisfied):  # nor our blank key: it is sealed
        piv.authenticate(KeyAlgorithm.AES128, management_key(SECRET, "ZID000000901", False))
    piv.authenticate(KeyAlgorithm.AES128, management_key(SECRET, "ZID000000901", True))


def test_a_card_that_cannot_leave_the_default_key_is_refused_before_any_key_is_made(
        app, ca, tmp_path):
    ship(app, "ZID000000902", "yubico:22222222")
    card = VirtualPivCard.factory(tmp_path / "g.json", 22222222,
                                  management_key_changeable=False)
    since = app.head()
    with pytest.raises(PersonalisationError) as refused:
        personalise(app, InProcess(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert (refused.value.step, refused.value.code) == ("check_blank",
                                                        "management_key_not_changeable")
    assert [e.type for e in app.read_log(after=since)] == ["Card.CreationStarted",
                                                           "Card.PersonalisationFailed"]
    assert card.state.keys == {}  # no key pair was generated
    assert app.get_card_by_serial("ZID000000902").status is CardStatus.BLANK


def test_a_chip_nobody_shipped_is_refused_with_nothing_written(app, ca, tmp_path):
    card = VirtualPivCard.factory(tmp_path / "h.json", 99999999)
    head = app.head()
    with pytest.raises(PersonalisationError) as refused:
        personalise(app, InProcess(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert refused.value.code == "unknown_card" and app.head() == head


def test_a_chip_is_shipped_once_and_its_identity_is_checked(app):
    ship(app, "ZID000000903", "yubico:33333333")
    with pytest.raises(DomainError) as twice:
        ship(app, "ZID000000904", "YUBICO:33333333")
    assert twice.value.code == "chip_already_shipped"
    with pytest.raises(DomainError) as malformed:
        ship(app, "ZID000000905", "serial 5")
    assert malformed.value.code == "invalid_chip_id"
    assert app.serial_of_chip("yubico:33333333") == "ZID000000903"


def test_a_stored_version_1_shipment_reads_without_a_chip(app):
    """Events stored before chips were recorded are read forever (the upcaster)."""
    from domain.card import Card

    state = {"serial": "ZID000000906", "order_id": "x", "practice_ura": URA_A}
    Card.ShippedToPractice.upcast_v1_v2(state)
    assert state["chip_id"] is None


@pytest.mark.parametrize("algorithm", [KeyAlgorithm.TDES, KeyAlgorithm.AES128,
                                       KeyAlgorithm.AES192, KeyAlgorithm.AES256])
def test_a_supplier_key_in_any_algorithm_the_card_reports_opens_it(app, ca, tmp_path,
                                                                   algorithm):
    serial = f"ZID0000009{int(algorithm):02d}"
    ship(app, serial, None)
    card = VirtualPivCard.blank(tmp_path / "s.json", serial, algorithm,
                                management_key(SECRET, serial, False, algorithm.key_length))
    result = personalise(app, InProcess(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert app.get_card(result.card_id).status is CardStatus.ACTIVE and result.sealed


def test_a_card_named_by_its_suppliers_chuid_keeps_that_guid(app, ca, tmp_path):
    import uuid

    from adapters.reader.personalise import chuid
    from adapters.reader.tlv import tlv_map

    guid = uuid.UUID("5a1d0c3e-0000-4000-8000-00000000beef")
    card = VirtualPivCard.factory(tmp_path / "c.json", 1)
    card.state.chip_serial = None  # an applet without INS F8
    card.state.objects["5FC102"] = chuid(guid, T0.replace(year=2035)).hex()
    card.save()
    ship(app, "ZID000000950", f"chuid:{guid.hex}")
    result = personalise(app, InProcess(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert result.serial == "ZID000000950"
    written = tlv_map(bytes.fromhex(card.state.objects["5FC102"]))
    assert written[0x34] == guid.bytes  # the chip's name stays


def test_without_the_hint_a_factory_card_is_still_found_out_by_what_it_answers(tmp_path):
    """A caller that does not know the card is fresh tries our key; the card's 'other
    algorithm' sends it to the metadata, which tells the default key."""
    import uuid

    from adapters.reader.personalise import write_card

    card = VirtualPivCard.factory(tmp_path / "n.json", 7)
    piv = PivSession(ApduConnection(InProcess(card)))
    piv.select()
    ca_issue = CardCA.create(tmp_path / "ca", b"pass", T0 - dt.timedelta(days=1))
    from adapters.pki.certificates import Holder

    holder = Holder("900020001", "N", URA_A, "00.000", "00000000", "Bea", "Assistent", "P")
    end = T0.replace(year=T0.year + 3)
    write_card(piv, "ZID000000960", management_key(SECRET, "ZID000000960", False),
               lambda a, s, c: ca_issue.issue(holder, a, s, T0, end, c), uuid.uuid4(), PIN, PUK)
    assert not card.state.management_key_is_default and card.state.keys


def test_the_shipment_says_the_key_algorithm_of_a_card_that_cannot_tell(app, ca, tmp_path):
    """A supplier card with an AES-256 blank key and no metadata instruction: the card
    list in the shipment names the algorithm; nothing is assumed."""
    serial = "ZID000000970"
    order = app.place_order(URA_A, 1, "order-970", DOCTOR_A)
    app.ship_order(order, [serial], FULFILMENT, [None], ["aes-256"])
    assert app.get_card_by_serial(serial).management_key_algorithm == "AES256"
    card = VirtualPivCard.blank(tmp_path / "a.json", serial, KeyAlgorithm.AES256,
                                management_key(SECRET, serial, False, 32))

    class NoMetadata(InProcess):
        def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
            if apdu[1] == 0xF7:
                return b"", 0x6D00
            return super().send_and_receive(apdu)

    result = personalise(app, NoMetadata(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert app.get_card(result.card_id).status is CardStatus.ACTIVE
    with pytest.raises(DomainError) as wrong:
        app.ship_order(app.place_order(URA_A, 1, "order-971", DOCTOR_A), ["ZID000000971"],
                       FULFILMENT, [None], ["DES"])
    assert wrong.value.code == "invalid_key_algorithm"


def test_a_card_known_only_by_its_card_managers_cplc_is_found(app, ca, tmp_path):
    # CPLC: fabricator 4790, type 5168, OS id, date, level, fab date, IC serial 0A1B2C3D
    cplc = bytes.fromhex("47905168" "4700" "1234" "0102" "7123" "0A1B2C3D") + bytes(26)
    card = VirtualPivCard.factory(tmp_path / "p.json", 1)
    card.state.chip_serial = None
    card.state.cplc = cplc.hex()
    card.save()
    ship(app, "ZID000000980", "cplc:479051680a1b2c3d")
    result = personalise(app, InProcess(card), ASSISTANT_A, SECRET, ca, PIN, PUK)
    assert result.serial == "ZID000000980"
    assert app.get_card(result.card_id).status is CardStatus.ACTIVE
