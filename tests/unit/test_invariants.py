"""Property-based tests: random command sequences never break the invariants.

- at most one active (or suspended) card per UZI number, at any moment;
- every registered practice has at least one administrator;
- no card event after a final state (revoked, expired);
- a refused command appends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.card import CardStatus
from domain.errors import DomainError
from tests.support import (
    FULFILMENT,
    T0,
    URA_A,
    URA_B,
    clock_of,
    create_card,
    make_app,
    uzi_pass,
)

URAS = [URA_A, URA_B]
REPS = {ura: uzi_pass(f"90001{i}000", "Z", ura, valid_from=T0 - timedelta(days=10), years=20)
        for i, ura in enumerate(URAS)}
PEOPLE = [uzi_pass(f"90002{i}{j}00", "N", ura, name=("P", f"{i}{j}"),
                   valid_from=T0 - timedelta(days=10), years=20)
          for i, ura in enumerate(URAS) for j in range(3)]
FINAL_TYPES = {"Card.Revoked", "Card.Expired"}
REFUSED = object()

people = st.sampled_from(PEOPLE)
uras = st.sampled_from(URAS)


class CardLifecycleMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.app = make_app()
        self.serials: dict[str, list[str]] = defaultdict(list)
        self.cards: list = []
        self.refusals = 0
        self.counter = 0
        for ura in URAS:
            self.app.register_practice(ura, f"P {ura}", "apotheek", REPS[ura])
            self.order_and_ship(ura, 6)

    def attempt(self, command, *args) -> object:
        before = self.app.head()
        try:
            return command(*args)
        except DomainError:
            self.refusals += 1
            assert self.app.head() == before, "a refused command appended events"
            return REFUSED

    @rule(ura=uras, quantity=st.integers(1, 3))
    def order_and_ship(self, ura: str, quantity: int) -> None:
        self.counter += 1
        order = self.attempt(self.app.place_order, ura, quantity, f"k{self.counter}", REPS[ura])
        if order is not REFUSED:
            serials = [f"ZID{self.counter:05d}{i}{ura[-2:]}" for i in range(quantity)]
            self.app.ship_order(order, serials, FULFILMENT)
            self.serials[ura].extend(serials)

    @rule(person=people, data=st.data())
    def create(self, person, data) -> None:
        candidates = self.serials[person.ura] or ["ZIDNONE000"]
        serial = data.draw(st.sampled_from(candidates))
        card = self.attempt(create_card, self.app, serial, person)
        if card is not REFUSED:
            self.cards.append(card)

    @rule(person=people, ura=uras, role=st.sampled_from(["administrator", "beheerder"]))
    def appoint(self, person, ura: str, role: str) -> None:
        self.attempt(self.app.appoint_manager, ura, person.uzi_number, person.name, role,
                     REPS[ura])

    @rule(person=people, ura=uras, by_rep=st.booleans())
    def dismiss(self, person, ura: str, by_rep: bool) -> None:
        target = REPS[ura].uzi_number if by_rep else person.uzi_number
        self.attempt(self.app.dismiss_manager, ura, target, REPS[ura])

    @rule(data=st.data(), reason=st.sampled_from(["defect", "loss_or_theft", "superseded"]))
    def revoke(self, data, reason: str) -> None:
        if self.cards:
            card = data.draw(st.sampled_from(self.cards))
            holder = self.holder(card)
            self.attempt(self.app.revoke_card, card, reason, holder)

    @rule(data=st.data())
    def suspend_or_resume(self, data) -> None:
        if self.cards:
            card = data.draw(st.sampled_from(self.cards))
            self.attempt(self.app.suspend_card, card, "kwijt", self.holder(card))
            ura = data.draw(uras)
            self.attempt(self.app.resume_card, card, REPS[ura])

    @rule(data=st.data(), ura=uras)
    def link_or_unlink(self, data, ura: str) -> None:
        if self.cards:
            card = data.draw(st.sampled_from(self.cards))
            if data.draw(st.booleans()):  # R7: the holder asks first, or not
                self.attempt(self.app.request_link, card, ura, self.holder(card))
            self.attempt(self.app.link_card, card, ura, REPS[ura])
            if data.draw(st.booleans()):
                self.attempt(self.app.unlink_card, card, ura, REPS[ura])

    @rule(days=st.integers(1, 800))
    def time_passes(self, days: int) -> None:
        clock_of(self.app).advance(timedelta(days=days))

    @rule()
    def expiry_job(self) -> None:
        self.app.expire_cards()

    def holder(self, card):
        number = self.app.get_card(card).holder_uzi_number
        return next(p for p in PEOPLE if p.uzi_number == number)

    @invariant()
    def at_most_one_active_card_per_person(self) -> None:
        if not hasattr(self, "app"):
            return
        now = self.app.clock.now()
        holding: dict[str, int] = defaultdict(int)
        for card_id in self.cards:
            card = self.app.get_card(card_id)
            if card.status_at(now) in (CardStatus.ACTIVE, CardStatus.SUSPENDED):
                holding[card.holder_uzi_number] += 1
        assert all(count == 1 for count in holding.values()), holding

    @invariant()
    def every_practice_keeps_an_administrator(self) -> None:
        if not hasattr(self, "app"):
            return
        for ura in URAS:
            practice = self.app._find_practice(ura)
            if practice is not None:
                assert practice.administrators()

    @invariant()
    def no_card_event_after_a_final_state(self) -> None:
        if not hasattr(self, "app"):
            return
        final_seen: set = set()
        for event in self.app.read_log():
            if not event.type.startswith("Card."):
                continue
            assert event.originator_id not in final_seen, f"{event.type} after final state"
            if event.type in FINAL_TYPES:
                final_seen.add(event.originator_id)

    @invariant()
    def managers_hold_no_card(self) -> None:
        if not hasattr(self, "app"):
            return
        now = self.app.clock.now()
        for person in PEOPLE:
            record = self.app.find_person(person.uzi_number)
            if record is not None and record.is_manager():
                assert record.current_card(now) is None


CardLifecycleMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCardLifecycleInvariants = CardLifecycleMachine.TestCase
