"""The small things an operator meets at the command line: one line and an exit code for
every mistake, never a traceback; tokens that can be listed and withdrawn; serials in
any case; timestamps that say how to add their zone."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from adapters.bootstrap import Settings
from adapters.cli.main import cli
from adapters.http.app import create_app


@pytest.fixture
def run(monkeypatch):
    for name in ("ZORGID_DATA_DIR", "ZORGID_DATABASE_URL", "ZORGID_CA_PASSPHRASE",
                 "ZORGID_TRUST_ANCHORS"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def one_line(result, code: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert code in result.output, result.output


def test_the_card_ca_wants_a_long_passphrase_and_says_when_it_does_not_open(run, tmp_path):
    data = str(tmp_path / "data")
    assert run("init", "--data-dir", data).exit_code == 0
    one_line(run("ca", "init", "--data-dir", data, env={"ZORGID_CA_PASSPHRASE": "kort"}),
             "passphrase_too_short")
    assert not (tmp_path / "data" / "ca" / "card-ca.key").exists()
    one_line(run("ca", "crl", "--data-dir", data, "--out", str(tmp_path / "x.crl"),
                 env={"ZORGID_CA_PASSPHRASE": "a long enough passphrase"}), "no_card_ca")
    good = {"ZORGID_CA_PASSPHRASE": "a long enough passphrase"}
    assert run("ca", "init", "--data-dir", data, env=good).exit_code == 0
    kept = run("ca", "init", "--data-dir", data, env=good)
    assert kept.exit_code == 0 and "kept" in kept.output
    one_line(run("ca", "init", "--data-dir", data,
                 env={"ZORGID_CA_PASSPHRASE": "another long passphrase"}), "wrong_ca_passphrase")


def test_serve_with_a_missing_trust_anchors_file_is_one_line(run, tmp_path):
    data = str(tmp_path / "data")
    assert run("init", "--data-dir", data).exit_code == 0
    one_line(run("serve", "--data-dir", data,
                 env={"ZORGID_TRUST_ANCHORS": str(tmp_path / "nowhere.pem")}),
             "trust_anchors_missing")


def test_tokens_are_listed_labelled_and_withdrawn(run, tmp_path):
    data = tmp_path / "data"
    assert run("init", "--data-dir", str(data)).exit_code == 0
    token = run("tokens", "create", "--data-dir", str(data), "--role", "billing", "--label",
                "boekhouding").output.strip()
    listed = run("tokens", "list", "--data-dir", str(data))
    assert "billing" in listed.output and "boekhouding" in listed.output
    assert "never" in listed.output and token not in listed.output  # never the token itself
    api = TestClient(create_app(Settings(data_dir=data)))
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/v1/me", headers=bearer).status_code == 200
    used = run("tokens", "list", "--data-dir", str(data), "--json").output
    assert '"last_used": "20' in used  # the use was noted (to the minute)
    token_id = used.split('"id": "')[1][:12]
    gone = run("tokens", "withdraw", "--data-dir", str(data), token_id)
    assert gone.exit_code == 0 and "billing, boekhouding" in gone.output
    refused = api.get("/v1/me", headers=bearer)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")
    one_line(run("tokens", "withdraw", "--data-dir", str(data), token_id), "token_not_found")


def test_serials_in_any_case_and_timestamps_that_say_how_to_add_a_zone(run, tmp_path):
    data = str(tmp_path / "demo")
    assert run("demo", "--data-dir", data, "--practices", "2").exit_code == 0
    at = "2030-01-01T00:00:00Z"
    upper = run("audit", "history", "ZID000000001", "--data-dir", data, "--json", "--at", at)
    lower = run("audit", "history", "zid000000001", "--data-dir", data, "--json", "--at", at)
    assert upper.exit_code == 0 and lower.output == upper.output
    naive = run("audit", "history", "ZID000000001", "--data-dir", data, "--at", "2025-06-01")
    one_line(naive, "naive_datetime")
    assert "add Z for UTC or an offset" in naive.output and "2025-06-01T00:00:00Z" in naive.output


@pytest.mark.parametrize("command", [
    ["workstation", "--api", "http://127.0.0.1:9", "--no-browser"],
    ["reader-agent", "--api", "http://127.0.0.1:9", "--job",
     "00000000-0000-0000-0000-000000000000", "--token", "x"],
    ["cards", "personalise", "--uzi-cert", "pass.pem"]])
def test_without_pyscard_the_reader_commands_say_what_to_install(command, tmp_path):
    """As on a workstation where only the server part was installed."""
    import subprocess
    import sys

    (tmp_path / "pass.pem").write_text("")
    program = ("import sys; sys.modules['smartcard'] = None; sys.argv = ['zorgid', *sys.argv[1:]]"
               "; from adapters.cli.main import main; main()")
    done = subprocess.run([sys.executable, "-c", program, *command], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={k: v for k, v in __import__("os").environ.items()
                               if not k.startswith("ZORGID_")}
                          | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "reader_software_missing" in done.stderr
    assert "pipx install 'zorgid-cards[workstation]'" in done.stderr
