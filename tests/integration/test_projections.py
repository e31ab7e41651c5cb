"""Read models in a real SQLite file: what each view shows, R11, invoices, and that
any way of getting there (batches, restarts, two runners) equals a clean rebuild."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.demo import DEMO_START, DemoScenario
from domain.clock import ManualClock
from projections import (
    blank_cards,
    cards,
    expiry,
    guest_uses,
    invoices,
    mandates,
    orders,
    practices,
)
from projections.runner import ApplicationSource, Projector, all_views, open_views
from tests.support import (
    ASSISTANT_A,
    DOCTOR_A,
    DOCTOR_B,
    T0,
    URA_A,
    URA_B,
    clock_of,
    create_card,
    make_app,
    ready_practice,
)


def dump(db) -> dict[str, list[tuple]]:
    """Every row of every view table, in a stable order."""
    tables = [t for v in all_views() for t in v.tables] + ["projection_tracking"]
    return {t: sorted(db.conn.execute(f"SELECT * FROM [{t}]").fetchall(),
                      key=lambda r: tuple(str(x) for x in r)) for t in tables}


@pytest.fixture
def app():
    application = make_app()
    yield application
    application.close()


@pytest.fixture
def views(tmp_path):
    db = open_views(tmp_path / "views.sqlite3")
    yield db
    db.conn.close()


def project(app, db) -> Projector:
    projector = Projector(db)
    projector.run_until_caught_up(ApplicationSource(app))
    return projector


@pytest.fixture(scope="module")
def demo_app():
    application = make_app(start=DEMO_START)
    DemoScenario(application, practices=8, seed=5).run()
    return application


class TestWhatTheViewsShow:
    def test_a_card_through_its_life(self, app, views):
        serials = ready_practice(app)
        app.register_practice(URA_B, "Waarneem", "apotheek", DOCTOR_B)
        card_id = create_card(app, serials[0])
        app.request_link(card_id, URA_B, ASSISTANT_A)
        app.link_card(card_id, URA_B, DOCTOR_B)
        app.suspend_card(card_id, "kwijt", ASSISTANT_A)
        project(app, views)
        row = cards.card(views, str(card_id), app.clock.now())
        assert row["status"] == "suspended" and row["suspension_reason"] == "kwijt"
        assert row["holder_uzi_number"] == ASSISTANT_A.uzi_number
        assert row["links"] == sorted([URA_A, URA_B])
        assert [c["card_id"] for c in cards.cards_of_practice(views, URA_B, app.clock.now())] \
            == [str(card_id)]
        assert blank_cards.inventory(views, URA_A) == {"shipped": 3, "used": 1, "left": 2}
        app.revoke_card(card_id, "loss_or_theft", DOCTOR_A)
        project(app, views)
        row = cards.card(views, str(card_id), app.clock.now())
        assert (row["status"], row["revocation_reason"]) == ("revoked", "loss_or_theft")
        assert expiry.expiring(views, app.clock.now(), 5000) == []

    def test_practices_and_orders(self, app, views):
        ready_practice(app)
        app.appoint_manager(URA_A, "900040001", "Bert Beheer", "beheerder", DOCTOR_A)
        project(app, views)
        practice = practices.practice(views, URA_A)
        assert [m["uzi_number"] for m in practice["administrators"]] == [DOCTOR_A.uzi_number]
        assert [m["name"] for m in practice["beheerders"]] == ["Bert Beheer"]
        assert practices.roles_of(views, DOCTOR_A.uzi_number) == {URA_A: "administrator"}
        [order] = orders.orders_of(views, URA_A)
        assert (order["status"], order["quantity"], len(order["card_serials"])) == \
            ("shipped", 3, 3)
        assert order["total_cents"] == 22500 + 695 + 4871
        app.dismiss_manager(URA_A, "900040001", DOCTOR_A)
        project(app, views)
        assert practices.practice(views, URA_A)["beheerders"] == []

    def test_mandates_stay_with_the_person_on_a_replacement_card(self, app, views):
        serials = ready_practice(app)
        first = create_card(app, serials[0])
        app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, T0 + timedelta(days=400), DOCTOR_A)
        second = create_card(app, serials[1])
        project(app, views)
        now = app.clock.now()
        assert len(mandates.effective_for_uzi(views, ASSISTANT_A.uzi_number, now)) == 1
        assert len(mandates.effective_for_card(views, str(second), now)) == 1
        assert mandates.effective_for_card(views, str(first), now) == []  # superseded

    def test_guest_use_current_and_past(self, app, views):
        card_id = create_card(app, ready_practice(app)[0])
        app.register_practice(URA_B, "Waarneem", "apotheek", DOCTOR_B)
        app.grant_guest_use(card_id, URA_B, T0.date(), T0.date() + timedelta(days=2), DOCTOR_B)
        project(app, views)
        [use] = guest_uses.guest_uses(views, app.clock.now(), host_ura=URA_B)
        assert use["is_current"] and not use["is_past"]
        assert use["holder_uzi_number"] == ASSISTANT_A.uzi_number
        [later] = guest_uses.guest_uses(views, T0 + timedelta(days=3), card_id=str(card_id))
        assert later["is_past"] and not later["is_current"]


class TestR11ExpiredEverywhereAtOnce:
    def test_past_expires_at_every_view_reads_expired_before_the_event(self, app, views):
        card_id = create_card(app, ready_practice(app)[0])
        app.register_practice(URA_B, "Waarneem", "apotheek", DOCTOR_B)
        end = app.get_card(card_id).expires_at
        clock_of(app).set(end - timedelta(days=3))
        # a mandate that outlives the card: only the card's end can hide it
        app.grant_mandate(URA_A, ASSISTANT_A.uzi_number, end + timedelta(days=300), DOCTOR_A)
        app.grant_guest_use(card_id, URA_B, (end - timedelta(days=1)).date(), end.date(),
                            DOCTOR_B)
        project(app, views)
        before, at = end - timedelta(seconds=1), end
        assert cards.card(views, str(card_id), before)["status"] == "active"
        assert cards.card(views, str(card_id), at)["status"] == "expired"
        assert cards.cards_of_practice(views, URA_A, at, ["active"]) == []
        assert cards.status_counts(views, at) == {"expired": 1, "blank": 2}
        assert len(expiry.expiring(views, before, 1)) == 1
        assert expiry.expiring(views, at, 1000) == []
        assert guest_uses.guest_uses(views, before, host_ura=URA_B)[0]["is_current"]
        assert not guest_uses.guest_uses(views, at, host_ura=URA_B)[0]["is_current"]
        assert len(mandates.effective_for_card(views, str(card_id), before)) == 1
        assert mandates.effective_for_card(views, str(card_id), at) == []
        # and after the expiry job appends the event, nothing changes for readers
        clock_of(app).set(at)
        app.expire_cards()
        project(app, views)
        assert cards.card(views, str(card_id), at)["status"] == "expired"
        assert expiry.expiring(views, at - timedelta(days=5), 1000) == []

    def test_a_practice_sees_the_ends_of_the_cards_linked_to_it_now(self, app, views):
        card_id = create_card(app, ready_practice(app)[0])
        app.register_practice(URA_B, "Elders", "apotheek", DOCTOR_B)
        end = app.get_card(card_id).expires_at
        project(app, views)
        soon = end - timedelta(days=30)
        assert [c["card_id"] for c in expiry.expiring(views, soon, 90, URA_A)] == [str(card_id)]
        assert expiry.expiring(views, soon, 90, URA_B) == []
        app.unlink_card(card_id, URA_A, ASSISTANT_A)  # the employee left practice A
        app.request_link(card_id, URA_B, ASSISTANT_A)
        app.link_card(card_id, URA_B, DOCTOR_B)  # and works at B now
        project(app, views)
        assert expiry.expiring(views, soon, 90, URA_A) == []  # no former employee's UZI number
        assert [c["card_id"] for c in expiry.expiring(views, soon, 90, URA_B)] == [str(card_id)]

    def test_reminders_at_90_30_and_7_days(self, app, views):
        card_id = create_card(app, ready_practice(app)[0])
        end = app.get_card(card_id).expires_at
        project(app, views)
        assert expiry.reminders_due(views, end - timedelta(days=91)) == []
        for days_before, reminder in ((89, 90), (29, 30), (6, 7)):
            [due] = expiry.reminders_due(views, end - timedelta(days=days_before))
            assert due["days"] == reminder


class TestInvoices:
    def test_invoices_add_up_and_run_without_gaps_per_year(self, demo_app, views):
        project(demo_app, views)
        all_invoices = [i for year in range(2022, 2027) for month in range(1, 13)
                        for i in invoices.invoices(views, f"{year}-{month:02d}")]
        assert all_invoices
        by_year: dict[str, list] = {}
        for invoice in all_invoices:
            assert invoice["net_cents"] == sum(line["amount_cents"] for line in invoice["lines"])
            for line in invoice["lines"]:
                assert line["amount_cents"] == line["quantity"] * line["unit_price_cents"]
            assert invoice["total_cents"] == invoice["net_cents"] + invoice["vat_cents"]
            exact = invoice["net_cents"] * invoice["vat_rate_bp"] / 10_000
            assert abs(invoice["vat_cents"] - exact) <= 0.5
            year = invoice["invoice_number"].split("-")[0]
            assert invoice["issued_at"].startswith(year)
            by_year.setdefault(year, []).append(invoice)
        for year, items in by_year.items():
            numbers = sorted(int(i["invoice_number"].split("-")[1]) for i in items)
            assert numbers == list(range(1, len(numbers) + 1)), year
        positions = [r[0] for r in views.conn.execute(
            "SELECT position FROM invoices ORDER BY substr(invoice_number, 1, 4), "
            "invoice_number")]
        assert positions == sorted(positions)  # numbered in event order
        shipped = sum(1 for e in demo_app.read_log() if e.type == "BlankCardOrder.Shipped")
        assert len(all_invoices) == shipped  # one per shipped order, none for cancelled


class TestExactlyOnce:
    def test_a_live_projection_equals_a_clean_rebuild(self, demo_app, tmp_path):
        live = open_views(tmp_path / "live.sqlite3")
        projector = Projector(live)
        source = ApplicationSource(demo_app)
        while projector.run_batch(source, limit=97):
            pass
        rebuilt = open_views(tmp_path / "rebuilt.sqlite3")
        Projector(rebuilt).rebuild(source)
        assert dump(live) == dump(rebuilt)

    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.integers(1, 400), min_size=1, max_size=12))
    def test_any_batches_and_restarts_equal_the_rebuild(self, demo_app, tmp_path_factory,
                                                        batches):
        directory = tmp_path_factory.mktemp("batches")
        source = ApplicationSource(demo_app)
        db = open_views(directory / "v.sqlite3")
        for size in batches:  # a new runner each time: a restart between batches
            Projector(db).run_batch(source, limit=size)
        Projector(db).run_until_caught_up(source)
        reference = open_views(directory / "r.sqlite3")
        Projector(reference).rebuild(source)
        assert dump(db) == dump(reference)

    def test_two_runners_on_one_database_take_turns(self, demo_app, tmp_path):
        path = tmp_path / "shared.sqlite3"
        Projector(open_views(path))  # create the tables once
        source = ApplicationSource(demo_app)

        def run() -> None:
            db = open_views(path)
            projector = Projector(db)
            while projector.run_batch(source, limit=13):
                pass

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        reference = open_views(tmp_path / "r.sqlite3")
        Projector(reference).rebuild(source)
        assert dump(open_views(path)) == dump(reference)

    def test_a_failing_handler_rolls_back_the_whole_batch(self, demo_app, views):
        projector = Projector(views)
        source = ApplicationSource(demo_app)
        projector.run_batch(source, limit=50)
        before = dump(views)

        class Boom(Exception):
            pass

        def explode(notification):
            if notification.id > 70:
                raise Boom
            return demo_app.mapper.to_domain_event(notification)

        class Exploding(ApplicationSource):
            def to_event(self, notification):
                return explode(notification)

        with pytest.raises(Boom):
            projector.run_batch(Exploding(demo_app), limit=100)
        assert dump(views) == before
        assert projector.position() == 50


def test_views_database_lives_beside_the_store(tmp_path):
    from adapters.bootstrap import Settings

    assert Settings(data_dir=Path(tmp_path)).views_path == Path(tmp_path) / "views.sqlite3"
    assert isinstance(ManualClock(T0).now(), type(T0))


class TestRebuildIntoANewFile:
    def test_it_equals_the_in_place_rebuild_and_replaces_the_old_file(self, demo_app, tmp_path):
        from projections.runner import build_fresh

        path = tmp_path / "views.sqlite3"
        old = open_views(path)
        Projector(old).run_batch(ApplicationSource(demo_app), limit=500)  # leaves a WAL
        old.conn.close()
        assert build_fresh(path, ApplicationSource(demo_app)) == demo_app.head()
        reference = open_views(tmp_path / "reference.sqlite3")
        Projector(reference).rebuild(ApplicationSource(demo_app))
        rebuilt = open_views(path)
        assert dump(rebuilt) == dump(reference)
        assert not (tmp_path / "views.sqlite3.building").exists()
        # and the runner carries on with it as usual
        assert Projector(rebuilt).run_batch(ApplicationSource(demo_app)) == 0

    def test_a_failed_rebuild_leaves_the_old_views_untouched(self, demo_app, tmp_path):
        from projections.runner import build_fresh

        path = tmp_path / "views.sqlite3"
        db = open_views(path)
        Projector(db).run_until_caught_up(ApplicationSource(demo_app))
        before = dump(db)
        db.conn.close()

        class Failing(ApplicationSource):
            def select(self, after, limit):
                if after > 300:
                    raise OSError("the store went away")
                return super().select(after, 100)

        with pytest.raises(OSError):
            build_fresh(path, Failing(demo_app))
        assert dump(open_views(path)) == before
