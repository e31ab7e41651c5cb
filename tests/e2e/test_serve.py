"""`zorgid serve` as an operator runs it: a real HTTP server on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess

import httpx

from tests.conftest import free_port
from tests.e2e.test_demo_run import zorgid
from tests.support import wait_for_health, zorgid_command


def test_serve_answers_health_and_an_auditor_reads_the_log(tmp_path):
    data = tmp_path / "data"
    assert zorgid("demo", "--data-dir", str(data), "--practices", "2").returncode == 0
    token = zorgid("tokens", "create", "--data-dir", str(data), "--role", "auditor")
    assert token.returncode == 0 and token.stdout.startswith("zid_auditor_")
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    server = subprocess.Popen([*zorgid_command(), "serve", "--data-dir", str(data), "--port",
                               str(port)], env=environment, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_for_health(base, server, 30)
        assert health.status_code == 200
        assert health.json()["views_position"] == health.json()["store_position"] > 0
        events = httpx.get(f"{base}/v1/events?limit=3",
                           headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        assert events.status_code == 200 and len(events.json()) == 3
        assert httpx.get(f"{base}/v1/events").status_code == 401
        assert httpx.get(f"{base}/openapi.json").status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
