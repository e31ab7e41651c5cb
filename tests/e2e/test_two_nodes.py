"""Two nodes on one PostgreSQL store, set up as docs/operations.md says: the first runs
`zorgid init`, the second gets the deployment's files copied. A mixed workload goes to
both, one node is SIGKILLed half-way and started again; nothing acknowledged is lost,
and the views of both nodes equal a clean rebuild from the store."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from adapters.bootstrap import Settings, open_lifecycle
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from domain.identity import Actor
from projections.runner import ApplicationSource, build_fresh, open_views
from tests.conftest import free_port
from tests.e2e.test_demo_run import zorgid
from tests.integration.test_http_api import header
from tests.integration.test_projections import dump
from tests.support import wait_for_health, zorgid_command

pytestmark = pytest.mark.postgres
URA = "90000382"
# What docs/operations.md lists as the same on every node.
DEPLOYMENT_FILES = ("cipher.key", "personal-ids.key", "http-job.key", "tokens.json")


def _start(data: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    log = (data.parent / f"{data.name}.log").open("a")
    return subprocess.Popen([*zorgid_command(), "serve", "--data-dir", str(data), "--port",
                             str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            text=True)


def test_two_nodes_one_store_a_kill_loses_nothing(tmp_path, postgres_url):
    pki = UziTestHierarchy()
    now = dt.datetime.now(dt.UTC)
    doctor = pki.issue_pass(Holder("900016528", "Z", URA, "01.015", "00000000", "Huib",
                                   "Arts", "P"), now - dt.timedelta(days=9),
                            now + dt.timedelta(days=99))
    anchors = tmp_path / "uzi-cas.pem"
    anchors.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                 for c in [pki.root, *pki.intermediates]))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")},
           "ZORGID_DATABASE_URL": postgres_url, "ZORGID_TRUST_ANCHORS": str(anchors),
           "ZORGID_TRUSTED_PROXIES": "127.0.0.1",
           "ZORGID_UZI_CA_OIDS": f"N={TEST_CA_OIDS['N']},Z={TEST_CA_OIDS['Z']}"}
    first, second = tmp_path / "node1", tmp_path / "node2"
    assert zorgid("init", "--data-dir", str(first), env=env).returncode == 0
    assert zorgid("tokens", "create", "--data-dir", str(first), "--role", "auditor",
                  env=env).returncode == 0
    refused = zorgid("init", "--data-dir", str(second), env=env)
    assert refused.returncode == 1 and "store_has_key" in refused.stderr
    settings = Settings(data_dir=first, database_url=postgres_url)
    from adapters.pki.uzi import identity_of

    app = open_lifecycle(settings)
    app.register_practice(URA, "Praktijk Noord", "huisartsenpraktijk",
                          identity_of(doctor.certificate).to_pass())
    app.ship_order(app.place_order(URA, 3, "first", identity_of(doctor.certificate).to_pass()),
                   ["ZID000000001", "ZID000000002", "ZID000000003"], Actor.system("fulfilment"))
    app.close()
    # node 2 as the guide says: the deployment's files copied, its own views
    second.mkdir(mode=0o700)
    for name in DEPLOYMENT_FILES:
        if (first / name).exists():
            shutil.copy2(first / name, second / name)

    ports = [free_port(), free_port()]
    nodes = [_start(first, ports[0], env), _start(second, ports[1], env)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    acknowledged: list[str] = []
    lock = threading.Lock()
    try:
        for base, node in zip(bases, nodes, strict=True):
            assert wait_for_health(base, node, 60).status_code == 200

        def work(worker: int) -> None:
            with httpx.Client(timeout=10) as client:
                for n in range(40):
                    base = bases[(worker + n) % 2]
                    key = f"w{worker}-{n}"
                    try:
                        if n % 3 == 2:
                            answer = client.post(
                                f"{base}/v1/practices/{URA}/managers",
                                json={"uzi_number": f"9000{worker:02d}{n:03d}",
                                      "name": f"Beheerder {key}", "role": "beheerder"},
                                headers=header(doctor))
                        else:
                            answer = client.post(f"{base}/v1/practices/{URA}/orders",
                                                 json={"quantity": 1 + n % 4},
                                                 headers={**header(doctor),
                                                          "Idempotency-Key": key})
                    except httpx.TransportError:
                        continue  # the killed node: not acknowledged
                    assert answer.status_code < 500, answer.text
                    if answer.status_code == 201:
                        with lock:
                            acknowledged.append(answer.json().get("order_id") or
                                                f"manager:{worker:02d}{n:03d}")

        workers = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in workers:
            thread.start()
        while len(acknowledged) < 40:
            threading.Event().wait(0.05)
        nodes[1].send_signal(signal.SIGKILL)  # in the middle of the workload
        nodes[1].wait(10)
        for thread in workers:
            thread.join(120)
        nodes[1] = _start(second, ports[1], env)
        assert wait_for_health(bases[1], nodes[1], 60).status_code == 200

        store = open_lifecycle(settings)
        try:
            order_ids = {str(e.originator_id) for e in store.read_log()
                         if e.type == "BlankCardOrder.Placed"}
            managers = {e.payload["uzi_number"][4:] for e in store.read_log()
                        if e.type == "Practice.ManagerAppointed"}
            missing = [a for a in acknowledged if not (
                a in order_ids or (a.startswith("manager:") and a[8:] in managers))]
            assert missing == [], missing
            assert len(acknowledged) > 60
            reference = tmp_path / "rebuilt.sqlite3"
            build_fresh(reference, ApplicationSource(store))
            expected = dump(open_views(reference))
        finally:
            store.close()
        for base, directory in zip(bases, (first, second), strict=True):
            health = httpx.get(f"{base}/healthz", timeout=10).json()
            assert health["views_position"] == health["store_position"]
            assert dump(open_views(directory / "views.sqlite3")) == expected, directory
    finally:
        for node in nodes:
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
                node.wait(15)
    for name in ("node1.log", "node2.log"):
        assert "Traceback" not in (tmp_path / name).read_text(), name
