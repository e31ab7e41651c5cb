"""The fixed contract of issue 5, checked against /openapi.json: other vendors' portals are
written against these routes, fields and settings, so they may grow but never change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Settings, init_data_dir
from adapters.http.app import create_app

# method, path, request body fields, answer fields (of the success status)
CONTRACT = [
    ("POST", "/v1/practices", {"ura", "name", "kind"}, {"ura"}),
    ("GET", "/v1/practices/{ura}", None, {"ura", "name", "administrators", "beheerders"}),
    ("POST", "/v1/practices/{ura}/managers", {"uzi_number", "name", "role"}, set()),
    ("DELETE", "/v1/practices/{ura}/managers/{uzi_number}", None, None),
    ("POST", "/v1/practices/{ura}/orders", {"quantity"}, {"order_id", "lines", "total_cents"}),
    ("GET", "/v1/practices/{ura}/orders", None, {"order_id", "status"}),
    ("POST", "/v1/orders/{order_id}/shipment", {"card_serials", "cards"}, None),
    ("GET", "/v1/practices/{ura}/cards", None, {"card_id", "status", "expires_at"}),
    ("POST", "/v1/cards", {"card_serial"}, {"card_id", "job_id", "job_token"}),
    ("GET", "/v1/me", None, set()),
    ("GET", "/v1/cards/{card_id}", None, {"card_id", "status"}),
    ("POST", "/v1/cards/{card_id}/suspension", {"reason"}, None),
    ("DELETE", "/v1/cards/{card_id}/suspension", None, None),
    ("POST", "/v1/cards/{card_id}/revocation", {"reason"}, None),
    ("POST", "/v1/cards/{card_id}/links", {"ura"}, set()),
    ("DELETE", "/v1/cards/{card_id}/links/{ura}", None, None),
    ("POST", "/v1/cards/{card_id}/link-requests", {"ura"}, {"card_id", "ura", "status"}),
    ("DELETE", "/v1/cards/{card_id}/link-requests/{ura}", None, None),
    ("POST", "/v1/practices/{ura}/link-invitations", {"uzi_number"},
     {"ura", "uzi_number", "status"}),
    ("DELETE", "/v1/practices/{ura}/link-invitations/{uzi_number}", None, None),
    ("GET", "/v1/practices/{ura}/link-requests", None, {"card_id", "serial", "holder_name"}),
    ("GET", "/v1/practices/{ura}/link-invitations", None, {"uzi_number", "invited_at"}),
    ("POST", "/v1/cards/{card_id}/guest-uses", {"host_ura", "starts_on", "ends_on"}, set()),
    ("DELETE", "/v1/cards/{card_id}/guest-uses/{guest_use_id}", None, None),
    ("GET", "/v1/cards/{card_id}/history", None, {"events", "state"}),
    ("POST", "/v1/practices/{ura}/mandates", {"mandatee_uzi_number", "valid_until"}, set()),
    ("DELETE", "/v1/mandates/{mandate_id}", None, None),
    ("GET", "/v1/cards/{card_id}/mandates", None, set()),
    ("GET", "/v1/practices/{ura}/expiring", None, {"card_id", "expires_at"}),
    ("GET", "/v1/invoices", None, {"lines"}),
    ("GET", "/v1/events", None, {"position", "type", "payload"}),
    ("GET", "/v1/personalisation-jobs/{job_id}", None, set()),
    ("POST", "/v1/personalisation-jobs/{job_id}/public-keys", {"9A", "9C"}, {"9A", "9C"}),
    ("POST", "/v1/personalisation-jobs/{job_id}/result", {"outcome", "step", "detail"}, None),
    ("GET", "/v1/crl", None, None),
    ("GET", "/healthz", None, {"store_position", "views_position"}),
    ("GET", "/metrics", None, None),
]
QUERIES = {("GET", "/v1/practices/{ura}/cards"): {"status"},
           ("GET", "/v1/practices/{ura}/expiring"): {"within_days"},
           ("GET", "/v1/invoices"): {"period", "ura"},
           ("GET", "/v1/events"): {"after", "limit"},
           ("GET", "/v1/cards/{card_id}/history"): {"at"}}
ERROR_STATUSES = {"400", "401", "403", "404", "409", "422"}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("contract") / "data")
    init_data_dir(settings)
    return TestClient(create_app(settings)).get("/openapi.json").json()


def _resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "array":
        return _resolve(document, schema["items"])
    if "anyOf" in schema or "oneOf" in schema:  # a union: the fields of its first member
        return _resolve(document, (schema.get("anyOf") or schema["oneOf"])[0])
    return schema


@pytest.mark.parametrize(("method", "path", "request_fields", "answer_fields"), CONTRACT,
                         ids=[f"{m} {p}" for m, p, *_ in CONTRACT])
def test_the_contract_route_is_there_as_agreed(document, method, path, request_fields,
                                                answer_fields):
    operation = document["paths"][path][method.lower()]
    if request_fields is not None:
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        schema = _resolve(document, body)
        # the agreed fields stay; a field added later is optional, so old callers still fit
        assert request_fields <= set(schema["properties"])
        assert set(schema.get("required", [])) <= request_fields
    success = next(s for s in operation["responses"] if s.startswith("2"))
    if answer_fields is not None:
        content = operation["responses"][success]["content"]["application/json"]["schema"]
        assert answer_fields <= set(_resolve(document, content)["properties"])
    else:
        assert "application/json" not in operation["responses"][success].get("content", {})
    expected_query = QUERIES.get((method, path), set())
    assert {p["name"] for p in operation.get("parameters", [])
            if p["in"] == "query"} == expected_query
    if path.startswith("/v1/"):
        errors = set(operation["responses"]) & ERROR_STATUSES
        assert errors == ERROR_STATUSES
        for status in errors:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert set(_resolve(document, schema)["properties"]) == {"code", "message"}


def test_the_error_shape_and_the_service_roles_are_as_agreed(document):
    from adapters.http.tokens import ROLES

    assert {"fulfilment", "billing", "auditor"} <= set(ROLES)
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message"]


def test_every_operation_says_what_it_does_who_may_call_and_how_it_refuses(document):
    from adapters.http.portal.texts import ERRORS_NL

    assert set(document["components"]["securitySchemes"]) == {
        "clientCertificate", "serviceToken", "jobToken"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            assert operation.get("summary") and len(operation["summary"]) > 8, name
            assert operation.get("description") and len(operation["description"]) > 8, name
            public = path in ("/healthz", "/v1/crl", "/v1/ca-certificate", "/ocsp",
                              "/ocsp/{encoded}", "/v1/pairings", "/v1/card-checks")
            assert (operation.get("security") == []) == public, name
            codes = operation["x-error-codes"]
            for status, listed in codes.items():
                assert listed, name
                assert all(code in ERRORS_NL for code in listed), (name, listed)  # real codes
                described = operation["responses"][str(status)]["description"]
                assert all(f"`{code}`" in described for code in listed), (name, status)


def test_enumerations_are_enums_and_the_idempotency_key_is_required(document):
    schemas = document["components"]["schemas"]
    card = schemas["Card"]["properties"]
    assert "active" in _resolve(document, card["status"])["enum"]
    reasons = next(s for s in card["revocation_reason"]["anyOf"] if "enum" in s)["enum"]
    assert "loss_or_theft" in reasons and "superseded" in reasons
    given = schemas["RevocationRequest"]["properties"]["reason"]["enum"]
    assert "loss_or_theft" in given and "superseded" not in given
    assert "beheerder" in _resolve(document, schemas["ManagerAppointed"]["properties"]["role"])[
        "enum"]
    assert "apotheek" in _resolve(document, schemas["Practice"]["properties"]["kind"])["enum"]
    assert "billing" in schemas["ServiceMe"]["properties"]["role"]["enum"]
    order = document["paths"]["/v1/practices/{ura}/orders"]["post"]
    key = next(p for p in order["parameters"] if p["name"].lower() == "idempotency-key")
    assert key["required"] is True


def test_the_documentation_pages_work_without_internet(tmp_path):
    import re

    settings = Settings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    client = TestClient(create_app(settings))
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(
            r"url: ?'([^']+)'", html)
        assert sources, page
        assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], page
        for source in sources:
            if source.startswith("/static-offline-docs/"):
                assert client.get(source).status_code == 200, source
