"""/v1/practices: registration, managers, orders, and the practice's views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import Field, StrictInt

from adapters.http.deps import Caller, PersonCaller, ViewsDb, lifecycle
from adapters.http.routes.common import require_manager
from adapters.http.schemas import (
    ERRORS,
    Card,
    ExpiringCard,
    LinkInvited,
    ManagerAppointed,
    MandateGranted,
    OpenLinkInvitation,
    OpenLinkRequest,
    Order,
    PlacedOrder,
    Practice,
    Registered,
    RequestBody,
)
from domain.errors import InvalidValue, NotFound
from projections import cards, expiry, links, orders, practices

router = APIRouter(prefix="/v1/practices", tags=["practices"], responses=ERRORS)


class RegisterPracticeRequest(RequestBody):
    ura: str
    name: str
    kind: Literal["huisartsenpraktijk", "huisartsenpost", "apotheek"]


class AppointManagerRequest(RequestBody):
    uzi_number: str
    name: str
    role: Literal["administrator", "beheerder"]


class LinkInvitationRequest(RequestBody):
    uzi_number: str


class PlaceOrderRequest(RequestBody):
    quantity: StrictInt = Field(ge=1, le=500)  # not true, not "5"


class GrantMandateRequest(RequestBody):
    mandatee_uzi_number: str
    valid_until: datetime


@router.post("", status_code=201, response_model=Registered)
def register(body: RegisterPracticeRequest, caller: PersonCaller,
             request: Request) -> dict[str, str]:
    assert caller.uzi_pass is not None
    lifecycle(request).register_practice(body.ura, body.name, body.kind, caller.uzi_pass)
    return {"ura": body.ura}


@router.get("/{ura}", response_model=Practice)
def get_practice(ura: str, caller: Caller, db: ViewsDb) -> dict[str, Any]:
    require_manager(db, caller, ura, auditor_too=True)  # first: 404 tells who is registered
    found = practices.practice(db, ura)
    if found is None:
        raise NotFound("practice_not_found", f"no practice with URA {ura} is registered")
    return found


@router.post("/{ura}/managers", status_code=201, response_model=ManagerAppointed)
def appoint(ura: str, body: AppointManagerRequest, caller: PersonCaller,
            request: Request) -> dict[str, str]:
    assert caller.uzi_pass is not None
    lifecycle(request).appoint_manager(ura, body.uzi_number, body.name, body.role,
                                       caller.uzi_pass)
    return {"uzi_number": body.uzi_number, "role": body.role}


@router.delete("/{ura}/managers/{uzi_number}", status_code=204)
def dismiss(ura: str, uzi_number: str, caller: PersonCaller, request: Request) -> Response:
    assert caller.uzi_pass is not None
    lifecycle(request).dismiss_manager(ura, uzi_number, caller.uzi_pass)
    return Response(status_code=204)


@router.post("/{ura}/orders", status_code=201, response_model=PlacedOrder)
def place_order(ura: str, body: PlaceOrderRequest, caller: PersonCaller, request: Request,
                idempotency_key: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    assert caller.uzi_pass is not None
    if not idempotency_key:
        raise InvalidValue("missing_idempotency_key",
                           "send an Idempotency-Key header, so a retry cannot order twice")
    app = lifecycle(request)
    order_id = app.place_order(ura, body.quantity, idempotency_key, caller.uzi_pass)
    order = app.get_order(order_id)
    return {
        "order_id": str(order_id),
        "lines": [{"description": line.description, "quantity": line.quantity,
                   "unit_price_cents": line.unit_price_cents,
                   "amount_cents": line.amount_cents} for line in order.lines()],
        "net_cents": order.net_cents(),
        "vat_cents": order.vat_cents(),
        "total_cents": order.total_cents(),
    }


@router.get("/{ura}/orders", response_model=list[Order])
def list_orders(ura: str, caller: Caller, db: ViewsDb) -> list[dict[str, Any]]:
    require_manager(db, caller, ura)
    return orders.orders_of(db, ura)


@router.get("/{ura}/cards", response_model=list[Card])
def list_cards(ura: str, caller: Caller, db: ViewsDb, request: Request,
               status: str | None = None) -> list[dict[str, Any]]:
    require_manager(db, caller, ura)
    statuses = [s.strip() for s in status.split(",")] if status else None
    allowed = {"active", "suspended", "revoked", "expired", "blank", "personalising"}
    if statuses and not set(statuses) <= allowed:
        raise InvalidValue("invalid_status", f"status is one or more of {', '.join(allowed)}")
    return cards.cards_of_practice(db, ura, request.app.state.clock.now(), statuses)


@router.post("/{ura}/link-invitations", status_code=201, response_model=LinkInvited,
             summary="A manager invites a person to link their card to the practice (R7)")
def invite_to_link(ura: str, body: LinkInvitationRequest, caller: PersonCaller,
                   request: Request) -> dict[str, str]:
    status = lifecycle(request).invite_to_link(ura, body.uzi_number, caller.person)
    return {"ura": ura, "uzi_number": body.uzi_number, "status": status}


@router.delete("/{ura}/link-invitations/{uzi_number}", status_code=204,
               summary="The invited person declines, or a manager withdraws the invitation")
def end_link_invitation(ura: str, uzi_number: str, caller: PersonCaller,
                        request: Request) -> Response:
    lifecycle(request).end_link_invitation(ura, uzi_number, caller.person)
    return Response(status_code=204)


@router.get("/{ura}/link-requests", response_model=list[OpenLinkRequest],
            summary="Holders' open requests to link their card to the practice")
def list_link_requests(ura: str, caller: Caller, db: ViewsDb) -> list[dict[str, Any]]:
    require_manager(db, caller, ura)
    return links.requests_to(db, ura)


@router.get("/{ura}/link-invitations", response_model=list[OpenLinkInvitation],
            summary="The practice's open invitations to link a card")
def list_link_invitations(ura: str, caller: Caller, db: ViewsDb) -> list[dict[str, Any]]:
    require_manager(db, caller, ura)
    return links.invitations_of_practice(db, ura)


@router.get("/{ura}/expiring", response_model=list[ExpiringCard])
def list_expiring(ura: str, caller: Caller, db: ViewsDb, request: Request,
                  within_days: Annotated[int, Query(ge=0, le=3660)] = 90) \
        -> list[dict[str, Any]]:
    require_manager(db, caller, ura)
    return expiry.expiring(db, request.app.state.clock.now(), within_days, ura)


@router.post("/{ura}/mandates", status_code=201, response_model=MandateGranted)
def grant_mandate(ura: str, body: GrantMandateRequest, caller: PersonCaller,
                  request: Request) -> dict[str, str]:
    assert caller.uzi_pass is not None
    if body.valid_until.tzinfo is None:
        raise InvalidValue("naive_datetime", "valid_until needs a time zone (Z or +01:00)")
    mandate_id = lifecycle(request).grant_mandate(ura, body.mandatee_uzi_number,
                                                  body.valid_until, caller.uzi_pass)
    return {"mandate_id": str(mandate_id)}
