"""Schemathesis against /openapi.json: generated requests to every route and method,
with a manager's credential, find no server error (5xx)."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from adapters.bootstrap import CardWorkshop
from adapters.pki.ca import CardCA
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import UziTestHierarchy
from adapters.pki.uzi import identity_of
from tests.integration.test_http_api import header, make_api

NOW = dt.datetime.now(dt.UTC)
SEEN: list = []


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    monkey = pytest.MonkeyPatch()
    pki = UziTestHierarchy()
    workshop = CardWorkshop(CardCA.create(tmp_path_factory.mktemp("ca"), b"pw",
                                          NOW - dt.timedelta(days=1)), b"master secret")
    app = make_api(tmp_path_factory.mktemp("fuzz") / "data", pki, monkey, workshop)
    doctor = pki.issue_pass(Holder("900016528", "Z", "90000382", "01.015", "00000000", "Huib",
                                   "Arts", "P"), NOW - dt.timedelta(days=9),
                            NOW + dt.timedelta(days=99))
    app.state.lifecycle.register_practice("90000382", "Praktijk", "apotheek",
                                          identity_of(doctor.certificate).to_pass())
    app.state.fuzz_headers = header(doctor)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    monkey.undo()


def test_no_route_answers_with_a_server_error(api_schema):
    """Every operation, generated cases (schemathesis' strategies under hypothesis)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    headers = api_schema.app.state.fuzz_headers
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case):
            response = case.call(headers=headers)
            SEEN.append((case.method, case.operation.path, response.status_code))
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        check()
    assert {(method, path) for method, path, _ in SEEN} == {
        (op.method.upper(), op.path) for op in operations}
    assert sum(status != 401 for _, _, status in SEEN) > len(SEEN) / 2  # past the login
