"""Safe to run in production: secrets, several processes and nodes on one store, files at
rest, and input that once made the server fail. Each class is one defect found by trying
the system as an operator and an attacker would."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher

from adapters.bootstrap import Settings, job_secret
from adapters.secrets import SecretFileError, create_secret_file, ensure_hex_secret
from domain.base import PersonalIds


def _start_together(args: tuple[str, multiprocessing.synchronize.Barrier]) -> str:
    directory, barrier = args
    barrier.wait()
    return ensure_hex_secret(Path(directory) / "http-job.key").hex()


class TestSecretFilesAreWholeOrAbsent:
    def test_an_empty_job_secret_is_refused_not_used(self, tmp_path: Path) -> None:
        (tmp_path / "http-job.key").write_text("")
        with pytest.raises(SecretFileError, match="fewer than"):
            job_secret(Settings(data_dir=tmp_path))

    def test_the_server_does_not_start_on_an_empty_job_secret(self, tmp_path: Path) -> None:
        from adapters.bootstrap import init_data_dir
        from adapters.http.app import create_app

        settings = Settings(data_dir=tmp_path / "data")
        init_data_dir(settings)
        (settings.data_dir / "http-job.key").write_text("")  # a start killed mid-write
        with pytest.raises(SecretFileError):
            create_app(settings)

    def test_a_short_or_garbled_secret_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "http-job.key").write_text("abcd\n")
        with pytest.raises(SecretFileError):
            job_secret(Settings(data_dir=tmp_path))
        (tmp_path / "http-job.key").write_text("not hex at all\n")
        with pytest.raises(SecretFileError, match="hex"):
            job_secret(Settings(data_dir=tmp_path))

    def test_processes_starting_together_all_get_the_same_full_secret(
            self, tmp_path: Path) -> None:
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, context.Pool(4) as pool:
            for round_ in range(25):
                directory = tmp_path / f"round{round_}"
                directory.mkdir()
                barrier = manager.Barrier(4)
                secrets = pool.map(_start_together, [(str(directory), barrier)] * 4)
                assert len(set(secrets)) == 1, f"round {round_}: {secrets}"
                assert len(bytes.fromhex(secrets[0])) == 32
                assert sorted(p.name for p in directory.iterdir()) == ["http-job.key"]

    def test_a_secret_file_is_private_from_its_first_byte(self, tmp_path: Path) -> None:
        old = os.umask(0)
        try:
            assert create_secret_file(tmp_path / "s.key", b"x" * 32)
        finally:
            os.umask(old)
        assert (tmp_path / "s.key").stat().st_mode & 0o777 == 0o600
        assert not create_secret_file(tmp_path / "s.key", b"y" * 32)  # never replaced
        assert (tmp_path / "s.key").read_bytes() == b"x" * 32


class TestARevokedUziPassEndsAtOnce:
    def test_a_new_crl_ends_the_login_of_a_pass_it_revokes_on_the_next_request(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import datetime as dt

        from cryptography.hazmat.primitives import serialization
        from fastapi.testclient import TestClient

        from adapters.pki.certificates import Holder
        from adapters.pki.hierarchy import UziTestHierarchy
        from tests.integration.test_http_api import header, make_api

        now = dt.datetime.now(dt.UTC)
        pki = UziTestHierarchy()
        issued = pki.issue_pass(Holder("900020001", "N", "90000382", "00.000", "00000000",
                                       "Bea", "Assistent", "Praktijk"),
                                now - dt.timedelta(days=30), now + dt.timedelta(days=900))
        files = [tmp_path / "z.crl", tmp_path / "n.crl"]

        def publish() -> None:
            for file, crl in zip(files, pki.crls(now - dt.timedelta(minutes=5)), strict=True):
                file.write_bytes(crl.public_bytes(serialization.Encoding.DER))

        publish()
        client = TestClient(make_api(tmp_path / "data", pki, monkeypatch,
                                     uzi_crl_files=tuple(files)))
        assert client.get("/v1/me", headers=header(issued)).status_code == 200
        pki.revoke(issued, now - dt.timedelta(minutes=1))
        publish()  # the fetch job brings the new list
        refused = client.get("/v1/me", headers=header(issued))
        assert refused.status_code == 401
        assert refused.json()["code"] == "certificate_revoked"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from fastapi.testclient import TestClient

    from tests.integration.http_world import build_world, make_identities

    identities = make_identities(tmp_path_factory.mktemp("card-ca"))
    api, headers, values, monkey = build_world(identities, tmp_path_factory.mktemp("w") / "d")
    yield TestClient(api), headers, values
    monkey.undo()


def _head(client) -> int:  # type: ignore[no-untyped-def]
    return int(client.app.state.lifecycle.head())


class TestInputThatOnceMadeTheServerFail:
    """A lone surrogate cannot be encoded as UTF-8 and broke the event encoder; a date at
    the end of the calendar overflowed. Both are bad input: 422, and nothing appended."""

    @pytest.mark.parametrize("route, body", [
        ("/v1/practices/90000382/managers",
         '{"uzi_number": "900020088", "name": "Bea \\ud800", "role": "beheerder"}'),
        ("/v1/cards/{card}/suspension", '{"reason": "kwijt \\udfff"}'),
        ("/v1/practices", '{"ura": "90000417", "name": "\\ud800", "kind": "apotheek"}'),
    ])
    def test_a_lone_surrogate_in_a_name_or_reason_is_refused(self, world, route, body):
        client, headers, values = world
        caller = "other_administrator" if route == "/v1/practices" else "administrator"
        before = _head(client)
        answer = client.post(route.format(**values), content=body,
                             headers={**headers[caller], "Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"].startswith("invalid_")
        assert _head(client) == before

    @pytest.mark.parametrize("starts_on", ["2026-01-01", "9999-12-31"])
    def test_a_guest_use_ending_at_the_end_of_the_calendar_is_refused(self, world, starts_on):
        client, headers, values = world
        before = _head(client)
        answer = client.post(f"/v1/cards/{values['card']}/guest-uses",
                             json={"host_ura": "90000417", "starts_on": starts_on,
                                   "ends_on": "9999-12-31"},
                             headers=headers["other_administrator"])
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "date_out_of_range"
        assert _head(client) == before

    def test_a_mandate_until_the_last_moment_of_the_calendar_is_refused(self, world):
        client, headers, _ = world
        before = _head(client)
        answer = client.post("/v1/practices/90000382/mandates",
                             json={"mandatee_uzi_number": "900020002",
                                   "valid_until": "9999-12-31T23:59:59-05:00"},
                             headers=headers["care_provider"])
        assert answer.status_code == 409, answer.text  # a rule, not an overflow
        assert answer.json()["code"] == "mandate_too_long"
        assert _head(client) == before


class TestTheApiAnswersInItsOwnShape:
    def test_a_quantity_must_be_a_number_not_a_boolean_or_a_string(self, world):
        client, headers, _ = world
        before = _head(client)
        for quantity in (True, "5", 2.0):
            answer = client.post("/v1/practices/90000382/orders", json={"quantity": quantity},
                                 headers={**headers["administrator"], "Idempotency-Key": "q"})
            assert answer.status_code == 422, (quantity, answer.text)
            assert answer.json()["code"] == "invalid_field"
        assert _head(client) == before

    @pytest.mark.parametrize("method, path, content_type, body, status, code", [
        ("GET", "/v1/no-such-route", None, None, 404, "not_found"),
        ("PUT", "/v1/practices/90000382", None, None, 405, "method_not_allowed"),
        ("POST", "/v1/cards", "application/json", "{not json", 400, "malformed"),
        ("POST", "/v1/cards", "text/plain", '{"card_serial": "ZID000000002"}', 422,
         "invalid_field"),
        ("POST", "/v1/cards", "application/json", '["a list"]', 422, "invalid_field"),
    ])
    def test_unknown_routes_wrong_methods_and_unparsable_bodies_answer_code_and_message(
            self, world, method, path, content_type, body, status, code):
        client, headers, _ = world
        extra = {"Content-Type": content_type} if content_type else {}
        answer = client.request(method, path, content=body,
                                headers={**headers["holder"], **extra})
        assert answer.status_code == status, answer.text
        assert set(answer.json()) == {"code", "message"} and answer.json()["code"] == code


class TestBodiesAreBoundedAndReadOnlyFromCallersWithACredential:
    @staticmethod
    def _stream(pulled: list[int], chunks: int = 100):  # type: ignore[no-untyped-def]
        for _ in range(chunks):
            pulled.append(1)
            yield b" " * (1024 * 1024)

    def test_an_anonymous_body_is_refused_before_it_is_read(self, world):
        client, _, _ = world
        pulled: list[int] = []
        answer = client.post("/v1/practices", content=self._stream(pulled),
                             headers={"Content-Type": "application/json"})
        assert answer.status_code == 401 and answer.json()["code"] == "no_credential"
        assert len(pulled) <= 2  # of the 100 MB the client had to send

    def test_a_large_body_is_refused_with_413_and_read_only_up_to_the_limit(self, world):
        """Through a real server socket: the 413 arrives while the client is still sending,
        and the server closes the connection instead of reading the other 99 MB."""
        import socket
        import threading

        import uvicorn

        from tests.conftest import free_port

        client, headers, _ = world
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            while not server.started:
                threading.Event().wait(0.02)
            for declared in (True, False):
                head = ["POST /v1/practices HTTP/1.1", "Host: x", "Content-Type: application/json"]
                head += [f"{k}: {v}" for k, v in headers["administrator"].items()]
                head.append("Content-Length: 104857600" if declared
                            else "Transfer-Encoding: chunked")
                sent = 0
                with socket.create_connection(("127.0.0.1", port)) as conn:
                    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
                    chunk = b" " * 65536
                    framed = chunk if declared else b"10000\r\n" + chunk + b"\r\n"
                    try:
                        while sent < 100 * 1024 * 1024:
                            conn.sendall(framed)
                            sent += len(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    answer = conn.recv(65536).decode(errors="replace")
                assert answer.startswith("HTTP/1.1 413"), answer[:200]
                assert "body_too_large" in answer
                assert sent < 20 * 1024 * 1024, f"the server read {sent} bytes"
        finally:
            server.should_exit = True
            thread.join(10)

    def test_a_body_within_the_limit_still_reaches_the_route(self, world):
        client, headers, _ = world
        padded = '{"card_serial": "ZID000000002"' + " " * 500_000 + "}"
        answer = client.post("/v1/cards", content=padded,
                             headers={**headers["colleague"], "Content-Type": "application/json"})
        assert answer.status_code == 201, answer.text


class TestRebuildingTheViewsWhileAServerRuns:
    def test_it_is_refused_in_one_line_and_leaves_no_scratch_file(self, tmp_path: Path):
        import sqlite3

        from click.testing import CliRunner

        from adapters.cli.main import cli

        data = tmp_path / "data"
        runner = CliRunner()
        assert runner.invoke(cli, ["demo", "--data-dir", str(data), "--practices", "2"]
                             ).exit_code == 0
        assert runner.invoke(cli, ["project", "--data-dir", str(data)]).exit_code == 0
        server = sqlite3.connect(str(data / "views.sqlite3"))  # as a running server holds it
        server.execute("SELECT count(*) FROM cards").fetchone()
        try:
            result = runner.invoke(cli, ["project", "--data-dir", str(data), "--rebuild"])
        finally:
            server.close()
        assert result.exit_code == 1, result.output
        assert "views_in_use" in result.output and "Traceback" not in result.output
        assert not list(data.glob("views.sqlite3.building*"))
        rebuilt = runner.invoke(cli, ["project", "--data-dir", str(data), "--rebuild"])
        assert rebuilt.exit_code == 0, rebuilt.output


class TestFilesAtRestAreTheOwnersOnly:
    def test_init_an_existing_open_directory_closes_it_and_every_database_is_private(
            self, tmp_path: Path) -> None:
        from click.testing import CliRunner

        from adapters.cli.main import cli

        data = tmp_path / "data"
        data.mkdir(mode=0o755)
        data.chmod(0o755)
        old = os.umask(0o022)  # a usual login shell's umask
        try:
            runner = CliRunner()
            for args in (["init"], ["demo", "--practices", "2"], ["project"],
                         ["audit", "seal"]):
                result = runner.invoke(cli, [*args, "--data-dir", str(data)])
                assert result.exit_code == 0, (args, result.output)
            as_of = tmp_path / "then.sqlite3"
            assert runner.invoke(cli, ["audit", "as-of", "2030-01-01T00:00:00Z", "--out",
                                       str(as_of), "--data-dir", str(data)]).exit_code == 0
        finally:
            os.umask(old)
        assert data.stat().st_mode & 0o777 == 0o700
        files = [p for p in data.iterdir() if p.is_file()] + [as_of]
        assert {p.name for p in files} >= {"events.sqlite3", "views.sqlite3", "audit.sqlite3",
                                           "cipher.key", "then.sqlite3"}
        loose = {p.name: oct(p.stat().st_mode & 0o777) for p in files
                 if p.stat().st_mode & 0o077 and p.name != "seal.pub"}
        assert loose == {}

    def test_an_existing_world_readable_store_is_made_private_when_opened(self, tmp_path):
        from adapters.bootstrap import init_data_dir, open_lifecycle

        settings = Settings(data_dir=tmp_path / "data")
        init_data_dir(settings)
        settings.events_path.touch()
        settings.events_path.chmod(0o644)
        open_lifecycle(settings).close()
        assert settings.events_path.stat().st_mode & 0o777 == 0o600

    def test_serve_refuses_a_store_without_a_key_unless_told_so(self, tmp_path):
        from click.testing import CliRunner

        from adapters.cli.main import cli

        data = tmp_path / "plain"
        data.mkdir()
        result = CliRunner().invoke(cli, ["serve", "--data-dir", str(data), "--port", "1"])
        assert result.exit_code == 1
        assert "no encryption key" in result.output and "Traceback" not in result.output


def _start_server(args: tuple[str, multiprocessing.synchronize.Barrier]) -> str:
    from adapters.http.app import create_app

    directory, barrier = args
    barrier.wait()
    try:
        app = create_app(Settings(data_dir=Path(directory)))
    except Exception as error:  # the test reports what went wrong, per process
        import traceback

        where = " | ".join(traceback.format_exc().splitlines()[-8:-2])
        return f"{type(error).__name__}: {error} at {where}"
    app.state.lifecycle.close()
    return "started"


class TestServersStartingTogether:
    def test_two_servers_on_a_fresh_data_dir_both_start(self, tmp_path: Path) -> None:
        from adapters.bootstrap import init_data_dir

        context = multiprocessing.get_context("spawn")
        outcomes = []
        with context.Manager() as manager, context.Pool(2) as pool:
            for round_ in range(15):
                settings = Settings(data_dir=tmp_path / f"round{round_}")
                init_data_dir(settings)
                barrier = manager.Barrier(2)
                outcomes += pool.map(_start_server, [(str(settings.data_dir), barrier)] * 2)
        assert set(outcomes) == {"started"}, [o for o in outcomes if o != "started"][:3]


def _zorgid(*args: str, url: str | None = None):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from adapters.cli.main import cli

    env = {"ZORGID_DATABASE_URL": url} if url else {}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.postgres
class TestAStoreKnowsItsKey:
    """Two nodes on one PostgreSQL store, each set up with `zorgid init`, used to commit
    events under two keys; after that every route answered 500 on both nodes."""

    def test_a_second_node_does_not_make_a_key_of_its_own(self, tmp_path, postgres_url):
        first, second = tmp_path / "node1", tmp_path / "node2"
        assert _zorgid("init", "--data-dir", str(first), url=postgres_url).exit_code == 0
        refused = _zorgid("init", "--data-dir", str(second), url=postgres_url)
        assert refused.exit_code == 1 and "store_has_key" in refused.output
        assert not (second / "cipher.key").exists()
        assert not (second / "personal-ids.key").exists()

    def test_a_node_with_another_key_is_refused_before_it_writes(self, tmp_path, postgres_url):
        import shutil

        from adapters.bootstrap import init_data_dir, open_lifecycle

        first, second = tmp_path / "node1", tmp_path / "node2"
        node1 = Settings(data_dir=first, database_url=postgres_url)
        init_data_dir(node1)
        app = open_lifecycle(node1)
        from tests.support import DOCTOR_A, URA_A

        app.register_practice(URA_A, "Praktijk", "huisartsenpraktijk", DOCTOR_A)
        head = app.head()
        app.close()
        # node 2 set up by hand with a key of its own
        second.mkdir()
        (second / "cipher.key").write_text(AESCipher.create_key(32) + "\n")
        shutil.copy(first / "personal-ids.key", second / "personal-ids.key")
        from adapters.bootstrap import ConfigurationError

        with pytest.raises(ConfigurationError) as wrong:
            open_lifecycle(Settings(data_dir=second, database_url=postgres_url))
        assert wrong.value.code == "wrong_cipher_key"
        # with the deployment's keys copied, node 2 reads and writes the same store
        shutil.copy(first / "cipher.key", second / "cipher.key")
        node2 = open_lifecycle(Settings(data_dir=second, database_url=postgres_url))
        assert node2.head() == head
        assert node2.get_practice(URA_A).name == "Praktijk"
        node2.close()

    def test_serve_refuses_the_wrong_key_in_one_line(self, tmp_path, postgres_url):
        first, second = tmp_path / "node1", tmp_path / "node2"
        assert _zorgid("init", "--data-dir", str(first), url=postgres_url).exit_code == 0
        second.mkdir()
        (second / "cipher.key").write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")
        result = _zorgid("serve", "--data-dir", str(second), "--port", "1", url=postgres_url)
        assert result.exit_code == 1 and "wrong_cipher_key" in result.output


class TestUziNumbersCannotBeReadBackFromIds:
    def test_a_new_store_keys_the_ids_of_people_and_mandates(self, tmp_path):
        from adapters.bootstrap import init_data_dir, open_lifecycle
        from domain.person import Person
        from tests.support import DOCTOR_A, URA_A

        settings = Settings(data_dir=tmp_path / "data")
        init_data_dir(settings)
        app = open_lifecycle(settings)
        app.register_practice(URA_A, "Praktijk", "huisartsenpraktijk", DOCTOR_A)
        ids = {e.originator_id for e in app.read_log() if e.type == "Person.Identified"}
        assert ids and Person.create_id(DOCTOR_A.uzi_number) not in ids
        app.close()
        again = open_lifecycle(settings)  # a restart derives the same ids
        assert again.find_person(DOCTOR_A.uzi_number) is not None
        again.close()

    def test_a_store_from_before_keeps_its_ids(self, tmp_path):
        import sqlite3

        from adapters.bootstrap import init_data_dir, open_lifecycle
        from domain.person import Person
        from tests.support import DOCTOR_A, URA_A

        settings = Settings(data_dir=tmp_path / "data")
        init_data_dir(settings)
        app = open_lifecycle(settings)
        app.personal_ids = PersonalIds()  # the ids every store had before
        app.register_practice(URA_A, "Praktijk", "huisartsenpraktijk", DOCTOR_A)
        app.close()
        # as a store written before this version: no recorded facts
        with sqlite3.connect(settings.events_path) as conn:
            conn.execute("DROP TABLE zorgid_store")
        reopened = open_lifecycle(settings)
        person = reopened.find_person(DOCTOR_A.uzi_number)
        assert person is not None and person.id == Person.create_id(DOCTOR_A.uzi_number)
        reopened.close()


class TestBackupOfALiveStore:
    """Copying events.sqlite3 under live writers lost events, and audit verify passed
    because the lost ones came after the last seal."""

    def test_a_backup_taken_under_writers_restores_whole_verified_and_rebuilt(
            self, tmp_path: Path) -> None:
        import threading

        from click.testing import CliRunner

        from adapters.bootstrap import init_data_dir, open_lifecycle
        from adapters.cli.main import cli
        from domain.clock import ManualClock
        from projections.runner import ApplicationSource, build_fresh, open_views
        from tests.integration.test_projections import dump
        from tests.support import T0, uzi_pass

        settings = Settings(data_dir=tmp_path / "live")
        init_data_dir(settings)
        runner = CliRunner()
        writer = open_lifecycle(settings, clock=ManualClock(T0))
        for n in range(30):
            ura = f"{10_000_000 + n}"
            writer.register_practice(ura, f"Praktijk {n}", "apotheek", uzi_pass(
                f"{900_100_000 + n}", "Z", ura))
        assert runner.invoke(cli, ["audit", "seal", "--data-dir", str(settings.data_dir)]
                             ).exit_code == 0
        stop = threading.Event()

        def write() -> None:
            n = 30
            while not stop.is_set():
                ura = f"{10_000_000 + n}"
                writer.register_practice(ura, f"Praktijk {n}", "apotheek", uzi_pass(
                    f"{900_100_000 + n}", "Z", ura))
                n += 1

        thread = threading.Thread(target=write)
        thread.start()
        try:
            out = tmp_path / "backup"
            made = runner.invoke(cli, ["backup", "--data-dir", str(settings.data_dir),
                                       "--out", str(out)])
        finally:
            stop.set()
            thread.join()
        assert made.exit_code == 0, made.output
        manifest = json.loads((out / "backup.json").read_text())
        position = manifest["position"]
        assert writer.head() > position > 60  # the writers went on during the backup
        writer.close()

        restored = tmp_path / "restored"
        done = runner.invoke(cli, ["restore", "--from", str(out), "--data-dir", str(restored)])
        assert done.exit_code == 0, done.output
        verified = runner.invoke(cli, ["audit", "verify", "--data-dir", str(restored)])
        assert verified.exit_code == 0, verified.output
        assert f"1..{position}" in verified.output  # sealed up to the backup, not before
        original = open_lifecycle(settings)
        try:
            reference = tmp_path / "reference.sqlite3"
            build_fresh(reference, ApplicationSource(original), stop=position)
            assert dump(open_views(restored / "views.sqlite3")) == dump(open_views(reference))
        finally:
            original.close()
        assert (restored / "cipher.key").stat().st_mode & 0o777 == 0o600

    def test_a_damaged_backup_or_a_used_directory_is_refused(self, tmp_path: Path) -> None:
        from click.testing import CliRunner

        from adapters.cli.main import cli

        runner = CliRunner()
        data, out = tmp_path / "d", tmp_path / "b"
        assert runner.invoke(cli, ["demo", "--data-dir", str(data), "--practices", "2"]
                             ).exit_code == 0
        assert runner.invoke(cli, ["backup", "--data-dir", str(data), "--out", str(out)]
                             ).exit_code == 0
        used = runner.invoke(cli, ["restore", "--from", str(out), "--data-dir", str(data)])
        assert used.exit_code == 1 and "restore_target_not_empty" in used.output
        events = out / "events.sqlite3"
        events.write_bytes(events.read_bytes()[:-1] + b"\x01")
        damaged = runner.invoke(cli, ["restore", "--from", str(out), "--data-dir",
                                      str(tmp_path / "new")])
        assert damaged.exit_code == 1 and "backup_damaged" in damaged.output
        assert not (tmp_path / "new").exists()


@pytest.mark.postgres
def test_a_postgresql_deployment_backs_up_its_files_and_restores_onto_its_dump(
        tmp_path: Path, postgres_url: str) -> None:
    from adapters.backup import backup, restore
    from adapters.bootstrap import init_data_dir, open_lifecycle
    from domain.clock import SystemClock
    from tests.support import DOCTOR_A, URA_A

    settings = Settings(data_dir=tmp_path / "node", database_url=postgres_url)
    init_data_dir(settings)
    app = open_lifecycle(settings)
    app.register_practice(URA_A, "Praktijk", "huisartsenpraktijk", DOCTOR_A)
    app.close()
    made = backup(settings, tmp_path / "backup", SystemClock().now())
    assert made.store == "postgresql" and made.position is None
    manifest = json.loads((tmp_path / "backup" / "backup.json").read_text())
    assert "pg_dump" in manifest["events"] and "events.sqlite3" not in manifest["files"]
    # the database itself is restored with pg_restore; here it is still in place
    restored = restore(tmp_path / "backup",
                       Settings(data_dir=tmp_path / "restored", database_url=postgres_url))
    assert restored.views_events > 0
    assert (tmp_path / "restored" / "cipher.key").read_text() == \
        (tmp_path / "node" / "cipher.key").read_text()


class TestChangingTheCipherKey:
    @pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)])
    def test_rekey_writes_every_event_again_under_a_new_key_and_the_old_one_no_longer_opens(
            self, tmp_path, kind, request):
        from click.testing import CliRunner

        from adapters.bootstrap import ConfigurationError, open_lifecycle
        from adapters.cli.main import cli

        runner = CliRunner()
        old_url = new_url = None
        if kind == "postgres":
            old_url = request.getfixturevalue("postgres_url")
            base, _, _ = old_url.partition("?schema=")
            new_url = f"{base}?schema={old_url.rpartition('=')[2]}_new"
            import psycopg

            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{new_url.rpartition("=")[2]}"')
        env = {"ZORGID_DATABASE_URL": old_url} if old_url else {}
        old, new = tmp_path / "old", tmp_path / "new"
        assert runner.invoke(cli, ["demo", "--data-dir", str(old), "--practices", "3"],
                             env=env).exit_code == 0
        if old_url:
            assert runner.invoke(cli, ["init", "--data-dir", str(old)], env=env).exit_code == 1
        assert runner.invoke(cli, ["audit", "seal", "--data-dir", str(old)],
                             env=env).exit_code == 0
        args = ["rekey", "--data-dir", str(old), "--out", str(new)]
        if new_url:
            args += ["--to-database-url", new_url]
        done = runner.invoke(cli, args, env=env)
        assert done.exit_code == 0, done.output
        new_env = {"ZORGID_DATABASE_URL": new_url} if new_url else {}
        events = [runner.invoke(cli, ["events", "--data-dir", str(d), "--json"], env=e).output
                  for d, e in ((old, env), (new, new_env))]
        assert events[0] == events[1] and events[0].count("\n") > 30
        assert runner.invoke(cli, ["audit", "verify", "--data-dir", str(new)],
                             env=new_env).exit_code == 0
        if not old_url:  # the new store refuses the old key
            (new / "cipher.key").write_bytes((old / "cipher.key").read_bytes())
            with pytest.raises(ConfigurationError) as refused:
                open_lifecycle(Settings(data_dir=new))
            assert refused.value.code == "wrong_cipher_key"
