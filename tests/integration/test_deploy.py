"""The deployment files under deploy/: the systemd units pass systemd's own checker, every
command line in them is one the CLI accepts, and the card CA's passphrase reaches zorgid
as a systemd credential. (tests/e2e/test_nginx.py runs deploy/nginx/zorgid.conf.)"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from adapters.cli.main import cli
from tests.conftest import missing

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("zorgid-*.*"))
INSTALLED = "/opt/zorgid/venv/bin/zorgid"


def test_there_is_a_unit_for_each_long_running_job_and_a_timer_for_each_periodic_one():
    names = {unit.name for unit in UNITS}
    assert {"zorgid-serve.service", "zorgid-project.service", "zorgid-crl.service",
            "zorgid-kafka-relay.service", "zorgid-expire.service", "zorgid-expire.timer",
            "zorgid-seal.timer", "zorgid-backup.timer"} <= names
    for timer in (u for u in UNITS if u.suffix == ".timer"):
        assert timer.with_suffix(".service").exists(), timer.name


def test_systemd_analyze_verifies_every_unit(tmp_path):
    if not shutil.which("systemd-analyze"):
        missing("systemd-analyze is needed: scripts/setup.sh --test installs systemd")
    zorgid = Path(sys.executable).with_name("zorgid")
    for unit in UNITS:  # the units as installed, with this test's zorgid in place
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(zorgid)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *[str(tmp_path / u.name) for u in UNITS]],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"],
                         ids=lambda u: u.name)
def test_every_command_line_is_one_the_cli_accepts(unit, monkeypatch):
    # the settings of deploy/systemd/zorgid.env, those left for the operator to fill in too
    for line in (ROOT / "deploy" / "systemd" / "zorgid.env").read_text().splitlines():
        name, _, value = line.lstrip("# ").partition("=")
        if name.startswith("ZORGID_") and value:
            monkeypatch.setenv(name, value)
    lines = [line.split("=", 1)[1] for line in unit.read_text().splitlines()
             if line.startswith("ExecStart=")]
    assert len(lines) == 1
    words = shlex.split(lines[0].replace("%%", "%"))
    if words[0] == "/bin/sh":  # sh -c 'exec zorgid ...'
        words = shlex.split(words[2].removeprefix("exec "))
    assert words[0] == INSTALLED
    command: click.Command = cli
    context = cli.make_context("zorgid", list(words[1:]))
    while isinstance(command, click.Group):
        name, command, rest = command.resolve_command(context, context._protected_args
                                                      + context.args)
        assert command is not None, words
        context = command.make_context(name, rest, parent=context)  # parses and checks


def test_the_ca_passphrase_comes_from_a_systemd_credential(tmp_path, monkeypatch):
    from adapters.bootstrap import Settings, ca_passphrase

    (tmp_path / "ca-passphrase").write_text("from the credential\n")
    settings = Settings.from_env(tmp_path, {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert ca_passphrase(settings) == b"from the credential"
    (tmp_path / "pkcs11-pin").write_text("24681357\n")
    settings = Settings.from_env(tmp_path, {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert settings.pkcs11_pin == "24681357"
    assert "24681357" not in repr(settings)  # a secret: never in a log line
    given = Settings.from_env(tmp_path, {"CREDENTIALS_DIRECTORY": str(tmp_path),
                                         "ZORGID_PKCS11_PIN": "11112222"})
    assert given.pkcs11_pin == "11112222"


def test_every_setting_in_the_readme_is_read_by_settings_and_nothing_else_reads_the_environment():
    import re

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("### Settings"):readme.index("## Running it in production")]
    names = set(re.findall(r"`(ZORGID_[A-Z_]+)`", table))
    source = (ROOT / "adapters" / "settings.py").read_text()
    missing = {name for name in names if name not in source}
    assert missing <= {"ZORGID_KAFKA_BOOTSTRAP"}  # --bootstrap's envvar, declared by click
    readers = [str(path.relative_to(ROOT)) for path in (ROOT / "adapters").rglob("*.py")
               if path.name != "settings.py" and re.search(r"os\.environ|getenv",
                                                           path.read_text())]
    assert readers == []
