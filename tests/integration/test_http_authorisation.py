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
def world(identities, tmp_path_factory):
    client, headers, values, monkey = fresh_world(
        *identities, tmp_path_factory.mktemp("authz") / "data", suspended=False)
    yield client, headers, {**values, "period": PERIOD}
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


# Commands: each cell runs on a fresh store, so one caller's success cannot change
# what the next one meets. "suspended" marks routes whose card starts suspended.
COMMANDS = {
    "POST /v1/cards/{card}/suspension {reason}":      (204, 403, 204, 204, 403, 403, 403, 403, 403, 401, 401),
    "DELETE /v1/cards/{card}/suspension suspended":   (403, 403, 204, 204, 403, 403, 403, 403, 403, 401, 401),
    "POST /v1/cards/{card}/revocation {reason}":      (204, 403, 204, 204, 403, 403, 403, 403, 403, 401, 401),
    "POST /v1/cards/{card}/links {other}":            (403, 403, 403, 403, 403, 201, 403, 403, 403, 401, 401),
    "DELETE /v1/cards/{card}/links/{ura}":            (204, 403, 204, 204, 403, 403, 403, 403, 403, 401, 401),
    "POST /v1/practices/{ura}/managers {manager}":    (403, 403, 201, 403, 403, 403, 403, 403, 403, 401, 401),
    "POST /v1/practices/{ura}/orders {order}":        (403, 403, 201, 201, 403, 403, 403, 403, 403, 401, 401),
    "POST /v1/orders/{order}/shipment {shipment}":    (403, 403, 403, 403, 403, 403, 204, 403, 403, 401, 401),
    "POST /v1/practices/{ura}/mandates {mandate}":    (403, 403, 201, 403, 201, 403, 403, 403, 403, 401, 401),
}  # fmt: skip
BODIES = {
    "reason": {"reason": "defect"}, "other": {"ura": OTHER}, "order": {"quantity": 1},
    "manager": {"uzi_number": "900020077", "name": "Nieuwe Beheerder", "role": "beheerder"},
    "shipment": {"card_serials": ["ZID000000009"]},
    "mandate": {"mandatee_uzi_number": "900020002",
                "valid_until": (NOW + dt.timedelta(days=90)).isoformat()},
}


@pytest.fixture(scope="module")
def identities():
    pki = UziTestHierarchy()
    issued = {name: pki.issue_pass(Holder(uzi, kind, ura, "01.015" if kind == "Z" else "00.000",
                                          "00000000", name.title(), "Test", "P"),
                                   NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=900))
              for name, (uzi, kind, ura) in PEOPLE.items()}
    expired = pki.issue_pass(Holder("900020003", "N", URA, "00.000", "00000000", "Oud", "Pas",
                                    "P"), NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1))
    return pki, issued, expired


def fresh_world(pki, issued, expired, directory, suspended: bool):
    monkey = pytest.MonkeyPatch()
    client = TestClient(make_api(directory, pki, monkey))
    app = client.app.state.lifecycle
    passes = {name: identity_of(i.certificate).to_pass() for name, i in issued.items()}
    app.register_practice(URA, "Praktijk", "huisartsenpraktijk", passes["administrator"])
    app.register_practice(OTHER, "Elders", "apotheek", passes["other_administrator"])
    app.appoint_manager(URA, PEOPLE["beheerder"][0], "Beheer", "beheerder",
                        passes["administrator"])
    app.ship_order(app.place_order(URA, 1, "k", passes["administrator"]), ["ZID000000001"],
                   Actor.system("fulfilment"))
    card = create_card(app, "ZID000000001", passes["holder"])
    if suspended:
        app.suspend_card(card, "kwijt", passes["holder"])
    order = app.place_order(URA, 1, "pending", passes["administrator"])
    tokens = TokenStore(directory / "tokens.json")
    headers = {name: header(i) for name, i in issued.items()}
    headers.update({role: {"Authorization": f"Bearer {tokens.create(role)}"}
                    for role in SERVICES})
    headers["nobody"] = {}
    headers["expired"] = header(expired)
    return client, headers, {"ura": URA, "card": str(card), "order": str(order)}, monkey


@pytest.mark.parametrize("route", list(COMMANDS))
def test_every_caller_may_or_may_not_command(identities, tmp_path, route):
    pki, issued, expired = identities
    method, path, *extra = route.split(" ")
    body_name = next((e[1:-1] for e in extra if e.startswith("{")), None)
    got = {}
    for caller in COLUMNS:
        client, headers, values, monkey = fresh_world(pki, issued, expired,
                                                     tmp_path / caller / "data",
                                                     "suspended" in extra)
        request_headers = {**headers[caller], "Idempotency-Key": f"k-{caller}"}
        response = client.request(method, path.format(**values), headers=request_headers,
                                  json=BODIES.get(body_name) if body_name else None)
        got[caller] = response.status_code
        monkey.undo()
    assert got == dict(zip(COLUMNS, COMMANDS[route], strict=True))
