"""/v1/cards and /v1/mandates: creation, the card, suspension, revocation, links,
guest use and mandates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import Field

from adapters.http.deps import Caller, PersonCaller, ViewsDb, lifecycle
from adapters.http.job_tokens import job_token
from adapters.http.routes.common import is_manager
from adapters.http.schemas import (
    ERRORS,
    REVOCATION_REASONS_GIVEN,
    Card,
    CardHistory,
    CreationStarted,
    GuestUse,
    GuestUseGranted,
    Linked,
    LinkRequested,
    Mandate,
    RequestBody,
)
from domain.errors import InvalidValue, NotAllowed, NotFound
from domain.picture import jsonable, state_of
from projections import cards, guest_uses, mandates

router = APIRouter(tags=["cards"], responses=ERRORS)


class StartCreationRequest(RequestBody):
    card_serial: str


class ReasonRequest(RequestBody):
    reason: str


class RevocationRequest(RequestBody):
    # a string, so a wrong reason gets the rule's own code (R6, R7), listed as an enum
    reason: str = Field(json_schema_extra={"enum": REVOCATION_REASONS_GIVEN},
                        description="why; an employee who leaves is unlinked, not revoked")


class LinkRequest(RequestBody):
    ura: str


class GuestUseRequest(RequestBody):
    host_ura: str
    starts_on: date
    ends_on: date



def _card(db: Any, card_id: UUID, request: Request) -> dict[str, Any]:
    row = cards.card(db, str(card_id), request.app.state.clock.now())
    if row is None:
        raise NotFound("card_not_found", "there is no card with that id")
    return row


def _may_see(db: Any, caller: Any, row: dict[str, Any]) -> bool:
    if caller.kind == "service":
        return caller.role == "auditor"
    if caller.uzi_pass is not None and caller.uzi_pass.uzi_number == row["holder_uzi_number"]:
        return True
    return any(is_manager(db, caller, ura) for ura in row["links"])


@router.post("/v1/cards", status_code=201, response_model=CreationStarted)
def start_creation(body: StartCreationRequest, caller: PersonCaller,
                   request: Request) -> dict[str, str]:
    assert caller.uzi_pass is not None
    started = lifecycle(request).start_card_creation(body.card_serial, caller.uzi_pass)
    return {"card_id": str(started.card_id), "job_id": str(started.job_id),
            "job_token": job_token(request.app.state.job_secret, started.job_id)}


class RenewalRequest(RequestBody):
    mode: Literal["new_card"] = Field(
        description="new_card: the successor on a blank card of the practice, the old "
                    "card superseded when it is activated")
    card_serial: str = Field(max_length=32, description="the blank card's printed serial")


@router.post("/v1/cards/{card_id}/renewal", status_code=201, response_model=CreationStarted)
def renew(card_id: UUID, body: RenewalRequest, caller: PersonCaller,
          request: Request) -> dict[str, str]:
    """R14: by the holder logged in with this card, in its last 90 days."""
    started = lifecycle(request).start_renewal_on_new_card(card_id, body.card_serial,
                                                           caller.person)
    return {"card_id": str(started.card_id), "job_id": str(started.job_id),
            "job_token": job_token(request.app.state.job_secret, started.job_id)}


@router.get("/v1/cards/{card_id}", response_model=Card)
def get_card(card_id: UUID, caller: Caller, db: ViewsDb, request: Request) -> dict[str, Any]:
    row = _card(db, card_id, request)
    if not _may_see(db, caller, row):
        raise NotAllowed("not_holder_or_manager",
                         "only the holder, a manager of a linked practice or an auditor")
    return row


@router.post("/v1/cards/{card_id}/suspension", status_code=204)
def suspend(card_id: UUID, body: ReasonRequest, caller: PersonCaller,
            request: Request) -> Response:
    lifecycle(request).suspend_card(card_id, body.reason, caller.person)
    return Response(status_code=204)


@router.delete("/v1/cards/{card_id}/suspension", status_code=204)
def resume(card_id: UUID, caller: PersonCaller, request: Request) -> Response:
    lifecycle(request).resume_card(card_id, caller.person)
    return Response(status_code=204)


@router.post("/v1/cards/{card_id}/revocation", status_code=204)
def revoke(card_id: UUID, body: RevocationRequest, caller: PersonCaller,
           request: Request) -> Response:
    lifecycle(request).revoke_card(card_id, body.reason, caller.person)
    return Response(status_code=204)


@router.post("/v1/cards/{card_id}/links", status_code=201, response_model=Linked,
             summary="Approve a link request, or accept an invitation (R7)",
             description="The second half of a link's consent: a manager of the practice "
                         "approves the holder's link request, or the holder accepts the "
                         "practice's invitation. Without the first half it is refused with "
                         "`link_consent_required`: a manager alone never links someone "
                         "else's card.")
def link(card_id: UUID, body: LinkRequest, caller: PersonCaller,
         request: Request) -> dict[str, str]:
    lifecycle(request).link_card(card_id, body.ura, caller.person)
    return {"card_id": str(card_id), "ura": body.ura}


@router.post("/v1/cards/{card_id}/link-requests", status_code=201,
             response_model=LinkRequested,
             summary="The holder asks to link the card to a practice (R7)")
def request_link(card_id: UUID, body: LinkRequest, caller: PersonCaller,
                 request: Request) -> dict[str, str]:
    status = lifecycle(request).request_link(card_id, body.ura, caller.person)
    return {"card_id": str(card_id), "ura": body.ura, "status": status}


@router.delete("/v1/cards/{card_id}/link-requests/{ura}", status_code=204,
               summary="The holder withdraws a link request, or a manager declines it")
def end_link_request(card_id: UUID, ura: str, caller: PersonCaller,
                     request: Request) -> Response:
    lifecycle(request).end_link_request(card_id, ura, caller.person)
    return Response(status_code=204)


@router.delete("/v1/cards/{card_id}/links/{ura}", status_code=204)
def unlink(card_id: UUID, ura: str, caller: PersonCaller, request: Request) -> Response:
    lifecycle(request).unlink_card(card_id, ura, caller.person)
    return Response(status_code=204)


@router.post("/v1/cards/{card_id}/guest-uses", status_code=201,
             response_model=GuestUseGranted)
def grant_guest_use(card_id: UUID, body: GuestUseRequest, caller: PersonCaller,
                    request: Request) -> dict[str, str]:
    use_id = lifecycle(request).grant_guest_use(card_id, body.host_ura, body.starts_on,
                                                body.ends_on, caller.person)
    return {"guest_use_id": str(use_id)}


@router.delete("/v1/cards/{card_id}/guest-uses/{guest_use_id}", status_code=204)
def end_guest_use(card_id: UUID, guest_use_id: UUID, caller: PersonCaller,
                  request: Request) -> Response:
    lifecycle(request).end_guest_use(card_id, guest_use_id, caller.person)
    return Response(status_code=204)


@router.get("/v1/cards/{card_id}/guest-uses", response_model=list[GuestUse])
def list_guest_uses(card_id: UUID, caller: Caller, db: ViewsDb,
                    request: Request) -> list[dict[str, Any]]:
    row = _card(db, card_id, request)
    if not _may_see(db, caller, row):
        raise NotAllowed("not_holder_or_manager", "only the holder or a manager")
    return guest_uses.guest_uses(db, request.app.state.clock.now(), card_id=str(card_id))


@router.get("/v1/cards/{card_id}/mandates", response_model=list[Mandate])
def card_mandates(card_id: UUID, caller: Caller, db: ViewsDb,
                  request: Request) -> list[dict[str, Any]]:
    row = _card(db, card_id, request)
    if caller.kind == "service" or not _may_see(db, caller, row):
        raise NotAllowed("not_holder_or_manager", "only the holder or a manager")
    return mandates.effective_for_card(db, str(card_id), request.app.state.clock.now())


@router.get("/v1/cards/{card_id}/history", response_model=CardHistory)
def card_history(card_id: UUID, caller: Caller, db: ViewsDb, request: Request,
                 at: datetime | None = None) -> dict[str, Any]:
    """Every event of the card with actor and moment, and its state at `at` (default now),
    replayed from the event store."""
    row = _card(db, card_id, request)
    if not _may_see(db, caller, row):
        raise NotAllowed("not_holder_or_manager",
                         "only the holder, a manager of a linked practice or an auditor")
    if at is not None and at.tzinfo is None:
        raise InvalidValue("naive_datetime", "give the moment with a time zone (Z or +01:00)")
    moment = at or request.app.state.clock.now()
    events, aggregate = lifecycle(request).history_at(card_id, moment)
    return {
        "at": moment.isoformat(),
        "events": [jsonable({"type": e.type, "originator_version": e.originator_version,
                             "timestamp": e.timestamp, "actor": e.actor, "payload": e.payload})
                   for e in events],
        "state": state_of(aggregate, moment),
    }


@router.delete("/v1/mandates/{mandate_id}", status_code=204)
def revoke_mandate(mandate_id: UUID, caller: PersonCaller, request: Request) -> Response:
    lifecycle(request).revoke_mandate(mandate_id, "", caller.person)
    return Response(status_code=204)
