"""BlankCardOrder: blank cards ordered in the webshop, shipped to one practice (R10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import DomainEvent, natural_id
from domain.errors import InvalidValue, RuleViolation
from domain.identity import Actor, CardSerial, Ura

MAX_CARDS_PER_ORDER = 500


@dataclass(frozen=True)
class Pricing:
    """Prices in force, in integer euro cents, excluding VAT: EUR 75.00 a card for
    three years, EUR 6.95 shipping an order, 21% VAT by default, all configurable.

    Written into every order event, so replaying history never re-prices (R10)."""

    unit_price_cents: int = 7500  # one card, valid three years
    shipping_cents: int = 695  # per order
    vat_rate_bp: int = 2100  # basis points: 2100 = 21 %

    def __post_init__(self) -> None:
        for name in ("unit_price_cents", "shipping_cents", "vat_rate_bp"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidValue("invalid_pricing", f"{name} must be a whole number >= 0")


@dataclass(frozen=True)
class OrderLine:
    description: str
    quantity: int
    unit_price_cents: int

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


def order_lines(quantity: int, pricing: Pricing) -> list[OrderLine]:
    """What an order of blank cards costs: the cards (three years each) and shipping."""
    return [
        OrderLine("ZORG-ID Smartcard, 3 jaar geldig", quantity, pricing.unit_price_cents),
        OrderLine("Verzendkosten", 1, pricing.shipping_cents),
    ]


def vat_cents(net_cents: int, vat_rate_bp: int) -> int:
    """VAT on a net amount, rounded half up to whole cents (Dutch practice)."""
    exact = Decimal(net_cents) * Decimal(vat_rate_bp) / Decimal(10_000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def validate_idempotency_key(key: str) -> str:
    text = str(key).strip()
    if not 1 <= len(text) <= 200 or not text.isprintable():
        raise InvalidValue(
            "invalid_idempotency_key", "the idempotency key must be 1 to 200 printable characters"
        )
    return text


class OrderStatus(StrEnum):
    PLACED = "placed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class BlankCardOrder(Aggregate):
    TOPIC = "zorgid:BlankCardOrder"

    class Event(DomainEvent):
        pass

    class Placed(Event, Aggregate.Created):
        TOPIC = "zorgid:BlankCardOrder.Placed"
        # Version 2 records prices in integer cents and VAT in basis points.
        # Version 1, the first schema, recorded them as euro strings ("75.00")
        # and a percentage string ("21"); upcast_v1_v2 converts such payloads.
        class_version = 2
        practice_ura: str
        quantity: int
        unit_price_cents: int
        shipping_cents: int
        vat_rate_bp: int
        idempotency_key: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            def cents(euros: str) -> int:
                return int((Decimal(euros) * 100).to_integral_value(ROUND_HALF_UP))

            state["unit_price_cents"] = cents(state.pop("unit_price_eur"))
            state["shipping_cents"] = cents(state.pop("shipping_eur"))
            state["vat_rate_bp"] = int(Decimal(state.pop("vat_rate_percent")) * 100)

    Created = Placed

    class Shipped(Event):
        TOPIC = "zorgid:BlankCardOrder.Shipped"
        card_serials: list[str]

        def apply(self, order: BlankCardOrder) -> None:
            order.status = OrderStatus.SHIPPED
            order.card_serials = list(self.card_serials)
            order.shipped_at = self.timestamp

    class Cancelled(Event):
        TOPIC = "zorgid:BlankCardOrder.Cancelled"
        reason: str

        def apply(self, order: BlankCardOrder) -> None:
            order.status = OrderStatus.CANCELLED

    def __init__(
        self,
        practice_ura: str,
        quantity: int,
        unit_price_cents: int,
        shipping_cents: int,
        vat_rate_bp: int,
        idempotency_key: str,
        actor: dict[str, Any],
    ) -> None:
        self.practice_ura = practice_ura
        self.quantity = quantity
        self.pricing = Pricing(unit_price_cents, shipping_cents, vat_rate_bp)
        self.idempotency_key = idempotency_key
        self.status = OrderStatus.PLACED
        self.card_serials: list[str] = []
        self.shipped_at: datetime | None = None

    @staticmethod
    def create_id(practice_ura: str, idempotency_key: str) -> UUID:
        # Derived from the client's idempotency key: the same key twice is one order.
        return natural_id("order", Ura(practice_ura), idempotency_key)

    @classmethod
    def place(
        cls,
        practice_ura: Ura,
        quantity: int,
        pricing: Pricing,
        idempotency_key: str,
        actor: Actor,
        now: datetime,
    ) -> BlankCardOrder:
        check_quantity(quantity)
        key = validate_idempotency_key(idempotency_key)
        return cls._create(
            cls.Placed,
            id=cls.create_id(practice_ura, key),
            practice_ura=str(practice_ura),
            quantity=quantity,
            unit_price_cents=pricing.unit_price_cents,
            shipping_cents=pricing.shipping_cents,
            vat_rate_bp=pricing.vat_rate_bp,
            idempotency_key=key,
            actor=actor.to_dict(),
            timestamp=now,
        )

    def lines(self) -> list[OrderLine]:
        return order_lines(self.quantity, self.pricing)

    def net_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines())

    def vat_cents(self) -> int:
        return vat_cents(self.net_cents(), self.pricing.vat_rate_bp)

    def total_cents(self) -> int:
        return self.net_cents() + self.vat_cents()

    def ship(self, card_serials: list[CardSerial], actor: Actor, now: datetime) -> None:
        if self.status is not OrderStatus.PLACED:
            raise RuleViolation(
                f"order_{self.status.value}", f"this order is already {self.status.value}"
            )
        if len(card_serials) != self.quantity or len(set(card_serials)) != len(card_serials):
            raise RuleViolation(
                "shipment_quantity_mismatch",
                f"the order is for {self.quantity} card(s); "
                f"{len(set(card_serials))} distinct serial(s) were given",
            )
        self.trigger_event(
            self.Shipped,
            card_serials=[str(s) for s in card_serials],
            actor=actor.to_dict(),
            timestamp=now,
        )

    def cancel(self, reason: str, actor: Actor, now: datetime) -> None:
        if self.status is not OrderStatus.PLACED:
            raise RuleViolation(
                f"order_{self.status.value}",
                f"only an order that has not shipped can be cancelled; it is {self.status.value}",
            )
        self.trigger_event(
            self.Cancelled, reason=reason, actor=actor.to_dict(), timestamp=now
        )


def check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) \
            or not 1 <= quantity <= MAX_CARDS_PER_ORDER:
        raise InvalidValue(
            "invalid_quantity", f"order between 1 and {MAX_CARDS_PER_ORDER} cards"
        )
