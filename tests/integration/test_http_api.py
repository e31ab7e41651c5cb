"""The HTTP API through FastAPI's test client, with real X.509 client certificates in the
shape of the UZI TEST hierarchy forwarded as a TLS proxy would, on a SQLite store."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from adapters.bootstrap import Settings, init_data_dir
from adapters.http.app import create_app
from adapters.http.tokens import TokenStore
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy

URA = "90000382"
OTHER_URA = "90000417"
NOW = dt.datetime.now(dt.UTC)


def header(issued) -> dict[str, str]:
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM)
                   for c in [issued.certificate, *issued.chain])
    return {"X-SSL-Client-Cert": quote(pem.decode())}


def make_api(data_dir, pki: UziTestHierarchy, monkeypatch: pytest.MonkeyPatch,
             workshop=None, **settings_given):
    """The API on a fresh store (or the one in `data_dir`), trusting the test UZI
    hierarchy and, with a workshop, our card CA, behind the test client as its 'TLS
    proxy'."""
    settings = Settings(data_dir=data_dir, trusted_proxies=frozenset({"testclient"}),
                        uzi_ca_oids=(("N", TEST_CA_OIDS["N"]), ("Z", TEST_CA_OIDS["Z"])),
                        **settings_given)
    init_data_dir(settings)
    return create_app(settings, workshop=workshop, extra_anchors=[pki.root])




@pytest.fixture(scope="module")
def pki():
    return UziTestHierarchy()


@pytest.fixture(scope="module")
def people(pki):
    def issue(uzi, card_type, ura, given, surname, days=900):
        role = "01.015" if card_type == "Z" else "00.000"
        return header(pki.issue_pass(Holder(uzi, card_type, ura, role, "00000000", given,
                                            surname, "Praktijk"),
                                     NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=days)))
    return {
        "doctor": issue("900016528", "Z", URA, "Huib", "Arts"),
        "employee": issue("900020001", "N", URA, "Bea", "Assistent"),
        "colleague": issue("900020002", "N", URA, "Cor", "Balie"),
        "other_doctor": issue("900030001", "Z", OTHER_URA, "Dirk", "Dokter"),
        "expired": issue("900020003", "N", URA, "Oud", "Pas", days=-1),
    }


@pytest.fixture
def api(tmp_path, pki, monkeypatch):
    client = TestClient(make_api(tmp_path / "data", pki, monkeypatch))
    client.tokens = TokenStore(tmp_path / "data" / "tokens.json")  # type: ignore[attr-defined]
    return client


def bearer(client, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens.create(role)}"}


def test_a_practice_from_registration_to_a_card_and_its_revocation(api, people):
    created = api.post("/v1/practices", json={"ura": URA, "name": "Praktijk Noord",
                                              "kind": "huisartsenpraktijk"},
                       headers=people["doctor"])
    assert created.status_code == 201 and created.json() == {"ura": URA}
    practice = api.get(f"/v1/practices/{URA}", headers=people["doctor"])
    assert practice.status_code == 200
    assert practice.json()["administrators"][0]["uzi_number"] == "900016528"

    order = api.post(f"/v1/practices/{URA}/orders", json={"quantity": 2},
                     headers={**people["doctor"], "Idempotency-Key": "webshop-1"})
    assert order.status_code == 201
    assert order.json()["total_cents"] == 2 * 7500 + 695 + 3296
    again = api.post(f"/v1/practices/{URA}/orders", json={"quantity": 2},
                     headers={**people["doctor"], "Idempotency-Key": "webshop-1"})
    assert again.json()["order_id"] == order.json()["order_id"]
    shipped = api.post(f"/v1/orders/{order.json()['order_id']}/shipment",
                       json={"card_serials": ["ZID000000001", "ZID000000002"]},
                       headers=bearer(api, "fulfilment"))
    assert shipped.status_code == 204
    orders = api.get(f"/v1/practices/{URA}/orders", headers=people["doctor"]).json()
    assert orders[0]["status"] == "shipped"

    started = api.post("/v1/cards", json={"card_serial": "ZID000000001"},
                       headers=people["employee"])
    assert started.status_code == 201
    assert set(started.json()) == {"card_id", "job_id", "job_token"}
    card_id = started.json()["card_id"]
    assert api.get(f"/v1/cards/{card_id}", headers=people["employee"]).json()["status"] \
        == "personalising"
    me = api.get("/v1/me", headers=people["employee"]).json()
    assert me["uzi_number"] == "900020001" and me["cards"][0]["card_id"] == card_id

    assert api.get(f"/v1/cards/{card_id}", headers=people["colleague"]).status_code == 403
    listed = api.get(f"/v1/practices/{URA}/cards?status=active", headers=people["doctor"])
    assert listed.status_code == 200 and listed.json() == []

    events = api.get("/v1/events?after=0&limit=5", headers=bearer(api, "auditor"))
    assert events.status_code == 200 and [e["position"] for e in events.json()] == [1, 2, 3, 4, 5]
    health = api.get("/healthz").json()
    assert health["store_position"] == health["views_position"] > 0

    history = api.get(f"/v1/cards/{card_id}/history", headers=people["employee"])
    assert history.status_code == 200
    assert [e["type"] for e in history.json()["events"]] == ["Card.ShippedToPractice",
                                                             "Card.CreationStarted"]
    assert history.json()["state"]["status"] == "personalising"
    before = api.get(f"/v1/cards/{card_id}/history",
                     params={"at": "2000-01-01T00:00:00Z"}, headers=people["employee"])
    assert (before.status_code, before.json()["code"]) == (409, "before_first_event")
    naive = api.get(f"/v1/cards/{card_id}/history", params={"at": "2030-01-01T00:00:00"},
                    headers=people["employee"])
    assert (naive.status_code, naive.json()["code"]) == (422, "naive_datetime")
    assert api.get(f"/v1/cards/{card_id}/history",
                   headers=people["colleague"]).status_code == 403

    assert api.get("/metrics").status_code == 401
    metrics = api.get("/metrics", headers=bearer(api, "operator"))
    assert metrics.status_code == 200
    assert 'zorgid_http_requests_total{method="POST",route="/v1/cards",status="201"} 1' \
        in metrics.text
    assert f"zorgid_store_position {health['store_position']}" in metrics.text


class TestRefusals:
    def test_no_credential_and_untrusted_sources_are_401(self, api, people):
        assert api.get("/v1/me").json()["code"] == "no_credential"
        assert api.get("/v1/me").status_code == 401
        bad = api.get("/v1/me", headers={"Authorization": "Bearer nope"})
        assert (bad.status_code, bad.json()["code"]) == (401, "invalid_token")
        expired = api.get("/v1/me", headers=people["expired"])
        assert (expired.status_code, expired.json()["code"]) == (401, "certificate_expired")
        garbage = api.get("/v1/me", headers={"X-SSL-Client-Cert": "not%20a%20certificate"})
        assert garbage.json()["code"] == "malformed_certificate"

    def test_a_forged_header_from_an_untrusted_address_is_refused(self, api, people,
                                                                   monkeypatch):
        api.app.state.auth.trusted_proxies = frozenset({"10.9.9.9"})
        refused = api.get("/v1/me", headers=people["doctor"])
        assert (refused.status_code, refused.json()["code"]) == (401, "untrusted_proxy")

    def test_a_certificate_from_an_untrusted_ca_is_refused(self, api):
        stranger = UziTestHierarchy()
        issued = stranger.issue_pass(Holder("900099999", "N", URA, "00.000", "00000000", "X",
                                            "Y", "Z"), NOW - dt.timedelta(days=1),
                                     NOW + dt.timedelta(days=5))
        refused = api.get("/v1/me", headers=header(issued))
        assert (refused.status_code, refused.json()["code"]) == (401,
                                                                 "certificate_untrusted_chain")

    def test_rules_forbidden_and_bad_input(self, api, people):
        other = api.post("/v1/practices", json={"ura": URA, "name": "X", "kind": "apotheek"},
                         headers=people["other_doctor"])
        assert (other.status_code, other.json()["code"]) == (403, "ura_mismatch")
        api.post("/v1/practices", json={"ura": URA, "name": "Noord", "kind": "apotheek"},
                 headers=people["doctor"])
        twice = api.post("/v1/practices", json={"ura": URA, "name": "Noord",
                                                "kind": "apotheek"}, headers=people["doctor"])
        assert (twice.status_code, twice.json()["code"]) == (409, "practice_already_registered")
        last = api.delete(f"/v1/practices/{URA}/managers/900016528", headers=people["doctor"])
        assert (last.status_code, last.json()["code"]) == (409, "last_administrator")
        peek = api.get(f"/v1/practices/{URA}", headers=people["employee"])
        assert (peek.status_code, peek.json()["code"]) == (403, "not_manager")
        guess = api.get("/v1/practices/12345678", headers=people["doctor"])
        assert (guess.status_code, guess.json()["code"]) == (403, "not_manager")  # not: 404
        unknown = api.get("/v1/practices/12345678", headers=bearer(api, "auditor"))
        assert (unknown.status_code, unknown.json()["code"]) == (404, "practice_not_found")
        malformed = api.post("/v1/practices", content=b"{not json",
                             headers={**people["doctor"], "Content-Type": "application/json"})
        assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed")
        invalid = api.post("/v1/practices", json={"ura": URA, "name": "X", "kind": "tandarts"},
                           headers=people["doctor"])
        assert (invalid.status_code, invalid.json()["code"]) == (422, "invalid_field")
        no_key = api.post(f"/v1/practices/{URA}/orders", json={"quantity": 1},
                          headers=people["doctor"])
        assert (no_key.status_code, no_key.json()["code"]) == (422, "missing_idempotency_key")
        not_a_token = api.post("/v1/orders/00000000-0000-0000-0000-000000000000/shipment",
                               json={"card_serials": []}, headers=people["doctor"])
        assert not_a_token.status_code == 403
        bad_uuid = api.get("/v1/cards/not-a-uuid", headers=people["doctor"])
        assert bad_uuid.status_code == 422
        head = api.get("/healthz").json()["store_position"]
        assert head == 3  # only the one registration was appended


def with_card_ca_and_an_order(api, people, tmp_path, secret: bytes, quantity: int) -> dict:
    """The server holds a card CA and master secret; a registered practice ordered cards."""
    from adapters.bootstrap import CardWorkshop
    from adapters.pki.ca import CardCA

    api.app.state.workshop = CardWorkshop(
        CardCA.create(tmp_path / "ca", b"pw", NOW - dt.timedelta(days=1)), secret)
    api.post("/v1/practices", json={"ura": URA, "name": "Noord", "kind": "apotheek"},
             headers=people["doctor"])
    return api.post(f"/v1/practices/{URA}/orders", json={"quantity": quantity},
                    headers={**people["doctor"], "Idempotency-Key": "k"}).json()


class TestRemotePersonalisation:
    SECRET = b"master secret of the test server"

    def prepare(self, api, people, tmp_path):
        order = with_card_ca_and_an_order(api, people, tmp_path, self.SECRET, 1)
        api.post(f"/v1/orders/{order['order_id']}/shipment",
                 json={"card_serials": ["ZID000000777"]}, headers=bearer(api, "fulfilment"))

    def blank_card(self, tmp_path):
        from adapters.pki.card_keys import management_key
        from adapters.reader.personalise import MANAGEMENT_ALGORITHM
        from adapters.reader.virtual_card import VirtualPivCard

        return VirtualPivCard.blank(tmp_path / "card.json", "ZID000000777",
                                    MANAGEMENT_ALGORITHM,
                                    management_key(self.SECRET, "ZID000000777", False))

    def test_a_remote_reader_agent_personalises_through_the_api(self, api, people, tmp_path):
        from adapters.reader.remote_agent import run_job
        from tests.unit.test_piv_session import InProcess

        self.prepare(api, people, tmp_path)
        started = api.post("/v1/cards", json={"card_serial": "ZID000000777"},
                           headers=people["employee"]).json()
        stranger = api.get(f"/v1/personalisation-jobs/{started['job_id']}",
                           headers={"Authorization": "Bearer forged"})
        assert (stranger.status_code, stranger.json()["code"]) == (401, "invalid_job_token")
        card = self.blank_card(tmp_path)
        result = run_job(api, started["job_id"], started["job_token"], InProcess(card),
                         "482915", "73920184")
        assert result.serial == "ZID000000777" and result.sealed
        view = api.get(f"/v1/cards/{started['card_id']}", headers=people["employee"]).json()
        assert view["status"] == "active" and view["links"] == [URA]
        job = api.get(f"/v1/personalisation-jobs/{started['job_id']}",
                      headers={"Authorization": f"Bearer {started['job_token']}"}).json()
        assert job["status"] == "activated" and "management_keys" not in job
        assert job["card_key_type"] == "rsa2048"
        assert sorted(card.state.keys) == ["9A", "9C", "9D"]  # as the UZI pass's three
        stored = api.app.state.lifecycle.get_card(UUID(started["card_id"])).certificates
        assert [c["slot"] for c in stored] == ["9A", "9C", "9D"]

    def test_an_older_agent_posts_two_keys_and_its_card_gets_two_certificates(
            self, api, people, tmp_path):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.prepare(api, people, tmp_path)
        started = api.post("/v1/cards", json={"card_serial": "ZID000000777"},
                           headers=people["employee"]).json()
        bearer = {"Authorization": f"Bearer {started['job_token']}"}

        def pem(key) -> str:
            return key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo).decode()

        two = {"9A": pem(ec.generate_private_key(ec.SECP256R1())),
               "9C": pem(ec.generate_private_key(ec.SECP256R1()))}
        not_a_key = api.post(f"/v1/personalisation-jobs/{started['job_id']}/public-keys",
                             json={**two, "9D": "-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                                "-----END PUBLIC KEY-----\n"}, headers=bearer)
        assert (not_a_key.status_code, not_a_key.json()["code"]) == (422,
                                                                     "invalid_public_key")
        answer = api.post(f"/v1/personalisation-jobs/{started['job_id']}/public-keys",
                          json=two, headers=bearer)  # nothing was issued for the refusal
        assert answer.status_code == 200, answer.text
        assert set(answer.json()) == {"9A", "9C"}
        certificates = [x509.load_pem_x509_certificate(answer.json()[s].encode())
                        for s in ("9A", "9C")]
        assert all(isinstance(c.public_key(), ec.EllipticCurvePublicKey)
                   for c in certificates)  # the key type the card made
        stored = api.app.state.lifecycle.get_card(UUID(started["card_id"])).certificates
        assert [c["slot"] for c in stored] == ["9A", "9C"]

    def test_a_failed_remote_attempt_is_recorded_and_the_card_can_be_tried_again(
            self, api, people, tmp_path):
        from adapters.reader.personalise import PersonalisationError
        from adapters.reader.remote_agent import run_job
        from tests.unit.test_agent import Pulled
        from tests.unit.test_piv_session import InProcess

        self.prepare(api, people, tmp_path)
        first = api.post("/v1/cards", json={"card_serial": "ZID000000777"},
                         headers=people["employee"]).json()
        card = self.blank_card(tmp_path)
        with pytest.raises(PersonalisationError) as failure:
            run_job(api, first["job_id"], first["job_token"], Pulled(card, 6), "482915",
                    "73920184")
        job = api.get(f"/v1/personalisation-jobs/{first['job_id']}",
                      headers={"Authorization": f"Bearer {first['job_token']}"}).json()
        # cut short while making the keys, recorded as what the person did: the card taken out
        assert failure.value.step == "generate_key"
        assert (job["status"], job["step"]) == ("failed", "card_removed")
        card.power_on()
        second = api.post("/v1/cards", json={"card_serial": "ZID000000777"},
                          headers=people["employee"]).json()
        run_job(api, second["job_id"], second["job_token"], InProcess(card), "482915",
                "73920184")
        assert api.get(f"/v1/cards/{second['card_id']}",
                       headers=people["employee"]).json()["status"] == "active"


class TestFactoryCardsThroughTheApi:
    SECRET = b"master secret of the test server"

    def test_a_shipment_names_the_chips_and_the_remote_agent_writes_the_right_card(
            self, api, people, tmp_path):
        from adapters.reader.personalise import PersonalisationError
        from adapters.reader.remote_agent import run_job
        from adapters.reader.virtual_card import VirtualPivCard
        from tests.unit.test_piv_session import InProcess

        order = with_card_ca_and_an_order(api, people, tmp_path, self.SECRET, 2)
        both = api.post(f"/v1/orders/{order['order_id']}/shipment", json={
            "card_serials": ["ZID000000801"], "cards": [{"serial": "ZID000000801"}]},
            headers=bearer(api, "fulfilment"))
        assert (both.status_code, both.json()["code"]) == (422, "invalid_field")
        shipped = api.post(f"/v1/orders/{order['order_id']}/shipment", json={"cards": [
            {"serial": "ZID000000801", "chip_id": "yubico:801", "management_key_algorithm":
             "TDES"},
            {"serial": "ZID000000802", "chip_id": "yubico:802"}]},
            headers=bearer(api, "fulfilment"))
        assert shipped.status_code == 204, shipped.text
        started = api.post("/v1/cards", json={"card_serial": "ZID000000801"},
                           headers=people["employee"]).json()
        job = api.get(f"/v1/personalisation-jobs/{started['job_id']}",
                      headers={"Authorization": f"Bearer {started['job_token']}"}).json()
        assert job["chip_id"] == "yubico:801"
        other = VirtualPivCard.factory(tmp_path / "other.json", 802)  # the wrong card
        with pytest.raises(PersonalisationError) as wrong:
            run_job(api, started["job_id"], started["job_token"], InProcess(other),
                    "482915", "73920184")
        assert wrong.value.code == "wrong_card" and other.state.keys == {}
        again = api.post("/v1/cards", json={"card_serial": "ZID000000801"},
                         headers=people["employee"]).json()
        right = VirtualPivCard.factory(tmp_path / "right.json", 801)
        result = run_job(api, again["job_id"], again["job_token"], InProcess(right),
                         "482915", "73920184")
        assert result.serial == "ZID000000801" and result.sealed
        assert not right.state.management_key_is_default
