"""Who may do what: every API route with every kind of caller, in one table.

The callers are real: UZI passes from the test hierarchy and ZORG-ID cards issued by our
card CA (one active, one revoked), each forwarded as the TLS proxy would; services with
their bearer tokens; the remote reader agent with its job token; and nobody at all.
Reads run against one shared world; every command cell runs on its own copy of it, so
one caller's success cannot change what the next one meets."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from adapters.http.openapi import OPERATIONS, errors_of
from tests.integration.http_world import (
    NOW,
    OTHER,
    PEOPLE,
    TODAY,
    build_world,
    chip_public_keys,
    make_identities,
)
from tests.integration.test_http_api import make_api

#  hold   the holder of card {card}, with their UZI pass   hcard  the same, with that card
#  coll   an employee of the practice without a role       adm/beh  its administrator/beheerder
#  care   a care provider (Z pass) of the practice         oadm/obeh  the same of another practice
#  fulf/bill/aud/oper  service tokens                      job    the job token of job {job}
#                                                          (of the PIN service, in that variant)
#  none   no credential   exp  an expired UZI pass         revk   a revoked ZORG-ID card
COLUMNS = ("holder", "holder_card", "colleague", "administrator", "beheerder",
           "care_provider", "other_administrator", "other_beheerder", "fulfilment", "billing",
           "auditor", "operator", "job_agent", "nobody", "expired", "revoked_card")

READS = {  #                                    hold hcard coll  adm  beh care oadm obeh fulf bill  aud oper  job none  exp revk
    "GET /v1/practices/{ura}":                  (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 200, 403, 401, 401, 401, 401),
    "GET /v1/practices/{ura}/orders":           (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "GET /v1/practices/{ura}/cards":            (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "GET /v1/practices/{ura}/expiring":         (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "GET /v1/practices/{ura}/link-requests":    (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "GET /v1/practices/{ura}/link-invitations": (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "GET /v1/cards/{card}":                     (200, 200, 403, 200, 200, 403, 403, 403, 403, 403, 200, 403, 401, 401, 401, 401),
    "GET /v1/cards/{card}/history":             (200, 200, 403, 200, 200, 403, 403, 403, 403, 403, 200, 403, 401, 401, 401, 401),
    "GET /v1/cards/{card}/mandates":            (200, 200, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "GET /v1/cards/{card}/guest-uses":          (200, 200, 403, 200, 200, 403, 403, 403, 403, 403, 200, 403, 401, 401, 401, 401),
    "GET /v1/me":                               (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 401, 401),
    "GET /v1/invoices?period={period}&ura={ura}": (403, 403, 403, 200, 200, 403, 403, 403, 403, 200, 403, 403, 401, 401, 401, 401),
    "GET /v1/events?limit=1":                   (403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401, 401, 401),
    "GET /v1/personalisation-jobs/{job}":       (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 401, 401, 401),
    "GET /v1/crl":                              (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /ocsp/{ocsp_get}":                     (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /v1/ca-certificate":                   (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /ocsp":                               (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /healthz":                             (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /metrics":                             (403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 401, 401, 401, 401),
    # public, and a question, not a command: which card a certificate is (the helper's check)
    "POST /v1/card-checks {card_check}":        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
}  # fmt: skip

# "{name}" after the path is the body (BODIES); a last word names a variant of the world.
COMMANDS = {  #                                           hold hcard coll  adm  beh care oadm obeh fulf bill  aud oper  job none  exp revk
    "POST /v1/practices {practice} other_unregistered":     (403, 403, 403, 403, 403, 403, 201, 201, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/practices/{ura}/managers {manager}":          (403, 403, 403, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/practices/{ura}/managers/{beheerder}":      (403, 403, 403, 204, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/practices/{ura}/orders {order}":              (403, 403, 403, 201, 201, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/orders/{order}/shipment {shipment}":          (403, 403, 403, 403, 403, 403, 403, 403, 204, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards {blank}":                               (201, 403, 201, 403, 409, 403, 403, 409, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards/{card}/suspension {reason}":            (204, 204, 403, 204, 204, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/cards/{card}/suspension suspended":         (403, 401, 403, 204, 204, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards/{card}/revocation {reason}":            (204, 204, 403, 204, 204, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    # R7, the attack: a manager of another practice links someone's card by its id alone
    "POST /v1/cards/{card}/links {other}":                  (409, 409, 403, 403, 403, 403, 409, 409, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards/{card}/links {other} link_requested":   (409, 409, 403, 403, 403, 403, 201, 201, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards/{card}/links {other} link_invited":     (201, 201, 403, 403, 403, 403, 409, 409, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards/{card}/link-requests {other}":          (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/cards/{card}/link-requests/{other} link_requested": (204, 204, 403, 403, 403, 403, 204, 204, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/practices/{other}/link-invitations {invite}": (403, 403, 403, 403, 403, 403, 201, 201, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/practices/{other}/link-invitations/{holder_uzi} link_invited": (204, 204, 403, 403, 403, 403, 204, 204, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/cards/{card}/links/{ura}":                  (204, 204, 403, 204, 204, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/cards/{card}/guest-uses {guest_use}":         (403, 403, 403, 403, 403, 403, 201, 201, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/cards/{card}/guest-uses/{guest_use}":       (403, 403, 403, 403, 403, 403, 204, 204, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/practices/{ura}/mandates {mandate}":          (403, 403, 403, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/mandates/{mandate}":                        (403, 403, 403, 204, 403, 204, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/personalisation-jobs/{job}/public-keys {keys}": (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 401, 401, 401),
    "POST /v1/personalisation-jobs/{job}/result {failed}":  (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 204, 401, 401, 401),
    # R14: only with the card itself, by its holder (409 here: years before its end)
    "POST /v1/cards/{card}/renewal {renewal}":              (403, 409, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    # R17: anyone logged in as a person leaves an address, and removes their own
    "PUT /v1/me/email {email}":                             (204, 204, 204, 204, 204, 204, 204, 204, 403, 403, 403, 403, 401, 401, 401, 401),
    "DELETE /v1/me/email email_set":                        (204, 204, 404, 404, 404, 404, 404, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    # R16: only the holder asks for a PIN unblock; only the helper with its token reports
    "POST /v1/cards/{card}/pin-services":                   (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /v1/pin-services/{pin_service}/result {unblocked} pin_service": (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 204, 401, 401, 401),
    "POST /v1/pin-services/{pin_service}/result {puk_blocked} pin_service": (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 204, 401, 401, 401),
    # public: the pairing code is the credential (a right one: test_pairing_... below)
    "POST /v1/pairings {wrong_pairing}":                    (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
}  # fmt: skip


BODIES = {
    "practice": {"ura": OTHER, "name": "Apotheek Elders", "kind": "apotheek"},
    "manager": {"uzi_number": "900020077", "name": "Nieuwe Beheerder", "role": "beheerder"},
    "order": {"quantity": 1},
    "shipment": {"card_serials": ["ZID000000099"]},
    "blank": {"card_serial": "ZID000000002"},
    "reason": {"reason": "defect"},
    "other": {"ura": OTHER},
    "invite": {"uzi_number": PEOPLE["holder"][0]},
    "guest_use": {"host_ura": OTHER, "starts_on": str(TODAY + dt.timedelta(days=30)),
                  "ends_on": str(TODAY + dt.timedelta(days=40))},
    "mandate": {"mandatee_uzi_number": "900020002",
                "valid_until": (NOW + dt.timedelta(days=90)).isoformat()},
    "keys": chip_public_keys(),
    "failed": {"outcome": "failed", "step": "generate_keys", "detail": "card pulled"},
    "wrong_pairing": {"code": "ZZZZ-ZZZZ", "workstation": "werkplek"},
    "unblocked": {"outcome": "unblocked"},
    "email": {"email": "iemand@praktijk.example"},
    "renewal": {"mode": "new_card", "card_serial": "ZID000000002"},
    "puk_blocked": {"outcome": "puk_blocked"},
    "card_check": {"certificate": "{holder_certificate}"},  # from the world's values
}


def body_of(name: str | None, values: dict) -> object:
    """A body of BODIES, its "{value}" strings filled in from the world."""
    body = BODIES.get(name) if name else None
    if isinstance(body, dict):
        return {k: v.format(**values) if isinstance(v, str) and v.startswith("{") else v
                for k, v in body.items()}
    return body


@pytest.fixture(scope="module")
def identities(tmp_path_factory):
    return make_identities(tmp_path_factory.mktemp("card-ca"))


@pytest.fixture(scope="module")
def world(identities, tmp_path_factory):
    api, headers, values, monkey = build_world(identities,
                                               tmp_path_factory.mktemp("authz") / "data")
    yield TestClient(api), headers, values
    monkey.undo()


@pytest.mark.parametrize("route", list(READS))
def test_every_caller_reads_what_they_may(world, route):
    client, headers, values = world
    method, path, *extra = route.split(" ")
    body = body_of(next((e[1:-1] for e in extra if e.startswith("{")), None), values)
    url = path.format(**values)
    answers = {caller: client.request(method, url, headers=headers[caller], json=body)
               for caller in COLUMNS}
    got = {caller: answer.status_code for caller, answer in answers.items()}
    assert got == dict(zip(COLUMNS, READS[route], strict=True))
    for answer in answers.values():
        assert_documented(method, path, answer)


def assert_documented(method: str, path: str, answer) -> None:
    """A refusal's code is among those /openapi.json lists for the operation and status."""
    if answer.status_code < 400:
        return
    concrete = path.split("?")[0]
    template = next(t for m, t in OPERATIONS if m == method.lower() and re.fullmatch(
        re.sub(r"\{[^}]+\}", "[^/]+", t), re.sub(r"\{[^}]+\}", "x", concrete)))
    code = answer.json()["code"]
    assert code in errors_of(method.lower(), template).get(answer.status_code, []), (
        method, template, answer.status_code, code)


@pytest.fixture(scope="module")
def templates(identities, tmp_path_factory):
    """One built world per variant, closed and kept as files; each command cell runs on
    a copy."""
    built: dict[str, tuple] = {}

    def template(variant: str):
        if variant not in built:
            directory = tmp_path_factory.mktemp(f"template-{variant or 'plain'}") / "data"
            api, headers, values, monkey = build_world(identities, directory, variant)
            api.state.lifecycle.close()
            api.state.views.writer.conn.close()
            monkey.undo()
            built[variant] = (directory, headers, values)
        return built[variant]
    return template


@pytest.mark.parametrize("route", list(COMMANDS))
def test_every_caller_commands_what_they_may(identities, templates, tmp_path, route):
    pki, _, _, workshop = identities
    method, path, *extra = route.split(" ")
    variant = next((e for e in extra if not e.startswith("{")), "")
    template, headers, values = templates(variant)
    body = body_of(next((e[1:-1] for e in extra if e.startswith("{")), None), values)
    got, before_after = {}, {}
    for caller in COLUMNS:
        directory = tmp_path / caller
        shutil.copytree(template, directory)
        monkey = pytest.MonkeyPatch()
        api = make_api(directory, pki, monkey, workshop)
        client = TestClient(api)
        before = api.state.lifecycle.head()
        response = client.request(method, path.format(**values), json=body,
                                  headers={**headers[caller], "Idempotency-Key": "k"})
        got[caller] = response.status_code
        before_after[caller] = (before, api.state.lifecycle.head())
        if response.status_code >= 400:  # every refusal is a stable code and a sentence
            assert set(response.json()) == {"code", "message"}, response.text
            assert_documented(method, path, response)
        api.state.lifecycle.close()
        monkey.undo()
    assert got == dict(zip(COLUMNS, COMMANDS[route], strict=True))
    for caller, (before, after) in before_after.items():  # a refused command appends nothing
        assert (after > before) == (got[caller] < 400), caller


def test_a_zorgid_card_logs_in_as_its_holder_but_creates_no_card(world):
    client, headers, values = world
    me = client.get("/v1/me", headers=headers["holder_card"]).json()
    assert (me["uzi_number"], me["logged_in_with"]) == (PEOPLE["holder"][0], "zorgid_card")
    assert [c["card_id"] for c in me["cards"]] == [values["card"]]
    [own] = me["cards"]  # R14: from when the card itself can start its successor
    assert own["renewal_opens_on"] == str((dt.datetime.fromisoformat(own["expires_at"])
                                           - dt.timedelta(days=90)).date())
    assert client.get("/v1/me", headers=headers["holder"]).json()["logged_in_with"] == "uzi_pass"
    refused = client.post("/v1/cards", json=BODIES["blank"], headers=headers["holder_card"])
    assert (refused.status_code, refused.json()["code"]) == (403, "uzi_pass_required")
    revoked = client.get("/v1/me", headers=headers["revoked_card"])
    assert (revoked.status_code, revoked.json()["code"]) == (401, "card_revoked")


def test_a_card_revoked_elsewhere_logs_in_no_more_at_once(identities, tmp_path):
    """Revoked through another process (the CLI, another server): the very next request
    with the card is refused, though this server's views had not seen it yet."""
    from adapters.bootstrap import Settings, open_lifecycle
    from adapters.pki.uzi import identity_of

    api, headers, values, monkey = build_world(identities, tmp_path / "data")
    client = TestClient(api)
    assert client.get("/v1/me", headers=headers["holder_card"]).status_code == 200
    elsewhere = open_lifecycle(Settings(data_dir=tmp_path / "data"))
    holder = identity_of(identities[1]["holder"].certificate).to_pass()
    elsewhere.revoke_card(UUID(values["card"]), "defect", holder)
    elsewhere.close()
    refused = client.get("/v1/me", headers=headers["holder_card"])
    assert (refused.status_code, refused.json()["code"]) == (401, "card_revoked")
    monkey.undo()


def test_odd_tokens_and_methods_get_4xx_and_bounded_metrics(world):
    client, headers, values = world
    odd = client.get(f"/v1/personalisation-jobs/{values['job']}",
                     headers={"Authorization": "Bearer é".encode("latin-1")})
    assert (odd.status_code, odd.json()["code"]) == (401, "invalid_job_token")
    for method in ("X1", "X2", "BREW"):
        assert client.request(method, "/nowhere").status_code in (404, 405)
    metrics = client.get("/metrics", headers=headers["operator"]).text
    assert 'method="OTHER"' in metrics and 'method="X1"' not in metrics


def test_a_pairing_code_gives_its_job_once_to_whoever_has_it(identities, tmp_path):
    """The code is the credential: any caller, even one without any, gets the job with
    it, once; the second exchange is refused and appends nothing."""
    api, headers, values, monkey = build_world(identities, tmp_path / "data")
    client = TestClient(api)
    typed = values["pairing_code"].lower().replace("-", " ")  # as someone might type it
    taken = client.post("/v1/pairings", json={"code": typed, "workstation": "balie-pc"})
    assert taken.status_code == 200, taken.text
    assert taken.json()["job_id"] == values["job"]
    job = client.get(f"/v1/personalisation-jobs/{values['job']}",
                     headers={"Authorization": f"Bearer {taken.json()['job_token']}"})
    assert job.status_code == 200 and job.json()["workstation"] == "balie-pc"
    head = api.state.lifecycle.head()
    again = client.post("/v1/pairings", json={"code": values["pairing_code"]},
                        headers=headers["holder"])
    assert (again.status_code, again.json()["code"]) == (404, "pairing_code_unknown")
    assert api.state.lifecycle.head() == head
    garbage = client.post("/v1/pairings", json={"code": "no!"})
    assert (garbage.status_code, garbage.json()["code"]) == (422, "invalid_pairing_code")
    monkey.undo()


def test_a_pin_unblock_runs_from_the_portal_code_to_the_helper_result_once(identities,
                                                                            tmp_path):
    """R16 over HTTP: the holder's request gives a code; the helper exchanges it (once) for
    the service's token; the token reports the unblock (once), which names no secret.
    The job token of a card creation is not a PIN service's token, nor the other way."""
    api, headers, values, monkey = build_world(identities, tmp_path / "data")
    client = TestClient(api)
    started = client.post(f"/v1/cards/{values['card']}/pin-services", headers=headers["holder"])
    assert started.status_code == 201, started.text
    taken = client.post("/v1/pairings", json={"code": started.json()["pairing_code"],
                                              "workstation": "balie-pc"})
    assert taken.status_code == 200, taken.text
    paired = taken.json()
    assert (paired["kind"], paired["job_id"], paired["card_id"]) == (
        "pin_unblock", started.json()["service_id"], values["card"])
    again = client.post("/v1/pairings", json={"code": started.json()["pairing_code"]})
    assert (again.status_code, again.json()["code"]) == (404, "pairing_code_unknown")
    url = f"/v1/pin-services/{paired['job_id']}/result"
    wrong = client.post(url, json={"outcome": "unblocked"}, headers=headers["job_agent"])
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_job_token")
    as_job = client.get(f"/v1/personalisation-jobs/{paired['job_id']}",
                        headers={"Authorization": f"Bearer {paired['job_token']}"})
    assert as_job.status_code == 401
    token = {"Authorization": f"Bearer {paired['job_token']}"}
    assert client.post(url, json={"outcome": "unblocked"}, headers=token).status_code == 204
    head = api.state.lifecycle.head()
    twice = client.post(url, json={"outcome": "puk_blocked"}, headers=token)
    assert (twice.status_code, twice.json()["code"]) == (409, "pin_service_not_open")
    assert api.state.lifecycle.head() == head
    [unblocked] = [e for e in api.state.lifecycle.read_log() if e.type == "Card.PinUnblocked"]
    assert {k: str(v) for k, v in unblocked.payload.items()} == {
        "service_id": paired["job_id"], "workstation": "balie-pc"}
    monkey.undo()


def test_a_card_check_answers_only_for_the_certificate_our_ca_recorded(identities, tmp_path):
    """Same serial number, other bytes (a certificate made to look like one of ours): not
    answered. The real one is, with what its holder needs to know."""
    from cryptography import x509 as x509_
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    api, _headers, values, monkey = build_world(identities, tmp_path / "data")
    client = TestClient(api)
    real = x509_.load_pem_x509_certificate(values["holder_certificate"].encode())
    before = api.state.lifecycle.clock.now()
    answer = client.post("/v1/card-checks", json={"certificate": values["holder_certificate"]})
    after = api.state.lifecycle.clock.now()
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["card_id"], found["status"]) == (values["card"], "active")
    ends = dt.datetime.fromisoformat(found["expires_at"])
    assert found["days_left"] in {(ends - before).days, (ends - after).days}
    key = ec.generate_private_key(ec.SECP256R1())
    forged = (x509_.CertificateBuilder().subject_name(real.subject).issuer_name(real.issuer)
              .public_key(key.public_key()).serial_number(real.serial_number)
              .not_valid_before(real.not_valid_before_utc)
              .not_valid_after(real.not_valid_after_utc).sign(key, hashes.SHA256()))
    pem = forged.public_bytes(serialization.Encoding.PEM).decode()
    refused = client.post("/v1/card-checks", json={"certificate": pem})
    assert (refused.status_code, refused.json()["code"]) == (404, "card_certificate_unknown")
    garbage = client.post("/v1/card-checks", json={"certificate": "-----BEGIN nothing"})
    assert (garbage.status_code, garbage.json()["code"]) == (422, "malformed_certificate")
    monkey.undo()
