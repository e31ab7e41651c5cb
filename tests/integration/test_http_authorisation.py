"""Who may read what: every read route with every kind of caller, in one table."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from adapters.http.tokens import TokenStore
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import UziTestHierarchy
from adapters.pki.uzi import identity_of
from domain.identity import Actor
from tests.integration.test_http_api import header, make_api
from tests.support import create_card

URA, OTHER = "90000382", "90000417"
NOW = dt.datetime.now(dt.UTC)
PERIOD = NOW.strftime("%Y-%m")

# caller -> (uzi number, card type, URA) for people; services by role; or none
PEOPLE = {
    "holder": ("900020001", "N", URA),
    "colleague": ("900020002", "N", URA),
    "administrator": ("900016528", "Z", URA),
    "beheerder": ("900020009", "N", URA),
    "care_provider": ("900016529", "Z", URA),
    "other_administrator": ("900030001", "Z", OTHER),
}
SERVICES = ("fulfilment", "billing", "auditor")

# route -> expected status per caller (order of COLUMNS)
COLUMNS = ("holder", "colleague", "administrator", "beheerder", "care_provider",
           "other_administrator", "fulfilment", "billing", "auditor", "nobody", "expired")
MATRIX = {
    "GET /v1/practices/{ura}":                (403, 403, 200, 200, 403, 403, 403, 403, 200, 401, 401),
    "GET /v1/practices/{ura}/orders":         (403, 403, 200, 200, 403, 403, 403, 403, 403, 401, 401),
    "GET /v1/practices/{ura}/cards":          (403, 403, 200, 200, 403, 403, 403, 403, 403, 401, 401),
    "GET /v1/practices/{ura}/expiring":       (403, 403, 200, 200, 403, 403, 403, 403, 403, 401, 401),
    "GET /v1/cards/{card}":                   (200, 403, 200, 200, 403, 403, 403, 403, 200, 401, 401),
    "GET /v1/cards/{card}/history":           (200, 403, 200, 200, 403, 403, 403, 403, 200, 401, 401),
    "GET /v1/cards/{card}/mandates":          (200, 403, 200, 200, 403, 403, 403, 403, 403, 401, 401),
    "GET /v1/cards/{card}/guest-uses":        (200, 403, 200, 200, 403, 403, 403, 403, 200, 401, 401),
    "GET /v1/me":                             (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    "GET /v1/invoices?period={period}&ura={ura}": (403, 403, 200, 200, 403, 403, 403, 200, 403, 401, 401),
    "GET /v1/events?limit=1":                 (403, 403, 403, 403, 403, 403, 403, 403, 200, 401, 401),
    "GET /healthz":                           (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    monkey = pytest.MonkeyPatch()
    pki = UziTestHierarchy()
    data_dir = tmp_path_factory.mktemp("authz") / "data"
    client = TestClient(make_api(data_dir, pki, monkey))
    issued = {name: pki.issue_pass(Holder(uzi, kind, ura, "01.015" if kind == "Z" else "00.000",
                                          "00000000", name.title(), "Test", "P"),
                                   NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=900))
              for name, (uzi, kind, ura) in PEOPLE.items()}
    expired = pki.issue_pass(Holder("900020003", "N", URA, "00.000", "00000000", "Oud", "Pas",
                                    "P"), NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1))
    app = client.app.state.lifecycle
    passes = {name: identity_of(i.certificate).to_pass() for name, i in issued.items()}
    app.register_practice(URA, "Praktijk", "huisartsenpraktijk", passes["administrator"])
    app.register_practice(OTHER, "Elders", "apotheek", passes["other_administrator"])
    app.appoint_manager(URA, PEOPLE["beheerder"][0], "Beheer", "beheerder",
                        passes["administrator"])
    order = app.place_order(URA, 1, "k", passes["administrator"])
    app.ship_order(order, ["ZID000000001"], Actor.system("fulfilment"))
    card = create_card(app, "ZID000000001", passes["holder"])
    tokens = TokenStore(data_dir / "tokens.json")
    headers = {name: header(i) for name, i in issued.items()}
    headers.update({role: {"Authorization": f"Bearer {tokens.create(role)}"}
                    for role in SERVICES})
    headers["nobody"] = {}
    headers["expired"] = header(expired)
    yield client, headers, {"ura": URA, "card": str(card), "period": PERIOD}
    monkey.undo()


@pytest.mark.parametrize("route", list(MATRIX))
def test_every_caller_gets_the_expected_status(world, route):
    client, headers, values = world
    method, path = route.split(" ", 1)
    url = path.format(**values)
    got = {caller: client.request(method, url, headers=headers[caller]).status_code
           for caller in COLUMNS}
    expected = dict(zip(COLUMNS, MATRIX[route], strict=True))
    assert got == expected
