"""The product as a newcomer runs it: the installed `zorgid` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess

from tests.support import zorgid_command


def zorgid(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = zorgid_command()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    environment.update(env or {})
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300,
                          env=environment, check=False)


def test_the_readme_demo_prints_its_summary_and_the_log_can_be_audited(tmp_path):
    data = str(tmp_path / "data")
    run = zorgid("demo", "--data-dir", data, "--practices", "50", "--seed", "1")
    assert run.returncode == 0, run.stderr
    assert "practices            50" in run.stdout
    assert "cards" in run.stdout and "events stored" in run.stdout
    assert (tmp_path / "data" / "cipher.key").stat().st_mode & 0o077 == 0

    events = zorgid("events", "--json", env={"ZORGID_DATA_DIR": data})
    assert events.returncode == 0, events.stderr
    records = [json.loads(line) for line in events.stdout.splitlines()]
    stored = int(run.stdout.split("events stored")[1].split()[0])
    assert len(records) == stored
    types = {r["type"] for r in records}
    for expected in ("Practice.Registered", "Practice.ManagerAppointed", "BlankCardOrder.Placed",
                     "BlankCardOrder.Shipped", "Card.CreationStarted", "Card.Activated",
                     "Card.PersonalisationFailed", "Card.LinkedToPractice",
                     "Card.UnlinkedFromPractice", "Card.GuestUseGranted", "Card.Suspended",
                     "Card.Resumed", "Card.Revoked", "Card.Expired", "Mandate.Granted"):
        assert expected in types, expected
    kinds = {r["payload"]["kind"] for r in records if r["type"] == "Practice.Registered"}
    assert kinds == {"huisartsenpraktijk", "huisartsenpost", "apotheek"}

    expire = zorgid("expire", "--data-dir", data)
    assert expire.returncode == 0 and expire.stdout.strip().endswith("card(s) expired")


def test_a_refused_command_is_one_line_on_stderr_and_a_nonzero_exit(tmp_path):
    result = zorgid("events", "--data-dir", str(tmp_path / "missing"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("zorgid: configuration_error:")
