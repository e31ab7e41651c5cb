"""A deterministic, realistic history for demos, tests and benchmarks.

Practices of all three kinds register with their representative's UZI pass,
appoint beheerders, order and receive blank cards; employees create their own
cards (some attempts fail and are retried), care providers give mandates,
locums get guest use, cards are linked and unlinked, suspended and resumed,
revoked and replaced, renewed before they end or left to expire. Every command
goes through CardLifecycle, so every rule applies; a few attempts that the
rules refuse are made on purpose and counted.

The same seed and practice count always give the same events.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.application import CardLifecycle, CreationStarted
from domain.card import CardStatus, IssuedCertificate
from domain.clock import ManualClock
from domain.errors import DomainError
from domain.identity import Actor, CardHolder, CardType, RoleCode, Ura, UziNumber, UziPass
from domain.personalisation import (
    WORKSTATION_HELPER,
    CardCertificates,
    Certify,
    Personalisation,
    StepFailed,
)

DEMO_START = datetime(2022, 9, 1, 8, 0, tzinfo=UTC)
DEMO_END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

GIVEN = ["Anna", "Bram", "Daan", "Emma", "Fenna", "Gijs", "Hanna", "Ilse", "Jeroen", "Julia",
         "Kees", "Lotte", "Maarten", "Noor", "Olaf", "Pien", "Ruben", "Sanne", "Thijs", "Vera",
         "Wout", "Yara", "Zoë", "Fatima", "Mohamed", "Priya", "Sven", "Eline", "Joost", "Lieke"]
SURNAMES = ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
            "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
            "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
            "van der Meer", "Kok", "Jacobs", "Yilmaz", "El Amrani", "Verhoeven", "Kramer"]
PLACES = ["Amersfoort", "Zwolle", "Leiden", "Delft", "Assen", "Hoorn", "Tiel", "Venlo", "Goes",
          "Emmen", "Sneek", "Breda", "Gouda", "Almelo", "Weert", "Meppel", "Deventer", "Harderwijk"]
KINDS = ["huisartsenpraktijk", "apotheek", "huisartsenpost"]
FAILURE_STEPS = ["card_removed", "generate_key", "put_certificate", "reader_gone"]

FULFILMENT = Actor.system("fulfilment")
EXPIRY_JOB = Actor.system("expiry-job")


@dataclass
class DemoSummary:
    practices: Counter[str] = field(default_factory=Counter)
    managers: Counter[str] = field(default_factory=Counter)
    orders: int = 0
    cards_shipped: int = 0
    cards: Counter[str] = field(default_factory=Counter)
    personalisation_failures: int = 0
    superseded: int = 0
    links: int = 0
    unlinks: int = 0
    guest_uses: int = 0
    mandates: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    events: int = 0
    until: datetime = DEMO_END

    def lines(self) -> list[str]:
        def fmt(counter: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"

        return [
            f"ZORG-ID demo history up to {self.until.isoformat()}",
            f"  practices        {sum(self.practices.values()):>6}  ({fmt(self.practices)})",
            f"  managers         {sum(self.managers.values()):>6}  ({fmt(self.managers)})",
            f"  orders           {self.orders:>6}  ({self.cards_shipped} blank cards shipped)",
            f"  cards            {sum(self.cards.values()):>6}  ({fmt(self.cards)})",
            f"  failed attempts  {self.personalisation_failures:>6}  "
            "(retried on the same blank card)",
            f"  superseded       {self.superseded:>6}  (replaced by a newer card, R5)",
            f"  links / unlinks  {self.links:>6} / {self.unlinks}",
            f"  guest uses       {self.guest_uses:>6}",
            f"  mandates         {self.mandates:>6}",
            f"  refused on purpose {sum(self.refusals.values()):>4}  ({fmt(self.refusals)})",
            f"  events stored    {self.events:>6}",
        ]


@dataclass
class Staff:
    uzi: UziPass
    practice: DemoPractice
    card_id: UUID | None = None


@dataclass
class DemoPractice:
    ura: str
    kind: str
    name: str
    admin: UziPass
    beheerder: UziPass | None = None
    employees: list[Staff] = field(default_factory=list)
    providers: list[UziPass] = field(default_factory=list)
    spare: list[str] = field(default_factory=list)
    orders: int = 0
    registered: bool = False


class DemoIssuer:
    """The demo's card CA: it signs nothing. Its certificates are a random serial and the
    fingerprint of the demo card's serial (which stands in for the keys it has not got)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def issue_card_certificates(self, holder: CardHolder, organisation: str,
                                authentication_key: object, signature_key: object,
                                not_before: datetime, not_after: datetime,
                                confidentiality_key: object = None
                                ) -> CardCertificates[None]:
        records = [
            IssuedCertificate(slot, f"{self.rng.getrandbits(64):016x}",
                              hashlib.sha256(f"{key}/{slot}".encode()).hexdigest(), not_after)
            for slot, key in (("9A", authentication_key), ("9C", signature_key))]
        if confidentiality_key is not None:  # its serial from the others: the same draws
            fingerprint = hashlib.sha256(f"{confidentiality_key}/9D".encode()).hexdigest()
            serial = hashlib.sha256((records[0].serial_number + "9D").encode()).hexdigest()
            records.append(IssuedCertificate("9D", serial[:16], fingerprint, not_after))
        return CardCertificates(None, None, tuple(records))


class DemoScenario:
    def __init__(
        self,
        app: CardLifecycle,
        practices: int,
        seed: int,
        start: datetime = DEMO_START,
        end: datetime = DEMO_END,
    ) -> None:
        if not isinstance(app.clock, ManualClock):
            raise TypeError("the demo drives a ManualClock")
        self.app = app
        self.clock: ManualClock = app.clock
        self.rng = random.Random(seed)
        # PIN unblocks draw from a stream of their own, so adding them left every other
        # choice of a seed's demo as it was
        self.pin_rng = random.Random(seed * 7919 + 16)
        self.issuer = DemoIssuer(self.rng)
        self.count = practices
        self.start, self.end = start, end
        self.summary = DemoSummary(until=end)
        self._queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._uzi = itertools.count(900_100_000 + 1_000 * (seed % 500))
        self._serial = itertools.count(1)
        self._uras: set[str] = set()
        self.practices: list[DemoPractice] = []

    # plumbing

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        if moment < self.end:
            heapq.heappush(self._queue, (moment, next(self._seq), action))

    def later(self, days_from: float, days_to: float) -> datetime:
        return self.clock.now() + timedelta(days=self.rng.uniform(days_from, days_to))

    def person(self, card_type: str, ura: str, role: str, manager: bool = False) -> UziPass:
        # Managers' and care providers' passes outlast the demo; some employees' passes
        # end during it, and their late attempts to create a card are refused (R3).
        first = datetime(2022, 1, 3, tzinfo=UTC) if manager else datetime(2021, 1, 4, tzinfo=UTC)
        valid_from = first + timedelta(days=self.rng.randrange(200 if manager else 600))
        return UziPass(
            uzi_number=UziNumber(str(next(self._uzi))),
            card_type=CardType.parse(card_type),
            ura=Ura(ura),
            role=RoleCode(role),
            given_name=self.rng.choice(GIVEN),
            surname=self.rng.choice(SURNAMES),
            not_before=valid_from,
            not_after=valid_from + timedelta(days=5 * 365),
        )

    def refused(self, action: Callable[[], object]) -> None:
        """An attempt the rules must refuse; count it by its code."""
        try:
            action()
        except DomainError as error:
            self.summary.refusals[error.code] += 1
        else:
            raise AssertionError("the demo expected a refusal")

    # the story

    def run(self) -> DemoSummary:
        for index in range(self.count):
            self.plan_practice(index)
        month = self.start
        while month < self.end:
            self.at(month, self.expiry_job)
            month += timedelta(days=30)
        while self._queue:
            moment, _, action = heapq.heappop(self._queue)
            self.clock.set(max(moment, self.clock.now()))
            action()
        self.clock.set(self.end)
        self.expiry_job()
        self.finish()
        return self.summary

    def plan_practice(self, index: int) -> None:
        rng = self.rng
        kind = KINDS[index] if index < len(KINDS) else rng.choices(KINDS, [70, 27, 3])[0]
        ura = str(rng.randrange(10_000_000, 99_999_999))
        while ura in self._uras:
            ura = str(rng.randrange(10_000_000, 99_999_999))
        self._uras.add(ura)
        place = rng.choice(PLACES)
        if kind == "apotheek":
            name, admin = f"Apotheek {place}", self.person("Z", ura, "17.000", True)
        elif kind == "huisartsenpost":
            name, admin = f"Huisartsenpost {place}", self.person("N", ura, "00.000", True)
        else:
            name, admin = f"Huisartsenpraktijk {place}", self.person("Z", ura, "01.015", True)
        practice = DemoPractice(ura, kind, name, admin)
        staff = rng.randint(6, 14) if kind == "huisartsenpost" else rng.randint(2, 7)
        practice.employees = [
            Staff(self.person("N", ura, "00.000"), practice) for _ in range(staff)
        ]
        role = "17.000" if kind == "apotheek" else "01.015"
        practice.providers = [admin] if admin.card_type == "Z" else []
        practice.providers += [self.person("Z", ura, role, True) for _ in range(rng.randint(0, 2))]
        self.practices.append(practice)
        # Early practices get old enough cards to see expiry and renewal.
        horizon = 400 if index % 4 == 0 else 1300
        self.at(self.start + timedelta(days=rng.uniform(0, horizon)),
                lambda: self.register(practice))

    def register(self, p: DemoPractice) -> None:
        self.app.register_practice(p.ura, p.name, p.kind, p.admin)
        p.registered = True
        self.summary.practices[p.kind] += 1
        self.summary.managers["administrator"] += 1
        if self.rng.random() < 0.5 and len(p.employees) > 2:
            p.employees.pop()
            candidate = self.person("N", p.ura, "00.000", True)
            self.at(self.later(0.5, 3), lambda: self.appoint(p, candidate))
        self.at(self.later(4, 8), lambda: self.order(p, len(p.employees) + self.rng.randint(1, 3),
                                                     then_create=True))

    def appoint(self, p: DemoPractice, beheerder: UziPass) -> None:
        self.app.appoint_manager(p.ura, beheerder.uzi_number, beheerder.name,
                                 "beheerder", p.admin)
        p.beheerder = beheerder
        self.summary.managers["beheerder"] += 1

    def order(self, p: DemoPractice, quantity: int, then_create: bool) -> None:
        p.orders += 1
        key = f"webshop-{p.ura}-{p.orders}"
        manager = p.beheerder if p.beheerder and self.rng.random() < 0.5 else p.admin
        order_id = self.app.place_order(p.ura, quantity, key, manager)
        if self.rng.random() < 0.2:  # a double click in the webshop: the same order
            assert self.app.place_order(p.ura, quantity, key, manager) == order_id
        self.summary.orders += 1
        self.at(self.later(1, 4), lambda: self.ship(p, order_id, quantity, then_create))

    def ship(self, p: DemoPractice, order_id: UUID, quantity: int, then_create: bool) -> None:
        serials = [f"ZID{next(self._serial):09d}" for _ in range(quantity)]
        self.app.ship_order(order_id, serials, FULFILMENT)
        p.spare.extend(serials)
        self.summary.cards_shipped += quantity
        if then_create:
            for staff in p.employees:
                self.at(self.later(1, 30), functools.partial(self.create, staff))
            if p.beheerder is not None and self.rng.random() < 0.5:
                beheerder = p.beheerder
                self.at(self.later(1, 30), lambda: self.refused(
                    lambda: self.app.start_card_creation(p.spare[0], beheerder)))

    def create(self, staff: Staff, replacing: bool = False) -> None:
        p = staff.practice
        if not p.spare:
            self.order(p, self.rng.randint(1, 3), then_create=False)
            self.at(self.later(6, 10), lambda: self.create(staff, replacing))
            return
        if not self.usable(staff.uzi):
            self.refused(lambda: self.app.start_card_creation(p.spare[0], staff.uzi))
            return
        serial = p.spare.pop(0)
        personalisation = Personalisation(self.app, self.issuer)
        if self.rng.random() < 0.07:
            def pulled_out(started: CreationStarted, certify: Certify[None]) -> None:
                raise StepFailed(self.rng.choice(FAILURE_STEPS),
                                 "the card was taken out of the reader")
            with contextlib.suppress(StepFailed):
                personalisation.run(serial, staff.uzi, pulled_out)
            self.summary.personalisation_failures += 1
        # A demo card has no chip: its serial stands in for the keys it would generate.
        started, issued = personalisation.run(
            serial, staff.uzi, lambda started, certify: certify(serial, serial, serial))
        not_after = issued.records[0].not_after
        if staff.card_id is not None and replacing:
            self.summary.superseded += 1
        staff.card_id = started.card_id
        self.plan_card_life(staff, started.card_id, not_after)

    def plan_card_life(self, staff: Staff, card_id: UUID, expires_at: datetime) -> None:
        rng, p = self.rng, staff.practice
        for provider in p.providers:
            if rng.random() < 0.6:
                self.at(self.later(0.2, 10), functools.partial(self.mandate, p, provider, staff))
        if rng.random() < 0.15 and len(self.practices) > 1:
            self.at(self.later(10, 300), lambda: self.guest_use(staff, card_id))
        if rng.random() < 0.08 and len(self.practices) > 1:
            self.at(self.later(30, 400), lambda: self.move(staff, card_id))
        roll = rng.random()
        if roll < 0.08:
            self.at(self.later(20, 500), lambda: self.lose(staff, card_id))
        elif roll < 0.11:
            self.at(self.later(20, 500), lambda: self.defect(staff, card_id))
        if rng.random() < 0.5:  # renewed a month before the end; otherwise it expires
            self.at(expires_at - timedelta(days=30), lambda: self.renew(staff, card_id))
        if self.pin_rng.random() < 0.06:  # PIN typed wrong three times (R16)
            days = self.pin_rng.uniform(15, 900)
            self.at(self.clock.now() + timedelta(days=days),
                    lambda: self.forgot_pin(staff, card_id))

    def manager_of(self, p: DemoPractice) -> UziPass:
        return p.beheerder if p.beheerder is not None else p.admin

    def active(self, card_id: UUID) -> bool:
        card = self.app.get_card(card_id)
        return card.status_at(self.clock.now()) is CardStatus.ACTIVE

    def mandate(self, p: DemoPractice, grantor: UziPass, staff: Staff) -> None:
        if not self.usable(grantor):
            return
        years = self.rng.choice([1, 2, 3])
        self.app.grant_mandate(p.ura, staff.uzi.uzi_number,
                               self.clock.now() + timedelta(days=365 * years - 1), grantor)
        self.summary.mandates += 1

    def guest_use(self, staff: Staff, card_id: UUID) -> None:
        host = self.rng.choice([h for h in self.practices if h is not staff.practice])
        card = self.app.get_card(card_id)
        if not host.registered or not self.active(card_id) or host.ura in card.links:
            return
        starts = (self.clock.now() + timedelta(days=self.rng.randint(0, 14))).date()
        ends = starts + timedelta(days=self.rng.randint(3, 60))
        assert card.expires_at is not None
        if ends >= card.expires_at.date():
            return
        use = self.app.grant_guest_use(card_id, host.ura, starts, ends, self.manager_of(host))
        self.summary.guest_uses += 1
        if self.rng.random() < 0.2:
            self.at(self.later(1, 3), lambda: self.end_guest_use(host, card_id, use))

    def end_guest_use(self, host: DemoPractice, card_id: UUID, use: UUID) -> None:
        card = self.app.get_card(card_id)
        if card.status_at(self.clock.now()) in (CardStatus.ACTIVE, CardStatus.SUSPENDED) \
                and card.guest_uses[use] in card.open_guest_uses(self.clock.now()):
            self.app.end_guest_use(card_id, use, self.manager_of(host))

    def move(self, staff: Staff, card_id: UUID) -> None:
        """The employee leaves; the card is unlinked, and another practice links it (R7)."""
        if not self.active(card_id):
            return
        old = staff.practice
        if old.ura in self.app.get_card(card_id).links:
            self.app.unlink_card(card_id, old.ura, self.manager_of(old))
            self.summary.unlinks += 1
        new = self.rng.choice([h for h in self.practices if h is not old])
        if new.registered and new.ura not in self.app.get_card(card_id).links:
            self.at(self.later(3, 20), lambda: self.link(new, card_id, staff.uzi))

    def link(self, p: DemoPractice, card_id: UUID, holder: UziPass) -> None:
        """R7: the holder asks the new practice, and a manager there approves."""
        if self.active(card_id) and p.ura not in self.app.get_card(card_id).links \
                and self.usable(holder):
            self.app.request_link(card_id, p.ura, holder)
            self.app.link_card(card_id, p.ura, self.manager_of(p))
            self.summary.links += 1

    def usable(self, uzi: UziPass) -> bool:
        return self.clock.now() < uzi.not_after

    def lose(self, staff: Staff, card_id: UUID) -> None:
        if not self.active(card_id) or staff.card_id != card_id or not self.usable(staff.uzi):
            return
        self.app.suspend_card(card_id, "kaart kwijt", staff.uzi)
        if self.rng.random() < 0.7:
            self.at(self.later(1, 5), lambda: self.found(staff, card_id))
        else:
            self.at(self.later(3, 8), lambda: self.give_up(staff, card_id))

    def found(self, staff: Staff, card_id: UUID) -> None:
        card = self.app.get_card(card_id)
        managers = [self.manager_of(p) for p in self.practices if p.ura in card.links]
        if managers and card.status_at(self.clock.now()) is CardStatus.SUSPENDED:
            self.app.resume_card(card_id, managers[0])

    def give_up(self, staff: Staff, card_id: UUID) -> None:
        card = self.app.get_card(card_id)
        if card.status_at(self.clock.now()) is not CardStatus.SUSPENDED:
            return
        managers = [self.manager_of(p) for p in self.practices if p.ura in card.links]
        revoker = staff.uzi if self.usable(staff.uzi) else (managers[0] if managers else None)
        if revoker is not None:
            self.app.revoke_card(card_id, "loss_or_theft", revoker)
            self.at(self.later(1, 5), lambda: self.create(staff))

    def defect(self, staff: Staff, card_id: UUID) -> None:
        if self.active(card_id) and staff.card_id == card_id and self.usable(staff.uzi):
            self.app.revoke_card(card_id, "defect", staff.uzi)
            self.at(self.later(1, 5), lambda: self.create(staff))

    def forgot_pin(self, staff: Staff, card_id: UUID) -> None:
        """R16: unblocked with the PUK at the workstation; now and then the PUK is
        forgotten too, and the card ends as puk_blocked and is replaced."""
        if not self.active(card_id) or staff.card_id != card_id or not self.usable(staff.uzi):
            return
        service = self.app.start_pin_service(card_id, staff.uzi)
        self.app.claim_pin_service(card_id, service, "werkplek", WORKSTATION_HELPER)
        if self.pin_rng.random() < 0.85:
            self.app.record_pin_unblock(card_id, service, WORKSTATION_HELPER)
        else:
            self.app.record_puk_blocked(card_id, service, WORKSTATION_HELPER)
            self.at(self.clock.now() + timedelta(days=self.pin_rng.uniform(1, 5)),
                    lambda: self.create(staff))

    def renew(self, staff: Staff, card_id: UUID) -> None:
        if self.active(card_id) and staff.card_id == card_id:
            self.create(staff, replacing=True)

    def expiry_job(self) -> None:
        self.app.expire_cards(EXPIRY_JOB)

    def finish(self) -> None:
        now = self.clock.now()
        statuses: Counter[str] = Counter()
        for event in self.app.read_log(topics=["zorgid:Card.ShippedToPractice"]):
            card = self.app.get_card(event.originator_id)
            statuses[card.status_at(now).value] += 1
        self.summary.cards = statuses
        self.summary.events = self.app.head()


def run_demo(app: CardLifecycle, practices: int, seed: int) -> DemoSummary:
    return DemoScenario(app, practices, seed).run()
