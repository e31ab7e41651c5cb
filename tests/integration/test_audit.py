"""Auditor's tools on real SQLite stores: the seal catches every tampering we try,
history replays from the store, as-of rebuilds the past, export is stable."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.bootstrap import Settings, open_lifecycle
from adapters.cli.main import cli
from projections.runner import ApplicationSource, Projector, open_views
from tests.integration.test_projections import dump


def zorgid(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def sealed_store(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("audit") / "data"
    assert zorgid("demo", "--data-dir", str(data), "--practices", "5", "--seed", "2")\
        .exit_code == 0
    result = zorgid("audit", "seal", "--data-dir", str(data))
    assert result.exit_code == 0 and "signed checkpoint" in result.output
    return data


@pytest.fixture
def copy(sealed_store, tmp_path) -> Path:
    """A copy an auditor received: the store, the chain and the public key only."""
    target = tmp_path / "copy"
    target.mkdir()
    for name in ("events.sqlite3", "audit.sqlite3", "seal.pub", "cipher.key"):
        shutil.copy(sealed_store / name, target / name)
    return target


def verify(data: Path):
    return zorgid("audit", "verify", "--data-dir", str(data))


def store(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "events.sqlite3", isolation_level=None)


class TestSealAndVerify:
    def test_an_intact_store_verifies_with_the_public_key_alone(self, copy):
        assert not (copy / "seal.key").exists()
        result = verify(copy)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("intact:") and "last signed checkpoint" in result.output

    def test_an_edited_event_is_caught(self, copy):
        with store(copy) as conn:
            state = conn.execute("SELECT state FROM stored_events WHERE rowid = 40").fetchone()[0]
            conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 40",
                         (state[:-1] + bytes([state[-1] ^ 1]),))
        result = verify(copy)
        assert result.exit_code == 1
        assert "TAMPERED at position 40: modified" in result.output

    def test_a_deleted_event_is_caught(self, copy):
        with store(copy) as conn:
            conn.execute("DELETE FROM stored_events WHERE rowid = 25")
        result = verify(copy)
        assert result.exit_code == 1 and "position 25: deleted" in result.output

    def test_a_deletion_that_renumbers_the_rest_is_caught(self, copy):
        with store(copy) as conn:
            head = conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[0]
            conn.execute("DELETE FROM stored_events WHERE rowid = 30")
            for rowid in range(31, head + 1):
                conn.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?",
                             (rowid - 1, rowid))
        result = verify(copy)
        assert result.exit_code == 1 and "position 30: deleted" in result.output

    def test_two_swapped_events_are_caught(self, copy):
        with store(copy) as conn:
            conn.execute("UPDATE stored_events SET rowid = -1 WHERE rowid = 50")
            conn.execute("UPDATE stored_events SET rowid = 50 WHERE rowid = 51")
            conn.execute("UPDATE stored_events SET rowid = 51 WHERE rowid = -1")
        result = verify(copy)
        assert result.exit_code == 1 and "position 50: reordered" in result.output

    def test_an_inserted_event_is_caught(self, copy):
        with store(copy) as conn:
            head = conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[0]
            for rowid in range(head, 19, -1):
                conn.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?",
                             (rowid + 1, rowid))
            donor = conn.execute("SELECT originator_id, originator_version, topic, state "
                                 "FROM stored_events WHERE rowid = 5").fetchone()
            conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version,"
                         " topic, state) VALUES (20, ?, ?, ?, ?)",
                         ("0" * 32, 1, donor[2], donor[3]))
        result = verify(copy)
        assert result.exit_code == 1 and "position 20: inserted" in result.output

    def test_rewriting_the_chain_to_match_is_caught_by_the_signature(self, copy):
        """The attacker edits an event and recomputes the chain file; the signed
        checkpoint no longer matches and they cannot sign a new one."""
        from adapters.audit.seal import event_digest, next_link

        with store(copy) as conn:
            conn.execute("UPDATE stored_events SET topic = 'zorgid:Card.Resumed' "
                         "WHERE rowid = 60")
        settings = Settings(data_dir=copy)
        app = open_lifecycle(settings)
        chain = sqlite3.connect(copy / "audit.sqlite3", isolation_level=None)
        link = bytes(32)
        for notification in app.recorder.select_notifications(1, 100_000):
            digest = event_digest(notification)
            link = next_link(link, notification.id, digest)
            chain.execute("UPDATE chain SET digest = ?, link = ? WHERE position = ?",
                          (digest, link, notification.id))
        app.close()
        result = verify(copy)
        assert result.exit_code == 1 and "chain_altered" in result.output

    def test_a_forged_checkpoint_signature_is_caught(self, copy):
        chain = sqlite3.connect(copy / "audit.sqlite3", isolation_level=None)
        chain.execute("UPDATE checkpoints SET signature = zeroblob(64)")
        result = verify(copy)
        assert result.exit_code == 1 and "bad_signature" in result.output

    def test_another_public_key_does_not_verify(self, copy, tmp_path):
        other = tmp_path / "other"
        other.mkdir()
        assert zorgid("init", "--data-dir", str(other)).exit_code == 0
        assert zorgid("demo", "--data-dir", str(other / "d"), "--practices", "1").exit_code == 0
        assert zorgid("audit", "seal", "--data-dir", str(other / "d")).exit_code == 0
        result = zorgid("audit", "verify", "--data-dir", str(copy), "--public-key",
                        str(other / "d" / "seal.pub"))
        # says what is known: the key is not the seal's; it says nothing of tampering
        assert result.exit_code == 3, result.output
        assert result.output.startswith("signature does not verify with this key")
        assert "TAMPERED" not in result.output

    def test_a_changed_chain_file_is_reported_as_such_not_as_a_changed_event(self, copy):
        chain = sqlite3.connect(copy / "audit.sqlite3", isolation_level=None)
        chain.execute("UPDATE chain SET link = zeroblob(32) WHERE position = 40")
        chain.close()
        result = verify(copy)
        assert result.exit_code == 1
        assert result.output.startswith("CHAIN FILE ALTERED at position 40"), result.output
        assert "modified" not in result.output

    def test_a_store_never_sealed_says_so(self, tmp_path):
        data = tmp_path / "fresh"
        assert zorgid("demo", "--data-dir", str(data), "--practices", "1").exit_code == 0
        result = verify(data)
        assert result.exit_code == 1 and "never been sealed" in result.output
        assert "zorgid audit seal" in result.output and len(result.output.splitlines()) == 1

    def test_new_events_after_the_seal_are_reported_not_failed(self, sealed_store, tmp_path):
        data = tmp_path / "grow"
        shutil.copytree(sealed_store, data)
        app = open_lifecycle(Settings(data_dir=data))
        app.expire_cards()  # wall clock: the demo's cards due by now expire
        app.close()
        result = verify(data)
        assert result.exit_code == 0
        again = zorgid("audit", "seal", "--data-dir", str(data))
        assert again.exit_code == 0
        assert verify(data).exit_code == 0

    def test_verify_without_a_seal_is_one_line_and_exit_1(self, tmp_path):
        data = tmp_path / "d"
        assert zorgid("demo", "--data-dir", str(data), "--practices", "1").exit_code == 0
        assert zorgid("audit", "seal", "--data-dir", str(data)).exit_code == 0
        (data / "audit.sqlite3").unlink()
        result = verify(data)
        assert result.exit_code == 1 and "not_sealed" in result.output


class TestHistory:
    def test_every_event_with_actor_and_the_state_at_a_moment(self, sealed_store):
        result = zorgid("audit", "history", "ZID000000001", "--json", "--data-dir",
                        str(sealed_store))
        assert result.exit_code == 0, result.output
        record = json.loads(result.output)
        assert record["events"][0]["type"] == "Card.ShippedToPractice"
        assert all(e["actor"]["kind"] in ("person", "system") for e in record["events"])
        activated = next(e for e in record["events"] if e["type"] == "Card.Activated")
        moment = activated["timestamp"]
        earlier = zorgid("audit", "history", "ZID000000001", "--json", "--at", moment,
                         "--data-dir", str(sealed_store))
        state = json.loads(earlier.output)["state"]
        assert state["status"] == "active" and state["status_at"] == "active"
        assert json.loads(earlier.output)["events"][-1]["timestamp"] <= moment

    def test_a_practice_by_ura(self, sealed_store):
        app = open_lifecycle(Settings(data_dir=sealed_store))
        ura = next(app.read_log(limit=1)).payload["ura"]
        app.close()
        result = zorgid("audit", "history", ura, "--data-dir", str(sealed_store))
        assert result.exit_code == 0 and "Practice.Registered" in result.output

    @pytest.mark.parametrize(("args", "code"), [
        (["NOSUCHCARD1"], "unknown_target"),
        (["ZID000000001", "--at", "2020-01-01T00:00:00Z"], "before_first_event"),
        (["ZID000000001", "--at", "yesterday"], "invalid_timestamp"),
        (["ZID000000001", "--at", "2025-01-01T00:00:00"], "naive_datetime"),
    ])
    def test_bad_input_is_one_line_and_exit_1(self, sealed_store, args, code):
        result = zorgid("audit", "history", *args, "--data-dir", str(sealed_store))
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [f"zorgid: {code}: "
                                                      + result.output.split(": ", 2)[2].strip()]


class TestAsOfAndExport:
    def test_as_of_the_last_event_equals_the_live_views(self, sealed_store, tmp_path):
        app = open_lifecycle(Settings(data_dir=sealed_store))
        last = list(app.read_log())[-1].timestamp
        out = tmp_path / "asof.sqlite3"
        result = zorgid("audit", "as-of", last.isoformat(), "--out", str(out),
                        "--data-dir", str(sealed_store))
        assert result.exit_code == 0, result.output
        live = open_views(tmp_path / "live.sqlite3")
        Projector(live).rebuild(ApplicationSource(app))
        from projections.base import ts

        live.conn.execute("UPDATE cards SET status = 'expired' WHERE status IN "
                          "('active', 'suspended') AND expires_at <= ?", (ts(last),))
        assert dump(open_views(out)) == dump(live)
        app.close()

    def test_as_of_an_earlier_moment_leaves_later_events_out(self, sealed_store, tmp_path):
        app = open_lifecycle(Settings(data_dir=sealed_store))
        events = list(app.read_log())
        app.close()
        middle = events[len(events) // 2].timestamp
        out = tmp_path / "mid.sqlite3"
        assert zorgid("audit", "as-of", middle.isoformat(), "--out", str(out), "--data-dir",
                      str(sealed_store)).exit_code == 0
        conn = sqlite3.connect(out)
        practices = conn.execute("SELECT count(*) FROM practices").fetchone()[0]
        expected = sum(1 for e in events if e.type == "Practice.Registered"
                       and e.timestamp <= middle)
        assert practices == expected
        again = zorgid("audit", "as-of", middle.isoformat(), "--out", str(out), "--data-dir",
                       str(sealed_store))
        assert again.exit_code == 1 and "output_exists" in again.output

    def test_export_is_json_lines_in_a_stable_field_order(self, sealed_store):
        result = zorgid("audit", "export", "--from", "3", "--to", "7", "--data-dir",
                        str(sealed_store))
        lines = result.output.splitlines()
        assert [json.loads(line)["position"] for line in lines] == [3, 4, 5, 6, 7]
        for line in lines:
            assert list(json.loads(line)) == ["position", "type", "topic", "originator_id",
                                              "originator_version", "timestamp", "actor",
                                              "payload"]
        assert result.output == zorgid("audit", "export", "--from", "3", "--to", "7",
                                       "--data-dir", str(sealed_store)).output
        bad = zorgid("audit", "export", "--from", "9", "--to", "3", "--data-dir",
                     str(sealed_store))
        assert bad.exit_code == 1 and "invalid_range" in bad.output


def test_a_row_no_reader_can_parse_is_caught_where_it_is(copy):
    with store(copy) as conn:
        conn.execute("UPDATE stored_events SET originator_id = 'not-an-id' WHERE rowid = 33")
    result = verify(copy)
    assert result.exit_code == 1 and "TAMPERED at position 33: modified" in result.output
