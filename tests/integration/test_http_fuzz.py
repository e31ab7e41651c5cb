"""Schemathesis against /openapi.json: the API answers as its schema says.

Generated requests go to every route and method with several callers' credentials; then
every route is called as a real client would, with real ids, by a caller who may. Each
answer is checked: no server error, a documented status, the documented content type,
and a body that matches the response schema (errors included: {code, message})."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import sampled_from
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.http_world import (
    NOW,
    OTHER,
    PEOPLE,
    TODAY,
    URA,
    build_world,
    chip_public_keys,
    make_identities,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
FUZZ_CALLERS = ("administrator", "holder", "auditor", "job_agent")
SEEN: list = []


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    identities = make_identities(tmp_path_factory.mktemp("card-ca"))
    api, headers, values, monkey = build_world(
        identities, tmp_path_factory.mktemp("fuzz") / "data", variant="other_unregistered")
    yield schemathesis.openapi.from_asgi("/openapi.json", api), headers, values
    monkey.undo()


def _operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def test_generated_requests_get_documented_answers(world):
    """Every operation, generated cases (schemathesis' strategies under hypothesis),
    with the credentials of a manager, a cardholder, an auditor and a reader agent."""
    schema, headers, _ = world
    operations = _operations(schema)
    assert len(operations) >= 30
    for operation in operations:

        @given(case=operation.as_strategy(), caller=sampled_from(FUZZ_CALLERS))
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case, caller):
            response = case.call(headers=headers[caller])
            SEEN.append((case.method, case.operation.path, response.status_code))
            case.validate_response(response, checks=CHECKS)

        check()
    assert {(method, path) for method, path, _ in SEEN} == {
        (op.method.upper(), op.path) for op in operations}
    assert sum(status != 401 for _, _, status in SEEN) > len(SEEN) / 2  # past the login


def test_real_requests_get_answers_that_match_their_schemas(world):
    """A client's session through the API, every route once, each call by a caller who
    may: success answers are checked against their schemas with real data."""
    schema, headers, values = world
    later = str(TODAY + dt.timedelta(days=30))
    job_keys = chip_public_keys()
    session = [  # (method, path, caller, path parameters, query, body, expected status)
        ("POST", "/v1/practices", "other_administrator", {}, {},
         {"ura": OTHER, "name": "Apotheek Elders", "kind": "apotheek"}, 201),
        ("GET", "/v1/practices/{ura}", "administrator", {"ura": URA}, {}, None, 200),
        ("POST", "/v1/practices/{ura}/managers", "administrator", {"ura": URA}, {},
         {"uzi_number": "900020077", "name": "Nieuwe Beheerder", "role": "beheerder"}, 201),
        ("DELETE", "/v1/practices/{ura}/managers/{uzi_number}", "administrator",
         {"ura": URA, "uzi_number": "900020077"}, {}, None, 204),
        ("POST", "/v1/practices/{ura}/orders", "beheerder", {"ura": URA}, {},
         {"quantity": 2}, 201),
        ("GET", "/v1/practices/{ura}/orders", "beheerder", {"ura": URA}, {}, None, 200),
        ("POST", "/v1/orders/{order_id}/shipment", "fulfilment",
         {"order_id": values["order"]}, {}, {"card_serials": ["ZID000000042"]}, 204),
        ("GET", "/v1/practices/{ura}/cards", "administrator", {"ura": URA},
         {"status": "active,revoked"}, None, 200),
        ("GET", "/v1/practices/{ura}/expiring", "administrator", {"ura": URA},
         {"within_days": 3660}, None, 200),
        ("POST", "/v1/cards", "colleague", {}, {}, {"card_serial": "ZID000000042"}, 201),
        ("GET", "/v1/personalisation-jobs/{job_id}", "job_agent", {"job_id": values["job"]},
         {}, None, 200),
        ("POST", "/v1/pairings", "nobody", {}, {},
         {"code": values["pairing_code"], "workstation": "balie-pc"}, 200),
        ("POST", "/v1/pairings", "nobody", {}, {}, {"code": values["pairing_code"]}, 404),
        ("POST", "/v1/personalisation-jobs/{job_id}/public-keys", "job_agent",
         {"job_id": values["job"]}, {}, job_keys, 200),
        ("POST", "/v1/personalisation-jobs/{job_id}/public-keys", "job_agent",
         {"job_id": values["job"]}, {}, job_keys, 409),  # once per job: the CA signs no more
        ("POST", "/v1/personalisation-jobs/{job_id}/result", "job_agent",
         {"job_id": values["job"]}, {}, {"outcome": "activated"}, 204),
        ("GET", "/v1/personalisation-jobs/{job_id}", "job_agent", {"job_id": values["job"]},
         {}, None, 200),
        ("GET", "/v1/me", "holder", {}, {}, None, 200),
        ("GET", "/v1/me", "administrator", {}, {}, None, 200),
        ("GET", "/v1/me", "billing", {}, {}, None, 200),
        ("GET", "/v1/cards/{card_id}", "holder", {"card_id": values["card"]}, {}, None, 200),
        ("POST", "/v1/cards/{card_id}/links", "other_administrator",
         {"card_id": values["card"]}, {}, {"ura": OTHER}, 409),  # R7: not without consent
        ("POST", "/v1/cards/{card_id}/link-requests", "holder", {"card_id": values["card"]},
         {}, {"ura": OTHER}, 201),
        ("DELETE", "/v1/cards/{card_id}/link-requests/{ura}", "other_administrator",
         {"card_id": values["card"], "ura": OTHER}, {}, None, 204),
        ("POST", "/v1/cards/{card_id}/link-requests", "holder", {"card_id": values["card"]},
         {}, {"ura": OTHER}, 201),
        ("GET", "/v1/practices/{ura}/link-requests", "other_administrator", {"ura": OTHER},
         {}, None, 200),
        ("POST", "/v1/cards/{card_id}/links", "other_administrator",
         {"card_id": values["card"]}, {}, {"ura": OTHER}, 201),
        ("POST", "/v1/practices/{ura}/link-invitations", "other_administrator",
         {"ura": OTHER}, {}, {"uzi_number": PEOPLE["colleague"][0]}, 201),
        ("GET", "/v1/practices/{ura}/link-invitations", "other_administrator", {"ura": OTHER},
         {}, None, 200),
        ("DELETE", "/v1/practices/{ura}/link-invitations/{uzi_number}", "colleague",
         {"ura": OTHER, "uzi_number": PEOPLE["colleague"][0]}, {}, None, 204),
        ("DELETE", "/v1/cards/{card_id}/links/{ura}", "holder",
         {"card_id": values["card"], "ura": OTHER}, {}, None, 204),
        ("POST", "/v1/cards/{card_id}/guest-uses", "other_administrator",
         {"card_id": values["card"]}, {},
         {"host_ura": OTHER, "starts_on": str(TODAY), "ends_on": later}, 201),
        ("GET", "/v1/cards/{card_id}/guest-uses", "holder", {"card_id": values["card"]}, {},
         None, 200),
        ("DELETE", "/v1/cards/{card_id}/guest-uses/{guest_use_id}", "other_administrator",
         {"card_id": values["card"], "guest_use_id": "$guest_use_id"}, {}, None, 204),
        ("POST", "/v1/practices/{ura}/mandates", "care_provider", {"ura": URA}, {},
         {"mandatee_uzi_number": PEOPLE["holder"][0],
          "valid_until": (NOW + dt.timedelta(days=90)).isoformat()}, 201),
        ("GET", "/v1/cards/{card_id}/mandates", "holder", {"card_id": values["card"]}, {},
         None, 200),
        ("DELETE", "/v1/mandates/{mandate_id}", "administrator",
         {"mandate_id": values["mandate"]}, {}, None, 204),
        ("PUT", "/v1/me/email", "holder", {}, {}, {"email": "bea@praktijk.example"}, 204),
        ("POST", "/v1/cards/{card_id}/renewal", "holder_card", {"card_id": values["card"]}, {},
         {"mode": "new_card", "card_serial": "ZID000000002"}, 409),  # years before its end
        ("DELETE", "/v1/me/email", "holder", {}, {}, None, 204),
        ("POST", "/v1/card-checks", "nobody", {}, {},
         {"certificate": values["holder_certificate"]}, 200),
        ("POST", "/v1/cards/{card_id}/pin-services", "holder", {"card_id": values["card"]},
         {}, None, 201),
        ("POST", "/v1/pairings", "nobody", {}, {}, {"code": "$pairing_code"}, 200),
        ("POST", "/v1/pin-services/{service_id}/result", "$job_token",
         {"service_id": "$service_id"}, {}, {"outcome": "unblocked"}, 204),
        ("POST", "/v1/cards/{card_id}/suspension", "holder", {"card_id": values["card"]}, {},
         {"reason": "kwijt"}, 204),
        ("DELETE", "/v1/cards/{card_id}/suspension", "beheerder", {"card_id": values["card"]},
         {}, None, 204),
        ("POST", "/v1/cards/{card_id}/revocation", "administrator",
         {"card_id": values["card"]}, {}, {"reason": "defect"}, 204),
        ("GET", "/v1/cards/{card_id}/history", "auditor", {"card_id": values["card"]}, {},
         None, 200),
        ("GET", "/v1/invoices", "billing", {}, {"period": values["period"]}, None, 200),
        ("GET", "/v1/events", "auditor", {}, {"after": 0, "limit": 500}, None, 200),
        ("GET", "/v1/crl", "nobody", {}, {}, None, 200),
        ("GET", "/v1/ca-certificate", "nobody", {}, {}, None, 200),
        ("POST", "/ocsp", "nobody", {}, {}, values["ocsp_der"], 200),
        ("GET", "/ocsp/{encoded}", "nobody", {"encoded": values["ocsp_b64"]}, {}, None, 200),
        ("GET", "/healthz", "nobody", {}, {}, None, 200),
        ("GET", "/metrics", "operator", {}, {}, None, 200),
    ]
    called, answered = set(), {}
    for method, path, caller, parameters, query, body, expected in session:
        parameters = {name: answered[value[1:]] if value.startswith("$") else value
                      for name, value in parameters.items()}  # "$x": x from an answer
        if isinstance(body, dict):
            body = {name: answered[value[1:]] if isinstance(value, str)
                    and value.startswith("$") else value for name, value in body.items()}
        sent = ({"Authorization": f"Bearer {answered[caller[1:]]}"} if caller.startswith("$")
                else headers[caller])  # "$job_token": the token an answer gave
        operation = schema[path][method]
        extra: dict = {} if body is None else {"body": body}
        if isinstance(body, bytes):  # a DER OCSP request
            extra["media_type"] = "application/octet-stream"
        case = operation.Case(path_parameters=parameters, query=query, **extra)
        response = case.call(headers={**sent, "Idempotency-Key": "session"})
        assert response.status_code == expected, (method, path, response.text[:300])
        case.validate_response(response, checks=CHECKS)
        called.add((method, path))
        if response.headers.get("content-type", [""])[0] == "application/json" \
                and isinstance(response.json(), dict):
            answered.update(response.json())
    job = schema["/v1/personalisation-jobs/{job_id}"]["GET"].Case(
        path_parameters={"job_id": values["job"]}).call(headers=headers["job_agent"]).json()
    assert job["status"] == "activated" and "management_keys" not in job
    assert called == {(op.method.upper(), op.path) for op in _operations(schema)}
