"""A world for the HTTP tests: two practices with their managers, cards issued by our
card CA (one active with a guest use, one revoked), a personalisation job in progress, a
mandate, orders, and a header for every kind of caller."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.bootstrap import CardWorkshop
from adapters.http.job_tokens import job_token, pairing_code, pin_service_token
from adapters.http.tokens import TokenStore
from adapters.pki.ca import CardCA
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import UziTestHierarchy
from adapters.pki.uzi import identity_of
from domain.identity import Actor
from tests.integration.test_http_api import header, make_api

URA, OTHER = "90000382", "90000417"
NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()
PERIOD = NOW.strftime("%Y-%m")

# People: (UZI number, card type, URA). "revoked_card" logs in with a ZORG-ID card that
# was revoked; "holder_card" is the holder logging in with their (active) ZORG-ID card.
PEOPLE = {
    "holder": ("900020001", "N", URA),
    "colleague": ("900020002", "N", URA),
    "administrator": ("900016528", "Z", URA),
    "beheerder": ("900020009", "N", URA),
    "care_provider": ("900016529", "Z", URA),
    "other_administrator": ("900030001", "Z", OTHER),
    "other_beheerder": ("900030009", "N", OTHER),
    "revoked_holder": ("900020004", "N", URA),
    "job_holder": ("900020005", "N", URA),
}
SERVICES = ("fulfilment", "billing", "auditor", "operator")


def make_identities(directory):
    """The test UZI hierarchy's passes for PEOPLE, an expired pass, and our card CA."""
    pki = UziTestHierarchy()
    issued = {name: pki.issue_pass(Holder(uzi, kind, ura, "01.015" if kind == "Z" else "00.000",
                                          "00000000", name.title(), "Test", "P"),
                                   NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=900))
              for name, (uzi, kind, ura) in PEOPLE.items()}
    expired = pki.issue_pass(Holder("900020003", "N", URA, "00.000", "00000000", "Oud", "Pas",
                                    "P"), NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1))
    authority = CardCA.create(directory, b"passphrase", NOW - dt.timedelta(days=1))
    workshop = CardWorkshop(authority, b"master secret of the HTTP tests")
    return pki, issued, expired, workshop


def chip_public_keys() -> dict[str, str]:
    """A body for the public-keys route: two new keys as a card's chip would make them,
    PEM (SubjectPublicKeyInfo) per slot."""
    return {slot: ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        for slot in ("9A", "9C")}


def card_header(workshop: CardWorkshop, certificate) -> dict[str, str]:
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM)
                   for c in (certificate, workshop.certificate))
    return {"X-SSL-Client-Cert": quote(pem.decode())}


def personalised(app, workshop: CardWorkshop, serial: str, holder) -> tuple:
    """A card created, certified by our card CA (keys made here, as the chip would) and
    activated: its id and its authentication certificate."""
    started = app.start_card_creation(serial, holder)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(2)]
    authentication, _ = workshop.certify(app, started.card_id, started.job_id,
                                         keys[0].public_key(), keys[1].public_key())
    app.activate_card(started.card_id, started.job_id, Actor.system("reader-agent"))
    return started.card_id, authentication


def ocsp_der(certificate, issuer) -> bytes:
    """An OCSP request for a certificate, as a relying party builds it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    return ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1()) \
        .build().public_bytes(serialization.Encoding.DER)


def ocsp_get_path(certificate, issuer) -> str:
    import base64

    return quote(base64.b64encode(ocsp_der(certificate, issuer)).decode(), safe="")


def build_world(identities, directory, variant: str = ""):
    """Two practices with their managers; the holder's active card (with a guest use at
    the other practice), a revoked card, a job in progress, a mandate, an unshipped
    order and a blank card; the callers' headers and the ids the routes need."""
    pki, issued, expired, workshop = identities
    monkey = pytest.MonkeyPatch()
    api = make_api(directory, pki, monkey, workshop)
    app = api.state.lifecycle
    passes = {name: identity_of(i.certificate).to_pass() for name, i in issued.items()}
    fulfilment = Actor.system("fulfilment")
    app.register_practice(URA, "Praktijk", "huisartsenpraktijk", passes["administrator"])
    app.appoint_manager(URA, PEOPLE["beheerder"][0], "Beheer", "beheerder",
                        passes["administrator"])
    serials = [f"ZID00000000{n}" for n in range(1, 6)]
    app.ship_order(app.place_order(URA, 5, "blanks", passes["administrator"]), serials,
                   fulfilment)
    card, holder_certificate = personalised(app, workshop, serials[0], passes["holder"])
    gone, revoked_certificate = personalised(app, workshop, serials[3],
                                             passes["revoked_holder"])
    app.revoke_card(gone, "defect", passes["revoked_holder"])
    job = app.start_card_creation(serials[4], passes["job_holder"]).job_id
    mandate = app.grant_mandate(URA, PEOPLE["colleague"][0], NOW + dt.timedelta(days=60),
                                passes["care_provider"])
    values = {"ura": URA, "card": str(card), "job": str(job), "mandate": str(mandate),
              "pairing_code": pairing_code(api.state.job_secret, job),
              "beheerder": PEOPLE["beheerder"][0], "period": PERIOD, "guest_use": "",
              "order": str(app.place_order(URA, 1, "pending", passes["administrator"]))}
    if variant != "other_unregistered":
        app.register_practice(OTHER, "Elders", "apotheek", passes["other_administrator"])
        app.appoint_manager(OTHER, PEOPLE["other_beheerder"][0], "Beheer Elders", "beheerder",
                            passes["other_administrator"])
        values["guest_use"] = str(app.grant_guest_use(
            card, OTHER, TODAY, TODAY + dt.timedelta(days=7), passes["other_administrator"]))
    values["other"], values["holder_uzi"] = OTHER, PEOPLE["holder"][0]
    values["ocsp_get"] = ocsp_get_path(holder_certificate, workshop.certificate)
    values["ocsp_der"] = ocsp_der(holder_certificate, workshop.certificate)
    values["ocsp_b64"] = __import__("base64").b64encode(values["ocsp_der"]).decode()
    if variant == "suspended":
        app.suspend_card(card, "kwijt", passes["holder"])
    if variant == "link_requested":
        app.request_link(card, OTHER, passes["holder"])
    if variant == "link_invited":
        app.invite_to_link(OTHER, PEOPLE["holder"][0], passes["other_administrator"])
    from cryptography.hazmat.primitives.serialization import Encoding
    values["holder_certificate"] = holder_certificate.public_bytes(Encoding.PEM).decode()
    agent_token = job_token(api.state.job_secret, job)
    if variant == "email_set":
        app.set_email("houder@praktijk.example", passes["holder"])
    if variant == "pin_service":  # the holder's PIN unblock, taken by a helper: its token
        service = app.start_pin_service(card, passes["holder"])
        app.claim_pin_service(card, service, "balie-pc", Actor.system("workstation"))
        values["pin_service"] = str(service)
        agent_token = pin_service_token(api.state.job_secret, service)
    tokens = TokenStore(directory / "tokens.json")
    headers = {name: header(i) for name, i in issued.items()}
    headers.update({role: {"Authorization": f"Bearer {tokens.create(role)}"}
                    for role in SERVICES})
    headers["holder_card"] = card_header(workshop, holder_certificate)
    headers["revoked_card"] = card_header(workshop, revoked_certificate)
    headers["job_agent"] = {"Authorization": f"Bearer {agent_token}"}
    headers["nobody"] = {}
    headers["expired"] = header(expired)
    api.state.views.catch_up()
    return api, headers, values, monkey


