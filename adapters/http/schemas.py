"""The shapes of the API's answers, published in /openapi.json.

Portal frontends of other vendors generate their clients from these, and every answer
is validated against them on its way out, so the schema and the server cannot drift
apart. Moments are RFC 3339 in UTC, money is integer euro cents."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CardStatus = Literal["blank", "personalising", "active", "suspended", "revoked", "expired"]
ManagerRole = Literal["administrator", "beheerder"]
PracticeKind = Literal["huisartsenpraktijk", "huisartsenpost", "apotheek"]
RevocationReason = Literal["loss_or_theft", "defect", "key_compromise", "pin_or_puk_disclosed",
                           "puk_blocked", "organisation_ceased", "data_incorrect",
                           "no_longer_eligible", "superseded"]
# what a person may give (superseded is recorded by the system, R5)
REVOCATION_REASONS_GIVEN = [r for r in RevocationReason.__args__  # type: ignore[attr-defined]
                            if r != "superseded"]
ServiceRole = Literal["fulfilment", "billing", "auditor", "operator"]
CardType = Literal["Z", "N", "M", "S"]


class RequestBody(BaseModel):
    """Every request body: a field the API does not know is refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """An answer: fields a view may hold beyond these are left out, never sent."""


class ErrorBody(Answer):
    """Every refusal: a stable English code for programs and a sentence for people."""

    code: str = Field(examples=["not_manager"])
    message: str = Field(examples=["only an administrator or beheerder of this practice "
                                   "may see this"])


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Malformed request (the body is not JSON)"),
        (401, "No credential, or one that is not accepted"),
        (403, "The caller may not do this"),
        (404, "No such resource"),
        (409, "Refused by a rule or by the current state"),
        (413, "The request body is larger than 1 MB"),
        (422, "A field or parameter is invalid"),
        (503, "This server is not set up for it (card CA, master secret)"),
    )
}


class Registered(Answer):
    ura: str


class Manager(Answer):
    uzi_number: str
    name: str
    role: ManagerRole
    since: AwareDatetime


class Practice(Answer):
    ura: str
    practice_id: UUID
    name: str
    kind: PracticeKind
    registered_at: AwareDatetime
    administrators: list[Manager]
    beheerders: list[Manager]


class ManagerAppointed(Answer):
    uzi_number: str
    role: ManagerRole


class OrderLine(Answer):
    description: str
    quantity: int
    unit_price_cents: int
    amount_cents: int


class PlacedOrder(Answer):
    order_id: UUID
    lines: list[OrderLine]
    net_cents: int
    vat_cents: int
    total_cents: int


class Order(Answer):
    order_id: UUID
    ura: str
    quantity: int
    unit_price_cents: int
    shipping_cents: int
    vat_rate_bp: int = Field(description="VAT rate in basis points: 2100 is 21%")
    total_cents: int
    idempotency_key: str
    status: Literal["placed", "shipped", "cancelled"]
    placed_at: AwareDatetime
    shipped_at: AwareDatetime | None
    cancelled_at: AwareDatetime | None
    card_serials: list[str] = Field(description="the blank cards shipped for this order")


class Card(Answer):
    card_id: UUID
    serial: str
    shipped_to_ura: str | None
    holder_uzi_number: str | None
    holder_name: str | None
    holder_ura: str | None
    activated_at: AwareDatetime | None
    expires_at: AwareDatetime | None = Field(description="the end of its three years (R4)")
    renewal_opens_on: date | None = Field(
        default=None, description="in GET /v1/me: the first day its holder can renew it "
                                  "with the card itself (R14)")
    suspension_reason: str | None
    revoked_at: AwareDatetime | None
    revocation_reason: RevocationReason | None
    failed_attempts: int = Field(description="personalisation attempts that failed")
    updated_at: AwareDatetime
    status: CardStatus = Field(description="at the moment of the request: a card past "
                                           "expires_at is expired (R11)")
    links: list[str] = Field(description="URAs of the practices the card is linked to")


class ExpiringCard(Answer):
    card_id: UUID
    holder_uzi_number: str | None
    holder_name: str | None
    holder_ura: str | None
    expires_at: AwareDatetime


class CreationStarted(Answer):
    card_id: UUID
    job_id: UUID
    job_token: str = Field(description="bearer token of the job, for the reader agent")


class Linked(Answer):
    card_id: UUID
    ura: str


class LinkRequested(Answer):
    card_id: UUID
    ura: str
    status: Literal["requested", "linked"] = Field(
        description="requested: a manager of the practice approves or declines it; linked: "
                    "the practice had invited you, so the card is linked now (R7)")


class LinkInvited(Answer):
    ura: str
    uzi_number: str
    status: Literal["invited", "linked"] = Field(
        description="invited: the person accepts or declines it; linked: their card had "
                    "asked to be linked, so it is linked now (R7)")


class OpenLinkRequest(Answer):
    card_id: UUID
    ura: str
    serial: str | None
    holder_uzi_number: str | None
    holder_name: str | None
    requested_at: AwareDatetime


class OpenLinkInvitation(Answer):
    ura: str
    uzi_number: str
    invited_at: AwareDatetime
    invited_by: str | None


class LinkInvitationForMe(Answer):
    ura: str
    practice_name: str | None
    invited_at: AwareDatetime
    invited_by: str | None


class GuestUseGranted(Answer):
    guest_use_id: UUID


class GuestUse(Answer):
    guest_use_id: UUID
    card_id: UUID
    host_ura: str
    starts_on: date
    ends_on: date = Field(description="the last day of guest use (UTC days)")
    ends_at: AwareDatetime
    granted_at: AwareDatetime
    granted_by: str
    ended_at: AwareDatetime | None
    end_reason: str | None
    holder_uzi_number: str | None
    holder_name: str | None
    is_current: bool
    is_past: bool


class MandateGranted(Answer):
    mandate_id: UUID


class Mandate(Answer):
    mandate_id: UUID
    practice_ura: str
    grantor_uzi_number: str
    grantor_name: str
    grantor_role: str
    mandatee_uzi_number: str
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    revoked_at: AwareDatetime | None
    revocation_reason: str | None


class HistoryEvent(Answer):
    type: str = Field(examples=["Card.Revoked"])
    originator_version: int
    timestamp: AwareDatetime
    actor: dict[str, Any] = Field(description="who did it: a person (UZI number, name, "
                                              "role, card type, URA) or a system")
    payload: dict[str, Any]


class CardHistory(Answer):
    at: AwareDatetime
    events: list[HistoryEvent] = Field(description="the card's events up to `at`")
    state: dict[str, Any] = Field(description="the card as it was at `at`, replayed")


class LoggedEvent(HistoryEvent):
    position: int
    originator_id: UUID


class PersonMe(Answer):
    kind: Literal["person"]
    uzi_number: str
    name: str
    card_type: CardType
    ura: str
    role: str
    logged_in_with: Literal["uzi_pass", "zorgid_card"]
    roles: dict[str, ManagerRole] = Field(description="URA to role, where a manager")
    cards: list[Card]
    link_invitations: list[LinkInvitationForMe] = Field(
        default_factory=list,
        description="practices that invited you to link your card (accept with POST "
                    "/v1/cards/{card_id}/links)")
    email: str | None = Field(default=None, description="where your reminders go (R17); set "
                                                        "with PUT /v1/me/email")


class ServiceMe(Answer):
    kind: Literal["service"]
    role: ServiceRole


class InvoiceLine(Answer):
    line_no: int
    description: str
    quantity: int
    unit_price_cents: int
    amount_cents: int


class Invoice(Answer):
    invoice_number: str = Field(examples=["2026-000001"])
    order_id: UUID
    ura: str
    practice_name: str
    period: str = Field(examples=["2026-11"])
    issued_at: AwareDatetime
    net_cents: int
    vat_rate_bp: int
    vat_cents: int
    total_cents: int
    lines: list[InvoiceLine]


class ManagementKeys(Answer):
    algorithm: Literal["TDES", "AES128", "AES192", "AES256"] = Field(
        description="the blank key's; the personalised key is AES128")
    blank: str = Field(description="hex; opens the blank card")
    personalised: str = Field(description="hex; replaces the blank key after activation")


class Job(Answer):
    job_id: UUID
    card_id: UUID
    holder_uzi_number: str
    started_at: AwareDatetime
    status: Literal["started", "certificates_issued", "activated", "failed"]
    step: str | None
    updated_at: AwareDatetime
    serial: str
    card_key_type: Literal["rsa2048", "p256"] = Field(
        default="rsa2048", description="the key pairs the agent makes on the card in 9A, 9C "
                                       "and 9D")
    chip_id: str | None = Field(
        default=None, description="the chip's own identity, when the shipment gave it: the "
                                  "agent refuses a card whose chip is another")
    management_keys: ManagementKeys | None = Field(
        default=None, description="only while the job can still write the card")
    workstation: str | None = Field(
        default=None, description="the workstation helper that took the job, once one did")
    claimed_at: AwareDatetime | None = None


class IssuedCertificates(Answer):
    model_config = ConfigDict(populate_by_name=True)
    authentication: str = Field(alias="9A", description="PEM")
    signature: str = Field(alias="9C", description="PEM")
    confidentiality: str | None = Field(
        default=None, alias="9D", description="PEM; only when the request had a 9D key")


class Health(Answer):
    status: Literal["ok"]
    store_position: int
    views_position: int


def binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answer that is not JSON."""
    return {200: {"description": description,
                  "content": {media_type: {"schema": {"type": "string",
                                                      "format": "binary"}}}}}
