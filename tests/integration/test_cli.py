"""The real `zorgid` CLI, in-process, on SQLite files (and PostgreSQL for the demo)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli

COMMANDS = [["init"], ["demo"], ["events"], ["expire"], ["project"], ["billing", "invoices"],
            ["audit", "history"], ["audit", "as-of"], ["audit", "export"], ["audit", "seal"],
            ["audit", "verify"]]


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("ZORGID_DATA_DIR", raising=False)
    monkeypatch.delenv("ZORGID_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo") / "data"
    result = CliRunner().invoke(cli, ["demo", "--data-dir", str(directory), "--practices", "6",
                                      "--seed", "3"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return directory


class TestHelp:
    def test_the_group_and_every_command_show_an_example(self, run):
        assert "Example" in run("--help").output
        for command in COMMANDS:
            result = run(*command, "--help")
            assert result.exit_code == 0
            assert "Example" in result.output and "--data-dir" in result.output, command
        for group in ("billing", "audit"):
            assert "Example" in run(group, "--help").output


class TestInit:
    def test_init_creates_the_directory_and_keeps_its_key(self, run, tmp_path):
        directory = tmp_path / "d"
        first = run("init", "--data-dir", str(directory))
        assert first.exit_code == 0 and "initialised" in first.output
        key = (directory / "cipher.key").read_text()
        again = run("init", "--data-dir", str(directory))
        assert again.exit_code == 0 and "already initialised" in again.output
        assert (directory / "cipher.key").read_text() == key

    def test_the_data_dir_comes_from_the_environment(self, run, tmp_path):
        result = run("init", env={"ZORGID_DATA_DIR": str(tmp_path / "env")})
        assert result.exit_code == 0
        assert (tmp_path / "env" / "cipher.key").exists()


class TestDemo:
    def test_the_demo_prints_a_summary(self, run, tmp_path):
        result = run("demo", "--data-dir", str(tmp_path / "d"), "--practices", "4")
        assert result.exit_code == 0, result.output
        assert "practices             4" in result.output
        assert "events stored" in result.output

    def test_the_same_seed_gives_the_same_history(self, run, tmp_path):
        outputs = []
        for name in ("a", "b"):
            directory = str(tmp_path / name)
            assert run("demo", "--data-dir", directory, "--practices", "3", "--seed", "9") \
                .exit_code == 0
            outputs.append(run("events", "--data-dir", directory, "--json").output)
        assert outputs[0] == outputs[1] and outputs[0].count("\n") > 50

    def test_a_demo_into_a_store_with_events_is_refused_in_one_line(self, run, demo_dir):
        result = run("demo", "--data-dir", str(demo_dir))
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            result.output.strip().splitlines()[0]
        ]
        assert "store_not_empty" in result.output

    @pytest.mark.postgres
    def test_the_demo_runs_on_postgresql(self, run, postgres_url, tmp_path):
        result = run("demo", "--data-dir", str(tmp_path), "--practices", "3",
                     env={"ZORGID_DATABASE_URL": postgres_url})
        assert result.exit_code == 0, result.output
        events = run("events", "--json", "--limit", "2",
                     env={"ZORGID_DATABASE_URL": postgres_url})
        assert [json.loads(line)["position"] for line in events.output.splitlines()] == [1, 2]


class TestEvents:
    def test_json_lines_carry_the_auditors_fields_in_order(self, run, demo_dir):
        result = run("events", "--data-dir", str(demo_dir), "--json")
        assert result.exit_code == 0
        records = [json.loads(line) for line in result.output.splitlines()]
        assert [r["position"] for r in records] == list(range(1, len(records) + 1))
        for record in records:
            assert {"position", "type", "originator_id", "originator_version", "timestamp",
                    "actor", "payload"} <= record.keys()
            assert record["actor"]["kind"] in ("person", "system")
        assert {"Practice.Registered", "Card.Activated", "Mandate.Granted"} <= {
            r["type"] for r in records}

    def test_after_and_limit_page_through_the_log(self, run, demo_dir):
        result = run("events", "--data-dir", str(demo_dir), "--json", "--after", "10",
                     "--limit", "5")
        assert [json.loads(x)["position"] for x in result.output.splitlines()] == [
            11, 12, 13, 14, 15]

    def test_the_text_form_is_one_line_per_event(self, run, demo_dir):
        result = run("events", "--data-dir", str(demo_dir), "--limit", "3")
        lines = result.output.splitlines()
        assert len(lines) == 3 and "Practice.Registered" in lines[0]

    def test_a_missing_store_is_one_line_and_exit_1(self, run, tmp_path):
        result = run("events", "--data-dir", str(tmp_path / "none"))
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1
        assert "configuration_error" in result.output
        assert not (tmp_path / "none").exists()

    def test_bad_options_are_usage_errors(self, run, demo_dir):
        assert run("events", "--data-dir", str(demo_dir), "--limit", "0").exit_code == 2
        assert run("events", "--data-dir", str(demo_dir), "--after", "x").exit_code == 2

    def test_a_wrong_key_is_one_line_not_a_traceback(self, run, tmp_path):
        directory = tmp_path / "d"
        assert run("demo", "--data-dir", str(directory), "--practices", "1").exit_code == 0
        (directory / "cipher.key").write_text("A" * 43 + "=\n")
        result = run("events", "--data-dir", str(directory), "--limit", "1")
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1


class TestExpire:
    def test_expire_is_idempotent(self, run, demo_dir):
        first = run("expire", "--data-dir", str(demo_dir))
        assert first.exit_code == 0 and "card(s) expired" in first.output
        second = run("expire", "--data-dir", str(demo_dir))
        assert second.output.strip() == "0 card(s) expired"


class TestProjectAndBilling:
    def test_project_then_invoices_as_json_and_csv(self, run, demo_dir):
        result = run("project", "--data-dir", str(demo_dir))
        assert result.exit_code == 0 and "views at position" in result.output
        again = run("project", "--data-dir", str(demo_dir), "--rebuild")
        assert again.output == result.output
        from projections.runner import open_views

        db = open_views(demo_dir / "views.sqlite3")
        period = db.conn.execute("SELECT period FROM invoices LIMIT 1").fetchone()[0]
        as_json = run("billing", "invoices", "--data-dir", str(demo_dir), "--period", period)
        invoices = [json.loads(line) for line in as_json.output.splitlines()]
        assert invoices and all(i["period"] == period for i in invoices)
        as_csv = run("billing", "invoices", "--data-dir", str(demo_dir), "--period", period,
                     "--format", "csv")
        rows = as_csv.output.splitlines()
        assert rows[0].startswith("invoice_number,order_id,ura")
        assert len(rows) == 1 + sum(len(i["lines"]) for i in invoices)

    def test_bad_periods_and_missing_views_are_one_line(self, run, demo_dir, tmp_path):
        bad = run("billing", "invoices", "--data-dir", str(demo_dir), "--period", "2026-13")
        assert bad.exit_code == 1 and bad.output.startswith("zorgid: invalid_period:")
        run("init", "--data-dir", str(tmp_path / "empty"))
        missing = run("billing", "invoices", "--data-dir", str(tmp_path / "empty"),
                      "--period", "2026-11")
        assert missing.exit_code == 1 and "zorgid project" in missing.output
        assert not (tmp_path / "empty" / "views.sqlite3").exists()
