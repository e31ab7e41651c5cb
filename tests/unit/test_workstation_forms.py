"""The workstation helper's forms under any input (hypothesis): whatever is typed as a
pairing code, PIN or PUK, the helper answers with a page (never a 500), echoes no typed
secret back, and only its own origin's forms are taken. The API is a stand-in here
(httpx's MockTransport) and there is no reader; the real ones are in
tests/integration/test_workstation_failures.py and the e2e tests."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.workstation.helper import Helper, HelperError
from adapters.workstation.web import create_helper_app
from domain.clock import ManualClock

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"


class NoReaders:
    def names(self) -> list[str]:
        return []

    def connect(self, name_filter: str, timeout: float):
        raise HelperError("no_reader", "no reader")


def api(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"code": "pairing_code_unknown", "message": "unknown"})


def helper_client() -> TestClient:
    helper = Helper("http://api.test", NoReaders(), ManualClock(dt.datetime.now(dt.UTC)),
                    "pc", client=httpx.Client(base_url="http://api.test",
                                              transport=httpx.MockTransport(api)))
    return TestClient(create_helper_app(helper, PORT), base_url=ORIGIN,
                      headers={"Origin": ORIGIN})


CLIENT = helper_client()
typed = st.text(max_size=40)
FORMS = {"/pair": ("code",), "/pin": ("old_pin", "new_pin", "new_pin_again"),
         "/unblock": ("puk", "new_pin", "new_pin_again"),
         "/write": ("pin", "pin_again", "puk", "puk_again")}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(sorted(FORMS)), values=st.lists(typed, min_size=4, max_size=4),
       lang=st.sampled_from(["nl", "en", "xx"]))
def test_any_typed_input_gets_a_page_and_no_secret_back(path, values, lang):
    data = dict(zip(FORMS[path], values, strict=False))
    answer = CLIENT.post(f"{path}?lang={lang}", data=data, follow_redirects=False)
    assert answer.status_code in (200, 303, 409, 422), (answer.status_code, answer.text[:200])
    if answer.status_code != 303:
        assert answer.headers["content-type"].startswith("text/html")
        for value in values:
            if len(value) >= 6 and value.strip():
                assert f'value="{value}"' not in answer.text  # no field is filled back in


def test_forms_from_another_origin_are_refused():
    for path in FORMS:
        refused = CLIENT.post(path, data={}, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
    assert CLIENT.get("/", headers={"Host": "evil.example:8765"}).status_code == 421
