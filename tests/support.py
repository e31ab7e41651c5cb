"""Builders shared by the tests: UZI passes, a ready practice, a card through its lifecycle."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.application import CardLifecycle
from domain.card import IssuedCertificate
from domain.clock import ManualClock
from domain.identity import Actor, UziPass
from domain.personalisation import CardCertificates, Personalisation

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
URA_A = "90000382"
URA_B = "90000417"
FULFILMENT = Actor.system("fulfilment")
CA = Actor.system("card-ca")
AGENT = Actor.system("reader-agent")


def uzi_pass(
    uzi_number: str,
    card_type: str = "N",
    ura: str = URA_A,
    role: str | None = None,
    name: tuple[str, str] = ("Anna", "de Vries"),
    valid_from: datetime = T0 - timedelta(days=365),
    years: int = 5,
) -> UziPass:
    return UziPass(
        uzi_number=uzi_number,
        card_type=card_type,
        ura=ura,
        role=role or ("01.015" if card_type == "Z" else "00.000"),
        given_name=name[0],
        surname=name[1],
        not_before=valid_from,
        not_after=valid_from + timedelta(days=365 * years),
    )


# The cast of the tests.
DOCTOR_A = uzi_pass("900016528", "Z", URA_A, name=("Huib", "Arts"))  # representative of A
ASSISTANT_A = uzi_pass("900020001", "N", URA_A, name=("Bea", "Assistent"))
ASSISTANT_A2 = uzi_pass("900020002", "N", URA_A, name=("Cor", "Balie"))
DOCTOR_B = uzi_pass("900030001", "Z", URA_B, name=("Dirk", "Dokter"))  # representative of B
EMPLOYEE_B = uzi_pass("900030002", "N", URA_B, name=("Eva", "Medewerker"))


def expired(p: UziPass, at: datetime) -> UziPass:
    return replace(p, not_after=at - timedelta(seconds=1))


def make_app(env: dict[str, str] | None = None, start: datetime = T0) -> CardLifecycle:
    clock = ManualClock(start)
    return CardLifecycle(env=env or {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)


def clock_of(app: CardLifecycle) -> ManualClock:
    assert isinstance(app.clock, ManualClock)
    return app.clock


def ready_practice(app: CardLifecycle, ura: str = URA_A, serials: int = 3) -> list[str]:
    """Register the practice (if needed), order and ship `serials` blank cards."""
    rep = DOCTOR_A if ura == URA_A else DOCTOR_B
    if app._find_practice(ura) is None:
        app.register_practice(ura, f"Huisartsenpraktijk {ura}", "huisartsenpraktijk", rep)
    prefix = f"ZID{ura[-3:]}"
    existing = app.head()
    names = [f"{prefix}{existing:06d}{i:02d}" for i in range(serials)]
    order_id = app.place_order(ura, serials, f"order-{existing}", rep)
    app.ship_order(order_id, names, FULFILMENT)
    return names


def certificates_for(app: CardLifecycle, card_id: UUID) -> tuple[list[IssuedCertificate], datetime]:
    not_before, not_after = app.certificate_validity(card_id)
    certs = [
        IssuedCertificate(slot, hashlib.sha1(f"{card_id}{slot}".encode()).hexdigest()[:16],
                          hashlib.sha256(f"{card_id}{slot}".encode()).hexdigest(), not_after)
        for slot in ("9A", "9C")
    ]
    return certs, not_before


class MadeUpIssuer:
    """A card CA for domain tests: it signs nothing, its certificates are made up from
    the card id (as `certificates_for` makes them)."""

    def issue_card_certificates(self, holder, organisation, card_id, signature_key,
                                not_before, not_after, confidentiality_key=None
                                ) -> CardCertificates[None]:
        slots = ("9A", "9C", "9D") if confidentiality_key is not None else ("9A", "9C")
        records = tuple(
            IssuedCertificate(slot, hashlib.sha1(f"{card_id}{slot}".encode()).hexdigest()[:16],
                              hashlib.sha256(f"{card_id}{slot}".encode()).hexdigest(), not_after)
            for slot in slots)
        return CardCertificates(None, None, records)


def create_card(app: CardLifecycle, serial: str, holder: UziPass = ASSISTANT_A) -> UUID:
    """The whole personalisation (the application's one sequence): start, certificates,
    activation."""
    started, _ = Personalisation(app, MadeUpIssuer()).run(
        serial, holder, lambda started, certify: certify(started.card_id, None))
    return started.card_id


def new_events(app: CardLifecycle, since: int) -> list[str]:
    return [e.type for e in app.read_log(after=since)]


def zorgid_command() -> list[str]:
    """The installed `zorgid` console script, or the module when it is not installed."""
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("zorgid")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def wait_for_health(base: str, process, seconds: float = 30):  # type: ignore[no-untyped-def]
    """Wait until a started `zorgid serve` answers /healthz; fail if it died or hangs."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"{base}/healthz", timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
            time.sleep(0.1)
