"""Given events, when a command, then events or a refusal: one class per rule of
docs/architecture.md section 4. The same tests run on SQLite files and PostgreSQL in
tests/integration/test_rules_on_stores.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.application import CardLifecycle, Policy
from domain.card import CardStatus, RevocationReason
from domain.clock import ManualClock, add_years
from domain.errors import RuleViolation
from domain.identity import Actor
from domain.mandate import Mandate
from domain.order import BlankCardOrder, Pricing
from domain.person import Person
from tests.support import (
    AGENT,
    ASSISTANT_A,
    ASSISTANT_A2,
    CA,
    DOCTOR_A,
    DOCTOR_B,
    EMPLOYEE_B,
    FULFILMENT,
    T0,
    URA_A,
    URA_B,
    certificates_for,
    clock_of,
    create_card,
    expired,
    new_events,
    ready_practice,
    uzi_pass,
)

BEHEERDER_A = uzi_pass("900040001", "N", URA_A, name=("Bert", "Beheer"))


class TestR1PracticeRegistersOncePerUra:
    def test_the_representative_registers_and_becomes_administrator(self, app):
        practice_id = app.register_practice(URA_A, "Praktijk Noord", "huisartsenpraktijk",
                                            DOCTOR_A)
        practice = app.get_practice(URA_A)
        assert practice.id == practice_id
        assert [m.uzi_number for m in practice.administrators()] == [DOCTOR_A.uzi_number]
        assert new_events(app, 0) == [
            "Practice.Registered", "Person.Identified", "Person.ManagerRoleAssigned"
        ]
        registered = next(app.read_log())
        assert registered.actor["uzi_number"] == DOCTOR_A.uzi_number

    @pytest.mark.parametrize("kind", ["huisartsenpraktijk", "huisartsenpost", "apotheek"])
    def test_all_three_kinds_register(self, app, kind):
        app.register_practice(URA_A, "X", kind, DOCTOR_A)
        assert app.get_practice(URA_A).kind.value == kind

    def test_a_second_registration_of_the_same_ura_is_refused(self, app, refused):
        app.register_practice(URA_A, "Praktijk Noord", "huisartsenpraktijk", DOCTOR_A)
        other = uzi_pass("900016529", "Z", URA_A)
        refused("practice_already_registered", app.register_practice, URA_A, "Again",
                "apotheek", other)

    def test_a_pass_of_another_ura_is_refused(self, app, refused):
        refused("ura_mismatch", app.register_practice, URA_B, "P", "apotheek", DOCTOR_A)

    def test_an_expired_pass_is_refused(self, app, refused):
        refused("uzi_pass_expired", app.register_practice, URA_A, "P", "apotheek",
                expired(DOCTOR_A, T0))

    def test_a_revoked_pass_is_refused(self, app, refused):
        refused("uzi_pass_revoked", app.register_practice, URA_A, "P", "apotheek",
                replace(DOCTOR_A, revoked=True))

    def test_a_pass_not_on_name_is_refused(self, app, refused):
        refused("uzi_card_type_not_allowed", app.register_practice, URA_A, "P", "apotheek",
                uzi_pass("900050001", "M", URA_A))

    def test_malformed_input_is_refused(self, app, refused):
        refused("invalid_ura", app.register_practice, "1234", "P", "apotheek", DOCTOR_A)
        refused("invalid_practice_kind", app.register_practice, URA_A, "P", "tandarts",
                DOCTOR_A)
        refused("invalid_practice_name", app.register_practice, URA_A, "  ", "apotheek",
                DOCTOR_A)


class TestR2Managers:
    @pytest.fixture(autouse=True)
    def registered(self, app):
        app.register_practice(URA_A, "Praktijk Noord", "huisartsenpraktijk", DOCTOR_A)

    def test_an_administrator_appoints_a_beheerder_and_an_administrator(self, app):
        app.appoint_manager(URA_A, BEHEERDER_A.uzi_number, BEHEERDER_A.name, "beheerder",
                            DOCTOR_A)
        app.appoint_manager(URA_A, "900016600", "Co Admin", "administrator", DOCTOR_A)
        practice = app.get_practice(URA_A)
        assert practice.role_of(BEHEERDER_A.uzi_number).value == "beheerder"
        assert len(practice.administrators()) == 2
        assert app.find_person(BEHEERDER_A.uzi_number).manager_roles == {URA_A: "beheerder"}

    def test_a_beheerder_cannot_appoint(self, app, refused):
        app.appoint_manager(URA_A, BEHEERDER_A.uzi_number, BEHEERDER_A.name, "beheerder",
                            DOCTOR_A)
        refused("not_administrator", app.appoint_manager, URA_A, "900016600", "X",
                "beheerder", BEHEERDER_A)

    def test_the_last_administrator_cannot_be_dismissed(self, app, refused):
        refused("last_administrator", app.dismiss_manager, URA_A, DOCTOR_A.uzi_number,
                DOCTOR_A)

    def test_the_last_administrator_cannot_be_made_beheerder(self, app, refused):
        refused("last_administrator", app.appoint_manager, URA_A, DOCTOR_A.uzi_number,
                DOCTOR_A.name, "beheerder", DOCTOR_A)

    def test_the_administrator_role_can_be_handed_over(self, app):
        successor = uzi_pass("900016600", "Z", URA_A, name=("Nieuwe", "Admin"))
        app.appoint_manager(URA_A, successor.uzi_number, successor.name, "administrator",
                            DOCTOR_A)
        app.dismiss_manager(URA_A, DOCTOR_A.uzi_number, successor)
        practice = app.get_practice(URA_A)
        assert [m.uzi_number for m in practice.administrators()] == [successor.uzi_number]
        assert app.find_person(DOCTOR_A.uzi_number).manager_roles == {}

    def test_appointing_someone_to_the_role_they_have_is_refused(self, app, refused):
        refused("already_manager", app.appoint_manager, URA_A, DOCTOR_A.uzi_number,
                DOCTOR_A.name, "administrator", DOCTOR_A)

    def test_dismissing_someone_who_is_no_manager_is_refused(self, app, refused):
        refused("not_a_manager", app.dismiss_manager, URA_A, "900099999", DOCTOR_A)

    def test_an_unknown_role_or_practice_is_refused(self, app, refused):
        refused("invalid_manager_role", app.appoint_manager, URA_A, "900016600", "X",
                "directeur", DOCTOR_A)
        refused("practice_not_found", app.appoint_manager, URA_B, "900016600", "X",
                "beheerder", DOCTOR_B)


class TestR3CreatingACard:
    @pytest.fixture
    def serials(self, app):
        return ready_practice(app)

    def test_an_employee_starts_creation_with_their_own_named_pass(self, app, serials):
        since = app.head()
        started = app.start_card_creation(serials[0], ASSISTANT_A)
        card = app.get_card(started.card_id)
        assert card.status is CardStatus.PERSONALISING
        assert card.holder["uzi_number"] == ASSISTANT_A.uzi_number
        assert new_events(app, since) == ["Card.CreationStarted"]

    def test_a_care_provider_pass_is_refused(self, app, refused, serials):
        refused("uzi_pass_not_named_employee", app.start_card_creation, serials[0],
                uzi_pass("900016777", "Z", URA_A))

    def test_a_zorgid_card_is_no_uzi_pass(self, app, refused, serials):
        """No UZI pass, no card: logging in with one's ZORG-ID card creates nothing."""
        refused("uzi_pass_required", app.start_card_creation, serials[0],
                replace(ASSISTANT_A, zorgid_card=True))

    def test_an_expired_pass_is_refused(self, app, refused, serials):
        refused("uzi_pass_expired", app.start_card_creation, serials[0],
                expired(ASSISTANT_A, T0))

    def test_a_revoked_pass_is_refused(self, app, refused, serials):
        refused("uzi_pass_revoked", app.start_card_creation, serials[0],
                replace(ASSISTANT_A, revoked=True))

    def test_an_employee_of_an_unregistered_practice_is_refused(self, app, refused, serials):
        refused("practice_not_registered", app.start_card_creation, serials[0], EMPLOYEE_B)

    def test_a_card_shipped_to_another_practice_is_refused(self, app, refused, serials):
        ready_practice(app, URA_B)
        refused("blank_card_not_for_practice", app.start_card_creation, serials[0], EMPLOYEE_B)

    def test_an_unknown_serial_is_refused(self, app, refused, serials):
        refused("card_not_found", app.start_card_creation, "ZIDNOSUCH1", ASSISTANT_A)

    def test_a_used_card_is_refused(self, app, refused, serials):
        create_card(app, serials[0])
        refused("card_not_blank", app.start_card_creation, serials[0], ASSISTANT_A2)

    def test_a_card_being_personalised_is_refused_until_abandoned(self, app, refused, serials):
        first = app.start_card_creation(serials[0], ASSISTANT_A)
        refused("card_in_personalisation", app.start_card_creation, serials[0], ASSISTANT_A2)
        clock_of(app).advance(timedelta(minutes=31))
        since = app.head()
        second = app.start_card_creation(serials[0], ASSISTANT_A2)
        assert second.job_id != first.job_id
        assert new_events(app, since) == ["Card.PersonalisationFailed", "Card.CreationStarted"]

    def test_a_failed_personalisation_leaves_a_blank_card_to_try_again(self, app, serials):
        started = app.start_card_creation(serials[0], ASSISTANT_A)
        app.record_personalisation_failure(started.card_id, started.job_id, "card_removed",
                                           "card taken out", AGENT)
        card = app.get_card(started.card_id)
        assert card.status is CardStatus.BLANK and card.holder is None
        assert create_card(app, serials[0]) == started.card_id
        assert app.get_card(started.card_id).status is CardStatus.ACTIVE

    def test_a_result_for_a_stale_job_is_refused(self, app, refused, serials):
        first = app.start_card_creation(serials[0], ASSISTANT_A)
        app.record_personalisation_failure(first.card_id, first.job_id, "reader_gone", "", AGENT)
        app.start_card_creation(serials[0], ASSISTANT_A)
        certs, not_before = certificates_for(app, first.card_id)
        refused("stale_personalisation_job", app.record_certificates_issued, first.card_id,
                first.job_id, certs, not_before, CA)


class TestR4ThreeCalendarYears:
    def test_the_card_ends_three_calendar_years_after_activation(self, app):
        card_id = create_card(app, ready_practice(app)[0])
        card = app.get_card(card_id)
        assert card.activated_at == T0
        assert card.expires_at == datetime(2029, 3, 2, 9, 0, tzinfo=UTC)
        assert {c["not_after"] for c in card.certificates} == {card.expires_at.isoformat()}

    def test_29_february_plus_three_years_is_28_february(self):
        leap = datetime(2028, 2, 29, 10, 30, tzinfo=UTC)
        assert add_years(leap, 3) == datetime(2031, 2, 28, 10, 30, tzinfo=UTC)

    def test_a_card_activated_on_a_leap_day_ends_on_28_february(self):
        app = CardLifecycle(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                            clock=ManualClock(datetime(2028, 2, 29, 10, 0, tzinfo=UTC)))
        rep = replace(DOCTOR_A, not_after=datetime(2030, 1, 1, tzinfo=UTC))
        app.register_practice(URA_A, "P", "apotheek", rep)
        order = app.place_order(URA_A, 1, "k", rep)
        app.ship_order(order, ["ZID2028LEAP"], FULFILMENT)
        holder = replace(ASSISTANT_A, not_after=datetime(2030, 1, 1, tzinfo=UTC))
        card_id = create_card(app, "ZID2028LEAP", holder)
        assert app.get_card(card_id).expires_at == datetime(2031, 2, 28, 10, 0, tzinfo=UTC)

    def test_certificates_with_another_end_are_refused(self, app, refused):
        started = app.start_card_creation(ready_practice(app)[0], ASSISTANT_A)
        certs, not_before = certificates_for(app, started.card_id)
        longer = [replace(c, not_after=c.not_after + timedelta(days=1)) for c in certs]
        refused("certificate_validity_mismatch", app.record_certificates_issued,
                started.card_id, started.job_id, longer, not_before, CA)

    def test_activation_before_certificates_is_refused(self, app, refused):
        started = app.start_card_creation(ready_practice(app)[0], ASSISTANT_A)
        refused("certificates_not_issued", app.activate_card, started.card_id, started.job_id,
                AGENT)


class TestR5OneActiveCardPerPerson:
    def test_activating_a_new_card_revokes_the_previous_in_the_same_save(self, app):
        serials = ready_practice(app)
        old = create_card(app, serials[0])
        started = app.start_card_creation(serials[1], ASSISTANT_A)
        certs, not_before = certificates_for(app, started.card_id)
        app.record_certificates_issued(started.card_id, started.job_id, certs, not_before, CA)
        since = app.head()
        recordings = app.activate_card(started.card_id, started.job_id, AGENT)
        assert recordings is None  # commands return ids, not recordings
        assert new_events(app, since) == [
            "Card.Activated", "Card.LinkedToPractice", "Card.Revoked", "Person.ActiveCardSet"
        ]
        assert app.get_card(old).status is CardStatus.REVOKED
        assert app.get_card(old).revocation_reason == "superseded"
        assert app.find_person(ASSISTANT_A.uzi_number).active_card_id == started.card_id

    def test_a_suspended_card_is_superseded_too(self, app):
        serials = ready_practice(app)
        old = create_card(app, serials[0])
        app.suspend_card(old, "kwijt", ASSISTANT_A)
        create_card(app, serials[1])
        assert app.get_card(old).revocation_reason == "superseded"

    def test_an_expired_card_is_not_revoked_when_a_new_one_comes(self, app):
        serials = ready_practice(app)
        old = create_card(app, serials[0])
        clock_of(app).advance(timedelta(days=3 * 366))
        holder = replace(ASSISTANT_A, not_after=T0 + timedelta(days=3650))
        rep = replace(DOCTOR_A, not_after=T0 + timedelta(days=3650))
        order = app.place_order(URA_A, 1, "late", rep)
        app.ship_order(order, ["ZIDLATE001"], FULFILMENT)
        create_card(app, "ZIDLATE001", holder)
        assert app.get_card(old).status is CardStatus.ACTIVE  # no Expired event yet (R11)
        assert app.get_card(old).status_at(app.clock.now()) is CardStatus.EXPIRED


class TestR6Revocation:
    @pytest.fixture
    def card(self, app):
        return create_card(app, ready_practice(app)[0])

    def test_the_holder_revokes(self, app, card):
        app.revoke_card(card, "loss_or_theft", ASSISTANT_A)
        assert app.get_card(card).status is CardStatus.REVOKED
        assert app.find_person(ASSISTANT_A.uzi_number).current_card(app.clock.now()) is None

    def test_a_manager_of_a_linked_practice_revokes(self, app, card):
        app.revoke_card(card, "defect", DOCTOR_A)
        assert app.get_card(card).revocation_reason == "defect"

    def test_a_manager_of_another_practice_is_refused(self, app, refused, card):
        app.register_practice(URA_B, "Elders", "apotheek", DOCTOR_B)
        refused("not_holder_or_manager", app.revoke_card, card, "defect", DOCTOR_B)

    def test_a_colleague_is_refused(self, app, refused, card):
        refused("not_holder_or_manager", app.revoke_card, card, "defect", ASSISTANT_A2)

    @pytest.mark.parametrize(
        "reason", [r.value for r in RevocationReason if r is not RevocationReason.SUPERSEDED]
    )
    def test_every_revocation_reason_of_the_cps_is_accepted(self, app, card, reason):
        app.revoke_card(card, reason, ASSISTANT_A)
        assert app.get_card(card).revocation_reason == reason

    def test_unknown_and_reserved_reasons_are_refused(self, app, refused, card):
        refused("invalid_revocation_reason", app.revoke_card, card, "bored", ASSISTANT_A)
        refused("reserved_revocation_reason", app.revoke_card, card, "superseded", ASSISTANT_A)
        refused("employment_ended_is_unlink", app.revoke_card, card, "employment_ended",
                DOCTOR_A)

    def test_a_revoked_card_takes_no_further_command(self, app, refused, card):
        app.register_practice(URA_B, "Elders", "apotheek", DOCTOR_B)
        app.revoke_card(card, "defect", ASSISTANT_A)
        refused("card_revoked", app.revoke_card, card, "defect", ASSISTANT_A)
        refused("card_revoked", app.suspend_card, card, "kwijt", ASSISTANT_A)
        refused("card_revoked", app.resume_card, card, DOCTOR_A)
        refused("card_revoked", app.link_card, card, URA_B, DOCTOR_B)
        refused("card_revoked", app.unlink_card, card, URA_A, DOCTOR_A)
        refused("card_revoked", app.grant_guest_use, card, URA_B, T0.date(),
                T0.date() + timedelta(days=3), DOCTOR_B)

    def test_an_expired_card_takes_no_further_command(self, app, refused, card):
        clock_of(app).advance(timedelta(days=3 * 366))
        rep = replace(DOCTOR_A, not_after=T0 + timedelta(days=3650))
        refused("card_expired", app.revoke_card, card, "defect", rep)
        refused("card_expired", app.suspend_card, card, "kwijt", rep)
        app.expire_cards()
        refused("card_expired", app.revoke_card, card, "defect", rep)


class TestR7PersonBound:
    @pytest.fixture
    def card(self, app):
        card_id = create_card(app, ready_practice(app)[0])
        app.register_practice(URA_B, "Elders", "apotheek", DOCTOR_B)
        return card_id

    def test_unlinking_when_the_employee_leaves_does_not_revoke(self, app, card):
        since = app.head()
        app.unlink_card(card, URA_A, DOCTOR_A)
        assert new_events(app, since) == ["Card.UnlinkedFromPractice"]
        state = app.get_card(card)
        assert state.status is CardStatus.ACTIVE and state.links == set()

    def test_the_holder_may_unlink_too(self, app, card):
        app.unlink_card(card, URA_A, ASSISTANT_A)
        assert app.get_card(card).links == set()

    def test_another_practice_links_the_card_when_the_holder_asks_and_a_manager_approves(
            self, app, card):
        app.unlink_card(card, URA_A, DOCTOR_A)
        since = app.head()
        assert app.request_link(card, URA_B, ASSISTANT_A) == "requested"
        assert app.get_card(card).links == set()  # asked is not linked
        app.link_card(card, URA_B, DOCTOR_B)
        assert new_events(app, since) == ["Card.LinkRequested", "Card.LinkedToPractice"]
        state = app.get_card(card)
        assert state.links == {URA_B} and state.link_requests == set()

    def test_a_manager_invites_by_uzi_number_and_the_holder_accepts(self, app, card):
        since = app.head()
        assert app.invite_to_link(URA_B, ASSISTANT_A.uzi_number, DOCTOR_B) == "invited"
        assert app.get_card(card).links == {URA_A}
        app.link_card(card, URA_B, ASSISTANT_A)
        assert new_events(app, since) == ["Practice.LinkInvitationSent",
                                          "Card.LinkedToPractice", "Practice.LinkInvitationEnded"]
        assert app.get_card(card).links == {URA_A, URA_B}
        assert not app.get_practice(URA_B).is_invited(ASSISTANT_A.uzi_number)

    def test_the_second_half_of_a_consent_links_at_once(self, app, card):
        app.invite_to_link(URA_B, ASSISTANT_A.uzi_number, DOCTOR_B)
        assert app.request_link(card, URA_B, ASSISTANT_A) == "linked"  # invited, then asks
        app.unlink_card(card, URA_B, ASSISTANT_A)
        app.request_link(card, URA_B, ASSISTANT_A)
        assert app.invite_to_link(URA_B, ASSISTANT_A.uzi_number, DOCTOR_B) == "linked"
        assert app.get_card(card).links == {URA_A, URA_B}

    def test_a_manager_alone_never_links_someone_elses_card(self, app, refused, card):
        # the attack: a manager of another practice types the serial of someone's card
        refused("link_consent_required", app.link_card, card, URA_B, DOCTOR_B)
        assert app.get_card(card).links == {URA_A}

    def test_the_holder_alone_does_not_link_either(self, app, refused, card):
        refused("link_consent_required", app.link_card, card, URA_B, ASSISTANT_A)

    def test_only_the_holder_asks(self, app, refused, card):
        refused("not_holder", app.request_link, card, URA_B, DOCTOR_B)
        refused("not_holder", app.request_link, card, URA_B, DOCTOR_A)

    def test_either_side_declines(self, app, refused, card):
        app.request_link(card, URA_B, ASSISTANT_A)
        refused("not_manager", app.end_link_request, card, URA_B, DOCTOR_A)
        since = app.head()
        app.end_link_request(card, URA_B, DOCTOR_B)
        app.request_link(card, URA_B, ASSISTANT_A)
        app.end_link_request(card, URA_B, ASSISTANT_A)
        assert [e.payload["outcome"] for e in app.read_log(after=since)
                if e.type == "Card.LinkRequestEnded"] == ["declined", "withdrawn"]
        refused("link_consent_required", app.link_card, card, URA_B, DOCTOR_B)
        app.invite_to_link(URA_B, ASSISTANT_A.uzi_number, DOCTOR_B)
        refused("not_manager", app.end_link_invitation, URA_B, ASSISTANT_A.uzi_number,
                DOCTOR_A)
        app.end_link_invitation(URA_B, ASSISTANT_A.uzi_number, ASSISTANT_A)
        refused("link_consent_required", app.link_card, card, URA_B, ASSISTANT_A)
        app.invite_to_link(URA_B, ASSISTANT_A.uzi_number, DOCTOR_B)
        app.end_link_invitation(URA_B, ASSISTANT_A.uzi_number, DOCTOR_B)
        assert [e.payload["outcome"] for e in app.read_log(after=since)
                if e.type == "Practice.LinkInvitationEnded"] == ["declined", "withdrawn"]
        refused("no_link_invitation", app.end_link_invitation, URA_B,
                ASSISTANT_A.uzi_number, DOCTOR_B)
        refused("no_link_request", app.end_link_request, card, URA_B, DOCTOR_B)

    def test_asking_or_inviting_twice_is_refused(self, app, refused, card):
        app.request_link(card, URA_B, ASSISTANT_A)
        refused("link_already_requested", app.request_link, card, URA_B, ASSISTANT_A)
        refused("already_linked", app.request_link, card, URA_A, ASSISTANT_A)
        app.invite_to_link(URA_B, "900099991", DOCTOR_B)
        refused("already_invited", app.invite_to_link, URA_B, "900099991", DOCTOR_B)
        refused("already_linked", app.invite_to_link, URA_A, ASSISTANT_A.uzi_number, DOCTOR_A)
        refused("not_manager", app.invite_to_link, URA_B, "900099992", DOCTOR_A)

    def test_only_a_manager_of_the_practice_approves(self, app, refused, card):
        app.request_link(card, URA_B, ASSISTANT_A)
        refused("not_manager", app.link_card, card, URA_B, DOCTOR_A)

    def test_only_the_holder_or_a_manager_of_that_practice_unlinks(self, app, refused, card):
        refused("not_manager", app.unlink_card, card, URA_A, DOCTOR_B)

    def test_linking_twice_or_unlinking_what_is_not_linked_is_refused(self, app, refused, card):
        refused("already_linked", app.link_card, card, URA_A, DOCTOR_A)
        refused("not_linked", app.unlink_card, card, URA_B, DOCTOR_B)


class TestR8GuestUse:
    @pytest.fixture
    def card(self, app):
        card_id = create_card(app, ready_practice(app)[0])
        app.register_practice(URA_B, "Waarneempraktijk", "huisartsenpraktijk", DOCTOR_B)
        return card_id

    def days(self, start: int, end: int) -> tuple[date, date]:
        return T0.date() + timedelta(days=start), T0.date() + timedelta(days=end)

    def test_a_manager_of_the_host_grants_a_bounded_period(self, app, card):
        use_id = app.grant_guest_use(card, URA_B, *self.days(0, 13), DOCTOR_B)
        use = app.get_card(card).guest_uses[use_id]
        assert (use.host_ura, use.starts_on, use.ends_on) == (URA_B, *self.days(0, 13))
        assert use.is_current(T0)
        assert not use.is_current(T0 + timedelta(days=14))  # ends at its end date

    def test_someone_else_cannot_grant(self, app, refused, card):
        refused("not_manager", app.grant_guest_use, card, URA_B, *self.days(0, 3), DOCTOR_A)

    def test_overlapping_periods_at_the_same_host_are_refused(self, app, refused, card):
        app.grant_guest_use(card, URA_B, *self.days(0, 10), DOCTOR_B)
        refused("guest_use_overlaps", app.grant_guest_use, card, URA_B, *self.days(10, 12),
                DOCTOR_B)
        app.grant_guest_use(card, URA_B, *self.days(11, 12), DOCTOR_B)  # adjacent is fine

    def test_bad_periods_are_refused(self, app, refused, card):
        refused("invalid_period", app.grant_guest_use, card, URA_B, *self.days(5, 4), DOCTOR_B)
        refused("period_in_past", app.grant_guest_use, card, URA_B, *self.days(-9, -1),
                DOCTOR_B)
        refused("guest_use_beyond_card_expiry", app.grant_guest_use, card, URA_B,
                *self.days(1, 3 * 366), DOCTOR_B)
        refused("already_linked", app.grant_guest_use, card, URA_A, *self.days(0, 3), DOCTOR_A)

    def test_the_host_ends_it_early_once(self, app, refused, card):
        use_id = app.grant_guest_use(card, URA_B, *self.days(0, 10), DOCTOR_B)
        clock_of(app).advance(timedelta(days=2))
        app.end_guest_use(card, use_id, DOCTOR_B)
        assert not app.get_card(card).guest_uses[use_id].is_current(app.clock.now())
        refused("guest_use_ended", app.end_guest_use, card, use_id, DOCTOR_B)

    def test_only_the_host_ends_it(self, app, refused, card):
        use_id = app.grant_guest_use(card, URA_B, *self.days(0, 10), DOCTOR_B)
        refused("not_manager", app.end_guest_use, card, use_id, DOCTOR_A)

    def test_revocation_ends_open_guest_use(self, app, card):
        use_id = app.grant_guest_use(card, URA_B, *self.days(0, 10), DOCTOR_B)
        since = app.head()
        app.revoke_card(card, "loss_or_theft", ASSISTANT_A)
        assert new_events(app, since) == [
            "Card.GuestUseEnded", "Card.Revoked", "Person.ActiveCardCleared"
        ]
        assert app.get_card(card).guest_uses[use_id].end_reason == "card_revoked"

    def test_expiry_ends_open_guest_use(self, app, card):
        expires_at = app.get_card(card).expires_at
        last_day = expires_at.date()  # the card ends at 09:00 that day
        use_id = app.grant_guest_use(card, URA_B, last_day - timedelta(days=5), last_day,
                                     DOCTOR_B)
        clock_of(app).set(expires_at)
        app.expire_cards()
        assert app.get_card(card).guest_uses[use_id].end_reason == "card_expired"


class TestR9Mandates:
    @pytest.fixture(autouse=True)
    def practice(self, app):
        ready_practice(app)

    def until(self, days: int) -> datetime:
        return T0 + timedelta(days=days)

    def test_a_care_provider_of_the_practice_mandates_an_employee(self, app):
        mandate_id = app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, self.until(365), DOCTOR_A)
        mandate = app.get_mandate(mandate_id)
        assert mandate.mandatee_uzi_number == ASSISTANT_A.uzi_number
        assert mandate.grantor_role == DOCTOR_A.role
        assert mandate.is_effective(app.clock.now())

    def test_the_mandate_survives_a_replacement_card(self, app):
        serials = ready_practice(app)
        create_card(app, serials[0])
        mandate_id = app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, self.until(365), DOCTOR_A)
        create_card(app, serials[1])  # supersedes the first (R5)
        mandate = app.get_mandate(mandate_id)
        assert mandate.is_effective(app.clock.now())
        assert mandate.id == Mandate.create_id(URA_A, DOCTOR_A.uzi_number, ASSISTANT_A.uzi_number)

    def test_only_a_care_provider_of_that_practice_mandates(self, app, refused):
        refused("not_care_provider", app.grant_mandate, URA_A, ASSISTANT_A2.uzi_number,
                self.until(30), ASSISTANT_A)
        refused("ura_mismatch", app.grant_mandate, URA_A, ASSISTANT_A.uzi_number,
                self.until(30), DOCTOR_B)
        refused("practice_not_registered", app.grant_mandate, URA_B, EMPLOYEE_B.uzi_number,
                self.until(30), DOCTOR_B)

    def test_at_most_three_years(self, app, refused):
        refused("mandate_too_long", app.grant_mandate, URA_A, ASSISTANT_A.uzi_number,
                add_years(T0, 3) + timedelta(seconds=1), DOCTOR_A)
        app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, add_years(T0, 3), DOCTOR_A)

    def test_bad_periods_and_self_mandates_are_refused(self, app, refused):
        refused("invalid_period", app.grant_mandate, URA_A, ASSISTANT_A.uzi_number, T0,
                DOCTOR_A)
        refused("self_mandate", app.grant_mandate, URA_A, DOCTOR_A.uzi_number, self.until(9),
                DOCTOR_A)

    def test_granting_again_renews(self, app):
        first = app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, self.until(30), DOCTOR_A)
        second = app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, self.until(300), DOCTOR_A)
        assert first == second
        assert app.get_mandate(first).valid_until == self.until(300)

    def test_the_grantor_or_an_administrator_revokes(self, app, refused):
        provider = uzi_pass("900016700", "Z", URA_A, name=("Tweede", "Arts"))
        mandate_id = app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, self.until(30), provider)
        refused("not_grantor", app.revoke_mandate, mandate_id, "", ASSISTANT_A)
        app.revoke_mandate(mandate_id, "uit dienst", DOCTOR_A)  # DOCTOR_A is administrator
        assert not app.get_mandate(mandate_id).is_effective(app.clock.now())
        refused("mandate_not_effective", app.revoke_mandate, mandate_id, "", provider)

    def test_a_mandate_ends_by_itself(self, app):
        mandate_id = app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, self.until(30), DOCTOR_A)
        assert not app.get_mandate(mandate_id).is_effective(self.until(30))


class TestR10Orders:
    @pytest.fixture(autouse=True)
    def practice(self, app):
        app.register_practice(URA_A, "Praktijk Noord", "huisartsenpraktijk", DOCTOR_A)

    def test_the_prices_in_force_are_written_into_the_order(self, app):
        order_id = app.place_order(URA_A, 4, "k1", DOCTOR_A)
        order = app.get_order(order_id)
        assert (order.pricing.unit_price_cents, order.pricing.shipping_cents,
                order.pricing.vat_rate_bp) == (7500, 695, 2100)
        assert order.net_cents() == 4 * 7500 + 695
        assert order.total_cents() == 30695 + 6446  # 21 % of 306.95 = 64.4595 -> 64.46

    def test_new_prices_never_reprice_an_old_order(self, app):
        order_id = app.place_order(URA_A, 2, "k1", DOCTOR_A)
        app.pricing = Pricing(unit_price_cents=9900, shipping_cents=0, vat_rate_bp=900)
        assert app.get_order(order_id).pricing == Pricing()
        later = app.place_order(URA_A, 2, "k2", DOCTOR_A)
        assert app.get_order(later).pricing.unit_price_cents == 9900

    def test_the_same_idempotency_key_twice_is_one_order(self, app):
        since = app.head()
        first = app.place_order(URA_A, 3, "webshop-42", DOCTOR_A)
        again = app.place_order(URA_A, 3, "webshop-42", DOCTOR_A)
        assert first == again == BlankCardOrder.create_id(URA_A, "webshop-42")
        assert new_events(app, since) == ["BlankCardOrder.Placed"]

    def test_the_same_key_for_another_order_is_refused(self, app, refused):
        app.place_order(URA_A, 3, "webshop-42", DOCTOR_A)
        refused("idempotency_key_reused", app.place_order, URA_A, 5, "webshop-42", DOCTOR_A)

    def test_a_beheerder_orders_and_an_employee_cannot(self, app, refused):
        app.appoint_manager(URA_A, BEHEERDER_A.uzi_number, BEHEERDER_A.name, "beheerder",
                            DOCTOR_A)
        app.place_order(URA_A, 1, "b1", BEHEERDER_A)
        refused("not_manager", app.place_order, URA_A, 1, "e1", ASSISTANT_A)

    def test_bad_quantities_and_keys_are_refused(self, app, refused):
        refused("invalid_quantity", app.place_order, URA_A, 0, "k", DOCTOR_A)
        refused("invalid_quantity", app.place_order, URA_A, 501, "k", DOCTOR_A)
        refused("invalid_idempotency_key", app.place_order, URA_A, 1, "", DOCTOR_A)

    def test_shipment_must_match_the_order_and_happen_once(self, app, refused):
        order_id = app.place_order(URA_A, 2, "k", DOCTOR_A)
        refused("shipment_quantity_mismatch", app.ship_order, order_id, ["ZIDAAAAAA1"],
                FULFILMENT)
        refused("shipment_quantity_mismatch", app.ship_order, order_id,
                ["ZIDAAAAAA1", "ZIDAAAAAA1"], FULFILMENT)
        refused("invalid_card_serial", app.ship_order, order_id, ["zid 1", "ZIDAAAAAA2"],
                FULFILMENT)
        app.ship_order(order_id, ["ZIDAAAAAA1", "ZIDAAAAAA2"], FULFILMENT)
        refused("order_shipped", app.ship_order, order_id, ["ZIDAAAAAA3", "ZIDAAAAAA4"],
                FULFILMENT)
        refused("order_shipped", app.cancel_order, order_id, "te laat", DOCTOR_A)

    def test_a_serial_ships_only_once(self, app, refused):
        first = app.place_order(URA_A, 1, "k1", DOCTOR_A)
        app.ship_order(first, ["ZIDAAAAAA1"], FULFILMENT)
        second = app.place_order(URA_A, 1, "k2", DOCTOR_A)
        refused("card_serial_already_shipped", app.ship_order, second, ["ZIDAAAAAA1"],
                FULFILMENT)

    def test_an_unshipped_order_can_be_cancelled(self, app, refused):
        order_id = app.place_order(URA_A, 2, "k", DOCTOR_A)
        app.cancel_order(order_id, "verkeerd aantal", DOCTOR_A)
        assert app.get_order(order_id).status.value == "cancelled"
        refused("order_cancelled", app.ship_order, order_id, ["ZIDAAAAAA1", "ZIDAAAAAA2"],
                FULFILMENT)


class TestR11ExpiryIsAFactAtItsMoment:
    def test_a_card_past_its_end_is_expired_before_the_event(self, app):
        card = create_card(app, ready_practice(app)[0])
        expires_at = app.get_card(card).expires_at
        clock_of(app).set(expires_at - timedelta(seconds=1))
        assert app.get_card(card).status_at(app.clock.now()) is CardStatus.ACTIVE
        clock_of(app).set(expires_at)
        assert app.get_card(card).status is CardStatus.ACTIVE
        assert app.get_card(card).status_at(app.clock.now()) is CardStatus.EXPIRED

    def test_the_expiry_job_appends_expired_once(self, app):
        card = create_card(app, ready_practice(app)[0])
        clock_of(app).set(app.get_card(card).expires_at)
        since = app.head()
        assert app.expire_cards() == [card]
        assert new_events(app, since) == ["Card.Expired", "Person.ActiveCardCleared"]
        assert app.expire_cards() == []
        assert app.head() == since + 2
        assert app.get_card(card).status is CardStatus.EXPIRED

    def test_a_personalisation_that_never_reports_back_is_abandoned_once(self, app):
        """The agent crashed after the CA issued certificates: the daily job records the
        failure, so the certificates go on the CRL; a finished job is left alone."""
        serials = ready_practice(app)
        stuck = app.start_card_creation(serials[0], ASSISTANT_A)
        certs, not_before = certificates_for(app, stuck.card_id)
        app.record_certificates_issued(stuck.card_id, stuck.job_id, certs, not_before, CA)
        done = create_card(app, serials[1], ASSISTANT_A2)
        clock_of(app).advance(timedelta(minutes=29))
        assert app.abandon_stale_personalisations() == []
        clock_of(app).advance(timedelta(minutes=1))
        since = app.head()
        assert app.abandon_stale_personalisations() == [stuck.card_id]
        assert new_events(app, since) == ["Card.PersonalisationFailed"]
        assert next(iter(app.read_log(after=since))).payload["step"] == "abandoned"
        assert app.get_card(stuck.card_id).status is CardStatus.BLANK
        assert app.get_card(done).status is CardStatus.ACTIVE
        assert app.abandon_stale_personalisations() == [] and app.head() == since + 1

    def test_the_job_leaves_revoked_and_running_cards_alone(self, app):
        serials = ready_practice(app)
        revoked = create_card(app, serials[0])
        app.revoke_card(revoked, "defect", ASSISTANT_A)
        clock_of(app).advance(timedelta(days=400))
        holder = replace(ASSISTANT_A2, not_after=T0 + timedelta(days=3650))
        running = create_card(app, serials[1], holder)
        clock_of(app).set(T0 + timedelta(days=3 * 365 + 2))
        assert app.expire_cards() == []
        assert app.get_card(running).status is CardStatus.ACTIVE


class TestR12ManagersHoldNoCard:
    def test_a_manager_cannot_create_a_card(self, app, refused):
        serials = ready_practice(app)
        app.appoint_manager(URA_A, BEHEERDER_A.uzi_number, BEHEERDER_A.name, "beheerder",
                            DOCTOR_A)
        refused("manager_cannot_hold_card", app.start_card_creation, serials[0], BEHEERDER_A)

    def test_a_cardholder_cannot_be_made_manager(self, app, refused):
        create_card(app, ready_practice(app)[0])
        refused("cardholder_cannot_be_manager", app.appoint_manager, URA_A,
                ASSISTANT_A.uzi_number, ASSISTANT_A.name, "beheerder", DOCTOR_A)

    def test_a_cardholder_cannot_register_a_practice(self, app, refused):
        create_card(app, ready_practice(app)[0])
        moved = replace(ASSISTANT_A, ura=URA_B)
        refused("cardholder_cannot_be_manager", app.register_practice, URA_B, "Nieuw",
                "apotheek", moved)

    def test_after_revoking_the_card_the_person_can_be_appointed(self, app):
        card = create_card(app, ready_practice(app)[0])
        app.revoke_card(card, "no_longer_eligible", ASSISTANT_A)
        app.appoint_manager(URA_A, ASSISTANT_A.uzi_number, ASSISTANT_A.name, "beheerder",
                            DOCTOR_A)

    def test_the_policy_can_be_switched_off(self):
        app = CardLifecycle(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                            clock=ManualClock(T0), policy=Policy(managers_hold_no_card=False))
        serials = ready_practice(app)
        app.appoint_manager(URA_A, BEHEERDER_A.uzi_number, BEHEERDER_A.name, "beheerder",
                            DOCTOR_A)
        create_card(app, serials[0], BEHEERDER_A)


class TestR13Suspension:
    @pytest.fixture
    def card(self, app):
        return create_card(app, ready_practice(app)[0])

    def test_the_holder_suspends_and_a_manager_resumes(self, app, card):
        app.suspend_card(card, "kaart kwijt", ASSISTANT_A)
        assert app.get_card(card).status is CardStatus.SUSPENDED
        app.resume_card(card, DOCTOR_A)
        assert app.get_card(card).status is CardStatus.ACTIVE

    def test_the_holder_cannot_resume(self, app, refused, card):
        app.suspend_card(card, "kwijt", ASSISTANT_A)
        refused("not_manager", app.resume_card, card, ASSISTANT_A)

    def test_a_suspended_card_can_still_be_revoked(self, app, card):
        app.suspend_card(card, "kwijt", DOCTOR_A)
        app.revoke_card(card, "loss_or_theft", DOCTOR_A)
        assert app.get_card(card).status is CardStatus.REVOKED

    def test_suspending_twice_or_resuming_an_active_card_is_refused(self, app, refused, card):
        refused("card_not_suspended", app.resume_card, card, DOCTOR_A)
        app.suspend_card(card, "kwijt", ASSISTANT_A)
        refused("card_suspended", app.suspend_card, card, "kwijt", ASSISTANT_A)

    def test_a_suspended_card_gets_no_guest_use(self, app, refused, card):
        app.register_practice(URA_B, "Elders", "apotheek", DOCTOR_B)
        app.suspend_card(card, "kwijt", ASSISTANT_A)
        refused("card_suspended", app.grant_guest_use, card, URA_B, T0.date(),
                T0.date() + timedelta(days=2), DOCTOR_B)

    def test_a_stranger_cannot_suspend(self, app, refused, card):
        refused("not_holder_or_manager", app.suspend_card, card, "x", ASSISTANT_A2)
        refused("invalid_reason", app.suspend_card, card, "   ", ASSISTANT_A)


class TestR16PinAndPuk:
    """A blocked PIN is unblocked at the workstation with the PUK (recorded without a
    secret); a blocked PUK ends the card as puk_blocked, and its holder may make a new one."""

    @pytest.fixture
    def serials(self, app):
        return ready_practice(app)

    @pytest.fixture
    def card(self, app, serials):
        return create_card(app, serials[0])

    def started(self, app, card):
        service = app.start_pin_service(card, ASSISTANT_A)
        app.claim_pin_service(card, service, "balie-pc", AGENT)
        return service

    def test_an_unblock_is_recorded_without_any_secret(self, app, card):
        since = app.head()
        service = self.started(app, card)
        app.record_pin_unblock(card, service, AGENT)
        assert new_events(app, since) == [
            "Card.PinServiceStarted", "Card.PinServiceClaimed", "Card.PinUnblocked"]
        unblocked = list(app.read_log(after=since))[-1]
        assert set(unblocked.payload) == {"service_id", "workstation"}
        assert unblocked.payload["workstation"] == "balie-pc"
        assert app.get_card(card).status is CardStatus.ACTIVE

    def test_a_service_unblocks_once(self, app, refused, card):
        service = self.started(app, card)
        app.record_pin_unblock(card, service, AGENT)
        refused("pin_service_not_open", app.record_pin_unblock, card, service, AGENT)
        refused("pin_service_not_open", app.record_puk_blocked, card, service, AGENT)

    def test_only_the_holder_starts_one(self, app, refused, card):
        refused("not_holder", app.start_pin_service, card, DOCTOR_A)
        refused("not_holder", app.start_pin_service, card, ASSISTANT_A2)

    def test_a_blocked_puk_revokes_the_card_and_frees_the_holder(self, app, card, serials):
        service = self.started(app, card)
        app.record_puk_blocked(card, service, AGENT)
        ended = app.get_card(card)
        assert ended.status is CardStatus.REVOKED
        assert ended.revocation_reason == "puk_blocked"
        assert app.find_person(ASSISTANT_A.uzi_number).current_card(app.clock.now()) is None
        create_card(app, serials[1])  # a new card for the same holder (R5)

    def test_a_suspended_card_whose_puk_blocks_is_revoked_too(self, app, card):
        service = self.started(app, card)
        app.suspend_card(card, "kwijt", ASSISTANT_A)
        app.record_puk_blocked(card, service, AGENT)
        assert app.get_card(card).revocation_reason == "puk_blocked"

    def test_the_pairing_is_claimed_once_and_in_time(self, app, refused, card):
        service = app.start_pin_service(card, ASSISTANT_A)
        refused("pin_service_not_claimed", app.record_pin_unblock, card, service, AGENT)
        app.claim_pin_service(card, service, "pc", AGENT)
        refused("job_already_claimed", app.claim_pin_service, card, service, "ander", AGENT)
        late = app.start_pin_service(card, ASSISTANT_A)
        refused("pin_service_not_open", app.claim_pin_service, card, service, "pc", AGENT)
        clock_of(app).advance(timedelta(minutes=16))
        refused("pairing_expired", app.claim_pin_service, card, late, "pc", AGENT)

    def test_a_claimed_service_that_took_too_long_records_nothing(self, app, refused, card):
        service = self.started(app, card)
        clock_of(app).advance(timedelta(minutes=31))
        refused("pin_service_not_open", app.record_pin_unblock, card, service, AGENT)

    def test_a_revoked_card_has_no_pin_service(self, app, refused, card):
        service = self.started(app, card)
        app.revoke_card(card, "defect", ASSISTANT_A)
        refused("card_revoked", app.start_pin_service, card, ASSISTANT_A)
        refused("card_revoked", app.record_puk_blocked, card, service, AGENT)

    def test_a_card_not_yet_in_use_has_none(self, app, refused, serials):
        refused("card_not_active", app.start_pin_service,
                app.get_card_by_serial(serials[2]).id, ASSISTANT_A)


class TestR14RenewalByCard:
    """In its last 90 days the holder, logged in with the card itself, starts its
    successor; at most ZORGID_MAX_CARD_RENEWALS times in a row without a fresh proof."""

    @pytest.fixture
    def serials(self, app):
        return ready_practice(app, serials=4)

    def by_card(self, holder=ASSISTANT_A, app=None, card=None):
        """Logged in with the ZORG-ID card: its certificate is valid as long as the card."""
        if card is None:
            return replace(holder, zorgid_card=True)
        found = app.get_card(card)
        return replace(holder, zorgid_card=True, not_before=found.activated_at,
                       not_after=found.expires_at)

    def near_the_end(self, app, card, days=80):
        ends = app.get_card(card).expires_at
        clock_of(app).advance(ends - app.clock.now() - timedelta(days=days))

    def renew(self, app, old, serial, holder=ASSISTANT_A):
        started = app.start_renewal_on_new_card(old, serial, self.by_card(holder, app, old))
        certificates, not_before = certificates_for(app, started.card_id)
        app.record_certificates_issued(started.card_id, started.job_id, certificates,
                                       not_before, CA)
        app.activate_card(started.card_id, started.job_id, AGENT)
        return started.card_id

    def test_the_holder_renews_in_the_last_90_days_and_the_old_card_is_superseded(
            self, app, serials):
        old = create_card(app, serials[0])
        self.near_the_end(app, old)
        new = self.renew(app, old, serials[1])
        assert app.get_card(old).revocation_reason == "superseded"
        assert app.get_card(new).status is CardStatus.ACTIVE
        started = [e for e in app.read_log() if e.type == "Card.CreationStarted"][-1]
        assert (started.payload["identity_proof"], started.payload["renewals_since_proof"],
                str(started.payload["renews"])) == ("card_renewal", 1, str(old))

    def test_before_the_window_it_says_when_it_opens(self, app, refused, serials):
        old = create_card(app, serials[0])
        self.near_the_end(app, old, days=91)
        opens = app.get_card(old).renewal_opens_on(timedelta(days=90))
        with pytest.raises(RuleViolation) as refusal:
            app.start_renewal_on_new_card(old, serials[1], self.by_card())
        assert refusal.value.code == "renewal_window_not_open"
        assert opens.isoformat() in refusal.value.message
        refused("renewal_window_not_open", app.start_renewal_on_new_card, old, serials[1],
                self.by_card())

    def test_only_with_the_card_and_only_its_holder(self, app, refused, serials):
        old = create_card(app, serials[0])
        self.near_the_end(app, old)
        refused("card_login_required", app.start_renewal_on_new_card, old, serials[1],
                ASSISTANT_A)
        refused("not_holder", app.start_renewal_on_new_card, old, serials[1],
                self.by_card(ASSISTANT_A2))

    def test_a_second_renewal_in_a_row_needs_a_fresh_proof(self, app, refused, serials):
        old = create_card(app, serials[0])
        self.near_the_end(app, old)
        new = self.renew(app, old, serials[1])
        self.near_the_end(app, new)
        refused("fresh_identity_required", app.start_renewal_on_new_card, new, serials[2],
                self.by_card(ASSISTANT_A, app, new))
        renewed_pass = replace(ASSISTANT_A, not_before=app.clock.now() - timedelta(days=1),
                               not_after=app.clock.now() + timedelta(days=1800))
        fresh = create_card(app, serials[2], renewed_pass)  # the UZI pass: a fresh proof
        self.near_the_end(app, fresh)
        self.renew(app, fresh, serials[3], renewed_pass)

    def test_the_number_in_a_row_is_configurable(self, app, serials):
        app.policy = replace(app.policy, max_card_renewals=2)
        old = create_card(app, serials[0])
        self.near_the_end(app, old)
        new = self.renew(app, old, serials[1])
        self.near_the_end(app, new)
        self.renew(app, new, serials[2])


class TestR17Reminders:
    """Each reminder is claimed once per person, card and threshold before it is sent,
    and confirmed after; only those who left an address get one; a failure the mail
    server reported may be tried again, a claim left unconfirmed may not."""

    JOB = Actor.system("reminder-job")

    @pytest.fixture
    def card(self, app):
        serials = ready_practice(app)
        app.register_practice(URA_B, "Waarneem", "apotheek", DOCTOR_B)
        card = create_card(app, serials[0])
        app.request_link(card, URA_B, ASSISTANT_A)
        app.link_card(card, URA_B, DOCTOR_B)
        return card

    def test_the_holder_and_the_managers_of_linked_practices_with_an_address(self, app, card):
        assert app.reminder_recipients(card) == []
        app.set_email("  Bea@Praktijk-Noord.NL ", ASSISTANT_A)
        app.set_email("dirk@apotheek.example", DOCTOR_B)
        assert [(r.uzi_number, r.email, r.ura) for r in app.reminder_recipients(card)] == [
            (ASSISTANT_A.uzi_number, "Bea@praktijk-noord.nl", None),
            (DOCTOR_B.uzi_number, "dirk@apotheek.example", URA_B)]
        app.unlink_card(card, URA_B, DOCTOR_B)  # not the practice's card any more
        app.remove_email(ASSISTANT_A)
        assert app.reminder_recipients(card) == []

    def test_a_reminder_is_claimed_once_and_confirmed(self, app, card):
        app.set_email("bea@praktijk.nl", ASSISTANT_A)
        since = app.head()
        uzi = ASSISTANT_A.uzi_number
        assert app.claim_reminder(uzi, card, 90, "<1@zorgid>", self.JOB) == "claimed"
        # unconfirmed: not sent again
        assert app.claim_reminder(uzi, card, 90, "<2@zorgid>", self.JOB) == "sending"
        app.confirm_reminder(uzi, card, 90, True, "", self.JOB)
        assert app.claim_reminder(uzi, card, 90, "<3@zorgid>", self.JOB) == "sent"
        # the next one
        assert app.claim_reminder(uzi, card, 30, "<4@zorgid>", self.JOB) == "claimed"
        assert new_events(app, since) == [
            "Person.ReminderSending", "Person.ReminderSent", "Person.ReminderSending"]

    def test_a_refused_sending_may_be_tried_again(self, app, refused, card):
        app.set_email("bea@praktijk.nl", ASSISTANT_A)
        uzi = ASSISTANT_A.uzi_number
        refused("reminder_not_sending", app.confirm_reminder, uzi, card, 7, True, "",
                self.JOB)
        assert app.claim_reminder(uzi, card, 7, "<1@zorgid>", self.JOB) == "claimed"
        app.confirm_reminder(uzi, card, 7, False, "SMTPRecipientsRefused", self.JOB)
        assert app.claim_reminder(uzi, card, 7, "<2@zorgid>", self.JOB) == "claimed"

    def test_no_address_no_reminder_and_a_bad_address_is_refused(self, app, refused, card):
        assert app.claim_reminder(ASSISTANT_A.uzi_number, card, 90, "<1@z>",
                                  self.JOB) == "no_address"
        for bad in ("", "bea", "bea@", "@praktijk.nl", "bea@@praktijk.nl", "a" * 250 + "@b.nl"):
            refused("invalid_email", app.set_email, bad, ASSISTANT_A)


class TestEveryEventRecordsItsActor:
    def test_actor_and_moment_on_every_event(self, app):
        card = create_card(app, ready_practice(app)[0])
        app.revoke_card(card, "defect", ASSISTANT_A)
        for event in app.read_log():
            assert event.actor["kind"] in ("person", "system")
            assert event.timestamp.tzinfo is not None
        assert Person.create_id(ASSISTANT_A.uzi_number) == app.find_person(
            ASSISTANT_A.uzi_number).id
        assert Actor.system("expiry-job").to_dict() == {"kind": "system", "name": "expiry-job"}


class TestOtherRefusals:
    def test_unknown_ids_are_not_found(self, app, refused):
        from uuid import uuid4

        refused("card_not_found", app.revoke_card, uuid4(), "defect", DOCTOR_A)
        refused("order_not_found", app.ship_order, uuid4(), ["ZIDAAAAAA1"], FULFILMENT)
        refused("mandate_not_found", app.revoke_mandate, uuid4(), "", DOCTOR_A)
        refused("practice_not_found", app.place_order, URA_B, 1, "k", DOCTOR_B)

    def test_a_blank_card_takes_no_card_commands(self, app, refused):
        serial = ready_practice(app)[0]
        card_id = app.get_card_by_serial(serial).id
        refused("card_not_active", app.link_card, card_id, URA_A, DOCTOR_A)
        refused("card_not_personalising", app.activate_card, card_id, card_id, AGENT)
        refused("card_not_personalising", app.record_personalisation_failure, card_id, card_id,
                "x", "", AGENT)

    def test_certificates_are_issued_once_and_not_empty(self, app, refused):
        started = app.start_card_creation(ready_practice(app)[0], ASSISTANT_A)
        certs, not_before = certificates_for(app, started.card_id)
        refused("no_certificates", app.record_certificates_issued, started.card_id,
                started.job_id, [], not_before, CA)
        app.record_certificates_issued(started.card_id, started.job_id, certs, not_before, CA)
        refused("certificates_already_issued", app.record_certificates_issued,
                started.card_id, started.job_id, certs, not_before, CA)

    def test_the_ca_is_told_before_signing_whether_the_job_may_have_certificates(self, app):
        """So the CA signs nothing the store would refuse to record."""
        from uuid import uuid4

        from domain.errors import RuleViolation

        started = app.start_card_creation(ready_practice(app)[0], ASSISTANT_A)
        app.certificate_validity(started.card_id, started.job_id)  # may
        with pytest.raises(RuleViolation) as stale:
            app.certificate_validity(started.card_id, uuid4())
        assert stale.value.code == "stale_personalisation_job"
        certs, not_before = certificates_for(app, started.card_id)
        app.record_certificates_issued(started.card_id, started.job_id, certs, not_before, CA)
        with pytest.raises(RuleViolation) as twice:
            app.certificate_validity(started.card_id, started.job_id)
        assert twice.value.code == "certificates_already_issued"

    def test_an_unknown_guest_use_is_not_found(self, app, refused):
        from uuid import uuid4

        card = create_card(app, ready_practice(app)[0])
        refused("guest_use_not_found", app.end_guest_use, card, uuid4(), DOCTOR_A)

    def test_a_card_not_past_its_end_is_not_expired(self, app):
        from domain.errors import RuleViolation

        card = create_card(app, ready_practice(app)[0])
        aggregate = app.get_card(card)
        with pytest.raises(RuleViolation) as caught:
            aggregate.expire(AGENT, app.clock.now())
        assert caught.value.code == "card_not_due"


class TestIdsOfPersonalDataAreKeyed:
    """A uuid5 over a public namespace gives the UZI number back to anyone who tries all
    nine-digit numbers; with the deployment's key the id reveals nothing without it."""

    def test_with_a_key_person_and_mandate_ids_are_not_the_public_uuid5(self, app):
        from domain.base import PersonalIds

        app.personal_ids = PersonalIds(b"k" * 32)
        ready_practice(app)
        app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, T0 + timedelta(days=30), DOCTOR_A)
        person = app.find_person(DOCTOR_A.uzi_number)  # the practice's administrator
        assert person is not None
        assert person.id != Person.create_id(DOCTOR_A.uzi_number)
        assert person.id == PersonalIds(b"k" * 32)("person", DOCTOR_A.uzi_number)
        assert person.id != PersonalIds(b"j" * 32)("person", DOCTOR_A.uzi_number)
        mandate_ids = {e.originator_id for e in app.read_log() if e.type == "Mandate.Granted"}
        assert mandate_ids and Mandate.create_id(
            URA_A, DOCTOR_A.uzi_number, ASSISTANT_A.uzi_number) not in mandate_ids

    def test_without_the_key_a_store_that_needs_it_refuses_commands_not_reads(self, app):
        from domain.base import PersonalIds

        ready_practice(app)
        app.personal_ids = PersonalIds(refusal=lambda: RuleViolation("no_key", "no key"))
        with pytest.raises(RuleViolation, match="no key"):
            app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, T0 + timedelta(days=30), DOCTOR_A)
        assert list(app.read_log())  # reading the log needs no key
