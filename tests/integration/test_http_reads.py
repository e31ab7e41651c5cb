"""How the HTTP app's read models follow the store: the projector runs once per change
(after the save, before the response), reads never project, and what another node writes
to the same store is seen by the next read that needs it."""

from __future__ import annotations

import datetime as dt
import time

from fastapi.testclient import TestClient

from adapters.bootstrap import Settings, open_lifecycle
from adapters.http.tokens import TOKENS_FILE, TokenStore
from domain.identity import UziPass
from tests.integration import test_http_api as http_api
from tests.integration.test_http_api import NOW, OTHER_URA, URA, make_api

pki, people = http_api.pki, http_api.people  # the same module-scoped fixtures


def another_node_registers_a_practice(data) -> int:
    """Another application on the same store writes; the store's head after it."""
    other = open_lifecycle(Settings(data_dir=data))
    try:
        other.register_practice(OTHER_URA, "Apotheek Zuid", "apotheek", UziPass(
            uzi_number="900030001", card_type="Z", ura=OTHER_URA, role="01.015",
            given_name="Dirk", surname="Dokter", not_before=NOW - dt.timedelta(days=30),
            not_after=NOW + dt.timedelta(days=900)))
        return int(other.head())
    finally:
        other.close()


def test_a_command_projects_once_and_the_reads_after_it_do_not(tmp_path, pki, people,
                                                               monkeypatch):
    app = make_api(tmp_path / "data", pki, monkeypatch)
    views = app.state.views
    api = TestClient(app)
    created = api.post("/v1/practices", json={"ura": URA, "name": "Praktijk Noord",
                                              "kind": "huisartsenpraktijk"},
                       headers=people["doctor"])
    assert created.status_code == 201
    after_command = views.projections
    assert after_command == 1 and views.position == app.state.lifecycle.head()
    # the client reads its own write, and nothing projects again
    read = api.get(f"/v1/practices/{URA}", headers=people["doctor"])
    assert read.status_code == 200 and read.json()["name"] == "Praktijk Noord"
    health = api.get("/healthz").json()
    assert health["views_position"] == health["store_position"]
    assert views.projections == after_command


def test_health_metrics_and_logins_only_read_and_a_read_sees_another_nodes_write(
        tmp_path, pki, people, monkeypatch):
    data = tmp_path / "data"
    app = make_api(data, pki, monkeypatch)
    views = app.state.views
    api = TestClient(app)
    operator = {"Authorization": f"Bearer {TokenStore(data / TOKENS_FILE).create('operator')}"}
    assert api.post("/v1/practices", json={"ura": URA, "name": "Praktijk Noord",
                                           "kind": "huisartsenpraktijk"},
                    headers=people["doctor"]).status_code == 201
    projected = views.projections
    # another node (another application on the same store) registers a second practice
    store_head = another_node_registers_a_practice(data)
    # health and metrics only read: they report the lag, they do not project
    health = api.get("/healthz").json()
    assert health["store_position"] == store_head > health["views_position"]
    assert api.get("/metrics", headers=operator).status_code == 200
    assert views.projections == projected and views.position < store_head
    # a read of the views waits for the follower, and sees the other node's write
    read = api.get(f"/v1/practices/{OTHER_URA}", headers=people["other_doctor"])
    assert read.status_code == 200 and read.json()["name"] == "Apotheek Zuid"
    assert views.position == store_head and views.projections == projected + 1


def test_a_served_app_follows_what_other_nodes_write_without_being_asked(
        tmp_path, pki, monkeypatch):
    data = tmp_path / "data"
    app = make_api(data, pki, monkeypatch)
    with TestClient(app) as api:  # the lifespan: start-up catch-up, then the follower
        store_head = another_node_registers_a_practice(data)
        deadline = time.monotonic() + 10
        while api.get("/healthz").json()["views_position"] < store_head:
            assert time.monotonic() < deadline, "the follower did not catch up"
            time.sleep(0.05)
