"""The product as a user installs it: from the built wheel, not from this source tree.

`make run` installs the project editable, which reads templates and data straight from
the tree and so hides any file the package forgets. Here the wheel is built, installed
into a fresh virtual environment (its dependencies taken from the test environment, so
no network is needed) and run from a directory far from the sources."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.support import wait_for_health

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(work / "dist"), str(ROOT)], check=True, cwd=work,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    wheels = list((work / "dist").glob("zorgid_cards-*.whl"))
    assert len(wheels) == 1, wheels
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    purelib = Path(subprocess.run(
        [str(work / "venv" / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    # The test environment's packages (not its editable zorgid) stand in for PyPI.
    dependencies = [p for p in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]}
                    if Path(p).is_dir()]
    (purelib / "test-dependencies.pth").write_text("\n".join(dependencies) + "\n")
    subprocess.run([str(work / "venv" / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--no-deps", str(wheels[0])], check=True, cwd=work)
    return work


def test_the_wheel_serves_the_portal_and_the_api(installed: Path) -> None:
    python = installed / "venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import adapters; print(adapters.__file__)"],
                           check=True, capture_output=True, text=True, cwd=installed).stdout
    assert str(ROOT) not in where  # the installed package, not the tree
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    server = subprocess.Popen([str(installed / "venv" / "bin" / "zorgid"), "serve", "--dev",
                               "--data-dir", str(installed / "demo"), "--port", str(port)],
                              cwd=installed, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_health(base, server, 120).status_code == 200
        login = httpx.get(f"{base}/portal", follow_redirects=True, timeout=10)
        assert login.status_code == 200, login.text[:300]
        assert "demo" in login.text.lower()
        assert httpx.get(f"{base}/openapi.json", timeout=10).status_code == 200
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=15)
    assert "Traceback" not in errors, errors[-2000:]
