"""The application's one personalisation sequence (domain/personalisation.py): given a
shipped blank card, when the steps run or fail, then these events, and the card CA signs
nothing the store would refuse."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.card import PAIRING_TIMEOUT, CardStatus
from domain.errors import DomainError
from domain.identity import CardHolder
from domain.personalisation import WORKSTATION_HELPER, Personalisation, StepFailed
from tests.support import (
    ASSISTANT_A,
    MadeUpIssuer,
    clock_of,
    make_app,
    new_events,
    ready_practice,
)


class CountingIssuer(MadeUpIssuer):
    def __init__(self) -> None:
        self.calls: list[tuple[CardHolder, str]] = []

    def issue_card_certificates(self, holder, organisation, *args):
        self.calls.append((holder, organisation))
        return super().issue_card_certificates(holder, organisation, *args)


@pytest.fixture
def app():
    application = make_app()
    yield application
    application.close()


def test_the_whole_sequence_records_start_certificates_and_activation(app):
    serial = ready_practice(app)[0]
    issuer = CountingIssuer()
    since = app.head()
    started, _ = Personalisation(app, issuer).run(
        serial, ASSISTANT_A, lambda started, certify: certify(started.card_id, None))
    assert new_events(app, since) == [
        "Card.CreationStarted", "Card.CertificatesIssued", "Card.Activated",
        "Card.LinkedToPractice", "Person.Identified", "Person.ActiveCardSet"]
    card = app.get_card(started.card_id)
    assert card.status is CardStatus.ACTIVE
    # the holder reached the CA in one shape, with the practice's registered name
    assert issuer.calls == [(CardHolder.of_pass(ASSISTANT_A), app.get_practice(
        ASSISTANT_A.ura).name)]
    assert card.card_holder == CardHolder.of_pass(ASSISTANT_A)


def test_a_failed_step_is_recorded_with_its_name_and_the_card_stays_blank(app):
    serial = ready_practice(app)[0]

    def pulled_out(started, certify):
        raise StepFailed("put_certificate", "the card was taken out of the reader")

    with pytest.raises(StepFailed):
        Personalisation(app, MadeUpIssuer()).run(serial, ASSISTANT_A, pulled_out)
    last = list(app.read_log())[-1]
    assert last.type == "Card.PersonalisationFailed"
    assert last.payload["step"] == "put_certificate"
    assert app.get_card_by_serial(serial).status is CardStatus.BLANK


def test_an_activation_the_rules_refuse_is_a_failed_step_named_activate(app):
    serial = ready_practice(app)[0]

    def without_certificates(started, certify):
        return None  # wrote the card but never asked for certificates

    with pytest.raises(StepFailed) as failure:
        Personalisation(app, MadeUpIssuer()).run(serial, ASSISTANT_A, without_certificates)
    assert failure.value.step == "activate"
    assert "certificates_not_issued" in failure.value.detail
    assert list(app.read_log())[-1].payload["step"] == "activate"


def test_the_ca_signs_nothing_for_a_job_that_may_no_longer_have_certificates(app):
    serial = ready_practice(app)[0]
    issuer = CountingIssuer()
    personalisation = Personalisation(app, issuer)
    first = personalisation.start(serial, ASSISTANT_A)
    personalisation.fail(first.card_id, first.job_id, "read_card", "retry")
    personalisation.start(serial, ASSISTANT_A)
    head = app.head()
    with pytest.raises(DomainError) as refused:
        personalisation.certify(first.card_id, first.job_id, None, None)  # the old job
    assert refused.value.code == "stale_personalisation_job"
    assert issuer.calls == [] and app.head() == head


def test_certify_replays_the_card_once(app, monkeypatch):
    serial = ready_practice(app)[0]
    personalisation = Personalisation(app, MadeUpIssuer())
    started = personalisation.start(serial, ASSISTANT_A)
    loaded = []
    original = app.repository.get

    def counting(aggregate_id, *args, **kwargs):
        loaded.append(aggregate_id)
        return original(aggregate_id, *args, **kwargs)

    monkeypatch.setattr(app.repository, "get", counting)
    personalisation.certify(started.card_id, started.job_id, started.card_id, None)
    assert loaded.count(started.card_id) == 1


HELPER = WORKSTATION_HELPER


def test_a_workstation_helper_claims_a_new_job_once(app):
    serial = ready_practice(app)[0]
    started = Personalisation(app, MadeUpIssuer()).start(serial, ASSISTANT_A)
    since = app.head()
    app.claim_personalisation_job(started.card_id, started.job_id, "  balie\npc ", HELPER)
    assert new_events(app, since) == ["Card.JobClaimed"]
    with pytest.raises(DomainError) as again:
        app.claim_personalisation_job(started.card_id, started.job_id, "ander", HELPER)
    assert again.value.code == "job_already_claimed"
    assert new_events(app, since) == ["Card.JobClaimed"]  # nothing for the refusal


def test_a_job_is_claimed_only_while_new(app):
    serials = ready_practice(app)
    personalisation = Personalisation(app, MadeUpIssuer())
    late = personalisation.start(serials[0], ASSISTANT_A)
    clock_of(app).advance(PAIRING_TIMEOUT + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as expired:
        app.claim_personalisation_job(late.card_id, late.job_id, "pc", HELPER)
    assert expired.value.code == "pairing_expired"
    personalisation.fail(late.card_id, late.job_id, "read_card", "later")
    certified = personalisation.start(serials[0], ASSISTANT_A)
    personalisation.certify(certified.card_id, certified.job_id, certified.card_id, None)
    with pytest.raises(DomainError) as written:
        app.claim_personalisation_job(certified.card_id, certified.job_id, "pc", HELPER)
    assert written.value.code == "pairing_expired"
    with pytest.raises(DomainError) as stale:
        app.claim_personalisation_job(certified.card_id, late.job_id, "pc", HELPER)
    assert stale.value.code == "stale_personalisation_job"
