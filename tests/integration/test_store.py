"""The event store adapters against the real thing: SQLite files and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import IntegrityError, StoredEvent

from adapters.bootstrap import (
    ConfigurationError,
    Settings,
    init_data_dir,
    open_lifecycle,
    postgres_env,
)
from domain.application import CardLifecycle
from domain.base import natural_id
from domain.clock import ManualClock
from domain.errors import ConcurrencyConflict
from domain.order import BlankCardOrder
from tests.support import (
    ASSISTANT_A,
    DOCTOR_A,
    DOCTOR_B,
    T0,
    URA_A,
    create_card,
    make_app,
    ready_practice,
    uzi_pass,
)


class TestPersistence:
    def test_history_survives_closing_and_reopening_the_store(self, store_settings):
        store_settings.data_dir.mkdir(parents=True, exist_ok=True)
        app = make_app(env=store_settings.store_env())
        card = create_card(app, ready_practice(app)[0])
        head = app.head()
        app.close()
        reopened = make_app(env=store_settings.store_env())
        assert reopened.head() == head
        assert reopened.get_card(card).holder["uzi_number"] == ASSISTANT_A.uzi_number
        assert [e.position for e in reopened.read_log()] == list(range(1, head + 1))
        reopened.close()

    def test_a_conflicting_write_is_detected_not_lost(self, store_settings):
        """Two writers with the same aggregate version: the store refuses the second."""
        store_settings.data_dir.mkdir(parents=True, exist_ok=True)
        first = make_app(env=store_settings.store_env())
        card_id = create_card(first, ready_practice(first)[0])
        second = make_app(env=store_settings.store_env())
        mine, theirs = first.get_card(card_id), second.get_card(card_id)
        mine.suspend("kwijt", ASSISTANT_A.actor(), T0)
        theirs.suspend("gestolen", ASSISTANT_A.actor(), T0)
        first.save(mine)
        with pytest.raises(IntegrityError):
            second.save(theirs)
        assert second.get_card(card_id).suspension_reason == "kwijt"
        first.close()
        second.close()


def _grant_guest_uses(settings: Settings, host_ura: str, host_pass_args: tuple, card_id: str,
                      count: int, offset: int, start_together, conflicts) -> None:
    import logging

    class CountConflicts(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "lost a concurrent write" in record.getMessage():
                with conflicts.get_lock():
                    conflicts.value += 1

    logging.getLogger("domain.application").addHandler(CountConflicts())
    logging.getLogger("domain.application").setLevel(logging.INFO)
    app = open_lifecycle(settings, clock=ManualClock(T0))
    host = uzi_pass(*host_pass_args)
    start_together.wait(60)
    for week in range(count):
        start = T0.date() + timedelta(days=7 * (2 * week + offset))
        app.grant_guest_use(UUID(card_id), host_ura, start, start + timedelta(days=5), host)
    app.close()


class TestConcurrentProcesses:
    def test_two_processes_changing_one_card_lose_no_event(self, store_settings):
        """Both processes append to the same card at once; optimistic concurrency makes
        the loser reload and retry, so every command lands exactly once."""
        store_settings.data_dir.mkdir(parents=True, exist_ok=True)
        app = make_app(env=store_settings.store_env())
        card_id = create_card(app, ready_practice(app)[0])
        app.register_practice(DOCTOR_B.ura, "Host", "apotheek", DOCTOR_B)
        version_before = app.get_card(card_id).version
        app.close()
        per_process = 40
        context = multiprocessing.get_context("spawn")
        start_together = context.Barrier(2)
        conflicts = context.Value("i", 0)
        workers = [
            context.Process(target=_grant_guest_uses, args=(
                store_settings, DOCTOR_B.ura,
                (DOCTOR_B.uzi_number, "Z", DOCTOR_B.ura, None, ("Dirk", "Dokter"),
                 DOCTOR_B.not_before, 5),
                str(card_id), per_process, offset, start_together, conflicts))
            for offset in (0, 1)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
            assert worker.exitcode == 0
        check = make_app(env=store_settings.store_env())
        card = check.get_card(card_id)
        assert len(card.guest_uses) == 2 * per_process
        assert card.version == version_before + 2 * per_process
        versions = [e.originator_version for e in check.read_log() if e.originator_id == card_id]
        assert versions == list(range(1, card.version + 1))
        print(f"{conflicts.value} lost writes were retried")
        check.close()

    def test_a_writer_that_keeps_losing_gets_a_clear_conflict(self, monkeypatch):
        app = make_app()
        ready_practice(app)

        def always_conflicts(*aggregates, **kwargs):
            raise IntegrityError("simulated: someone else wrote first")

        monkeypatch.setattr(app, "save", always_conflicts)
        with pytest.raises(ConcurrencyConflict) as caught:
            app.place_order(URA_A, 1, "busy", DOCTOR_A)
        assert caught.value.code == "concurrent_modification"


class TestIdempotentOrdersAcrossProcesses:
    def test_the_same_key_from_two_app_instances_is_one_order(self, store_settings):
        store_settings.data_dir.mkdir(parents=True, exist_ok=True)
        a = make_app(env=store_settings.store_env())
        a.register_practice(URA_A, "P", "apotheek", DOCTOR_A)
        b = make_app(env=store_settings.store_env())
        assert a.place_order(URA_A, 2, "same", DOCTOR_A) == b.place_order(
            URA_A, 2, "same", DOCTOR_A)
        assert sum(1 for e in b.read_log() if e.type == "BlankCardOrder.Placed") == 1
        a.close()
        b.close()


class TestEventVersioning:
    def test_an_order_placed_with_the_version_1_payload_is_upcast(self, tmp_path):
        """Version 1 of Placed stored euro strings; the store still has such payloads."""
        settings = Settings(data_dir=tmp_path)
        app = make_app(env=settings.store_env())
        order_id = BlankCardOrder.create_id(URA_A, "legacy-1")
        v1_state = {
            "timestamp": T0,
            "originator_topic": "zorgid:BlankCardOrder",
            "actor": DOCTOR_A.actor().to_dict(),
            "practice_ura": URA_A,
            "quantity": 3,
            "unit_price_eur": "75.00",
            "shipping_eur": "6.95",
            "vat_rate_percent": "21",
            "idempotency_key": "legacy-1",
        }  # no class_version in the state: that is how version 1 was stored
        app.recorder.insert_events([StoredEvent(
            originator_id=order_id, originator_version=1,
            topic="zorgid:BlankCardOrder.Placed",
            state=app.mapper.transcoder.encode(v1_state),
        )])
        order = app.get_order(order_id)
        assert (order.pricing.unit_price_cents, order.pricing.shipping_cents,
                order.pricing.vat_rate_bp) == (7500, 695, 2100)
        assert order.net_cents() == 3 * 7500 + 695
        assert BlankCardOrder.Placed.class_version == 2
        app.close()

    def test_a_creation_started_with_the_version_1_payload_reads_as_a_uzi_pass_proof(
            self, tmp_path):
        """Version 1 of CreationStarted had no identity proof: every card then was made
        with a UZI pass, so it reads as one, with no renewals before it (R14)."""
        from domain.card import Card, CardStatus
        from tests.support import FULFILMENT, ready_practice

        settings = Settings(data_dir=tmp_path)
        app = make_app(env=settings.store_env())
        serial = ready_practice(app)[0]
        card = app.get_card_by_serial(serial)
        holder = {"uzi_number": "900020001", "name": "Bea Assistent", "given_name": "Bea",
                  "surname": "Assistent", "ura": URA_A, "role": "00.000", "agb": "00000000"}
        v1_state = {"timestamp": T0, "originator_topic": "zorgid:Card",
                    "actor": FULFILMENT.to_dict(), "job_id": Card.create_id("JOB000001"),
                    "holder": holder}  # as version 1 was stored: no class_version
        app.recorder.insert_events([StoredEvent(
            originator_id=card.id, originator_version=card.version + 1,
            topic="zorgid:Card.CreationStarted", state=app.mapper.transcoder.encode(v1_state))])
        read = app.get_card(card.id)
        assert read.status is CardStatus.PERSONALISING and read.renewals_since_proof == 0
        [started] = [e for e in app.read_log() if e.type == "Card.CreationStarted"]
        assert (started.payload["identity_proof"], started.payload["renews"]) == (
            "uzi_pass", None)
        assert Card.CreationStarted.class_version == 2
        app.close()

    def test_every_event_class_has_a_version_and_a_stable_topic(self):
        from domain.card import Card
        from domain.mandate import Mandate
        from domain.person import Person
        from domain.practice import Practice

        for aggregate in (Practice, BlankCardOrder, Card, Mandate, Person):
            events = [v for k, v in vars(aggregate).items()
                      if isinstance(v, type) and k != "Event" and hasattr(v, "TOPIC")]
            assert events
            for cls in events:
                assert isinstance(cls.class_version, int) and cls.class_version >= 1
                assert cls.TOPIC.startswith(f"zorgid:{aggregate.__name__}.")


class TestEncryptionAtRest:
    def test_init_creates_a_key_only_the_owner_reads(self, tmp_path):
        settings = Settings(data_dir=tmp_path / "d")
        assert init_data_dir(settings) is True
        mode = stat.S_IMODE(os.stat(settings.key_path).st_mode)
        assert mode == 0o600
        key = settings.key_path.read_text()
        assert init_data_dir(settings) is False
        assert settings.key_path.read_text() == key  # never replaced

    def test_personal_data_is_not_readable_in_the_file(self, tmp_path):
        settings = Settings(data_dir=tmp_path / "d")
        init_data_dir(settings)
        app = make_app(env=settings.store_env())
        create_card(app, ready_practice(app)[0])
        app.close()
        raw = b"".join(row[0] for row in sqlite3.connect(settings.events_path).execute(
            "SELECT state FROM stored_events"))
        for secret in (ASSISTANT_A.surname, ASSISTANT_A.uzi_number, "Huisartsenpraktijk"):
            assert secret.encode() not in raw
        reopened = make_app(env=settings.store_env())
        assert any(e.actor.get("name") == ASSISTANT_A.name for e in reopened.read_log())
        reopened.close()

    def test_encryption_on_postgres(self, postgres_url, tmp_path):
        settings = Settings(data_dir=tmp_path, database_url=postgres_url,
                            cipher_key=AESCipher.create_key(32))
        app = make_app(env=settings.store_env())
        ready_practice(app)
        app.close()
        import psycopg

        url, schema = postgres_url.split("?schema=")
        with psycopg.connect(url) as conn:
            rows = conn.execute(f'SELECT state FROM "{schema}".cardlifecycle_events').fetchall()
        assert rows and all(DOCTOR_A.surname.encode() not in bytes(r[0]) for r in rows)

    def test_a_key_cannot_be_added_to_a_store_with_plain_events(self, tmp_path):
        settings = Settings(data_dir=tmp_path)
        app = make_app(env=settings.store_env())
        ready_practice(app)
        app.close()
        with pytest.raises(ConfigurationError):
            init_data_dir(settings)
        assert not settings.key_path.exists()


class TestSettings:
    def test_postgres_url_becomes_library_settings(self):
        env = postgres_env("postgresql://app:s%40cret@db.example:6543/cards?schema=zorgid")
        assert env["POSTGRES_HOST"] == "db.example"
        assert env["POSTGRES_PORT"] == "6543"
        assert env["POSTGRES_PASSWORD"] == "s@cret"
        assert env["POSTGRES_DBNAME"] == "cards"
        assert env["POSTGRES_SCHEMA"] == "zorgid"

    def test_a_bad_url_is_a_clear_error(self):
        with pytest.raises(ConfigurationError):
            postgres_env("mysql://x/y")

    def test_settings_come_from_the_environment(self, tmp_path):
        settings = Settings.from_env(environ={
            "ZORGID_DATA_DIR": str(tmp_path), "ZORGID_CARD_PRICE_CENTS": "8000",
            "ZORGID_MANAGERS_HOLD_NO_CARD": "false"})
        assert settings.data_dir == Path(tmp_path)
        assert settings.pricing.unit_price_cents == 8000
        assert settings.policy.managers_hold_no_card is False
        with pytest.raises(ConfigurationError):
            Settings.from_env(environ={"ZORGID_VAT_RATE_BP": "21%"})

    def test_the_card_id_is_derived_from_the_serial(self):
        from domain.card import Card

        assert Card.create_id("ZID000000001") == natural_id("card", "ZID000000001")


def test_a_missing_data_directory_is_reported(tmp_path):
    with pytest.raises(ConfigurationError):
        open_lifecycle(Settings(data_dir=tmp_path / "nope"))


def test_store_app_fixture_is_a_real_application(store_app):
    assert isinstance(store_app, CardLifecycle)
