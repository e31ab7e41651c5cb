"""Who am I, shipments, invoices, the event log, the CRL, and health."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import unquote
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import Principal
from adapters.http.deps import Caller, PersonCaller, ViewsDb, lifecycle, service_role
from adapters.http.errors import Unavailable
from adapters.http.routes.common import is_manager
from adapters.http.schemas import (
    ERRORS,
    Health,
    Invoice,
    LoggedEvent,
    PersonMe,
    RequestBody,
    ServiceMe,
    binary,
)
from domain.card import MANAGEMENT_KEY_ALGORITHMS, renewal_opens_on
from domain.errors import InvalidValue, NotAllowed
from domain.identity import Actor
from domain.picture import jsonable
from projections import cards, certificates, invoices, links, practices

router = APIRouter(tags=["service"])


class ShippedCard(RequestBody):
    serial: str = Field(description="the serial printed on the card")
    chip_id: str | None = Field(default=None, description="the chip's own identity from the "
                                "supplier's card list: yubico:<serial> or chuid:<32 hex>")
    management_key_algorithm: str | None = Field(
        default=None, json_schema_extra={"enum": list(MANAGEMENT_KEY_ALGORITHMS)},
        description="the blank management key's algorithm, when the card list says it")


class ShipmentRequest(RequestBody):
    card_serials: list[str] | None = Field(default=None, description="the printed serials")
    cards: list[ShippedCard] | None = Field(
        default=None, description="per card, the printed serial and the chip's identity "
                                  "(instead of card_serials)")


@router.get("/v1/me", response_model=PersonMe | ServiceMe, responses=ERRORS)
def me(caller: Caller, db: ViewsDb, request: Request) -> dict[str, Any]:
    if caller.kind == "service":
        return {"kind": "service", "role": caller.role}
    assert caller.uzi_pass is not None
    who = caller.uzi_pass
    return {
        "kind": "person", "uzi_number": who.uzi_number, "name": who.name,
        "card_type": who.card_type.value, "ura": who.ura, "role": who.role,
        "logged_in_with": "zorgid_card" if caller.via_card else "uzi_pass",
        "roles": practices.roles_of(db, who.uzi_number),
        "cards": [_with_renewal(request, card) for card in
                  cards.cards_of_holder(db, who.uzi_number, request.app.state.clock.now())],
        "link_invitations": links.invitations_for(db, who.uzi_number),
        "email": lifecycle(request).email_of(who.uzi_number),
    }


def _with_renewal(request: Request, card: dict[str, Any]) -> dict[str, Any]:
    """R14: the first day the card can renew itself, for a card in use."""
    if card["status"] not in ("active", "suspended") or not card.get("expires_at"):
        return card
    window = timedelta(days=lifecycle(request).policy.renewal_window_days)
    return {**card, "renewal_opens_on": renewal_opens_on(
        datetime.fromisoformat(card["expires_at"]), window)}


class EmailRequest(RequestBody):
    email: str = Field(max_length=254, description="where reminders before the end of a "
                                                   "card reach you (R17)")


@router.put("/v1/me/email", status_code=204, responses=ERRORS)
def set_email(body: EmailRequest, caller: PersonCaller, request: Request) -> Response:
    lifecycle(request).set_email(body.email, caller.person)
    return Response(status_code=204)


@router.delete("/v1/me/email", status_code=204, responses=ERRORS)
def remove_email(caller: PersonCaller, request: Request) -> Response:
    lifecycle(request).remove_email(caller.person)
    return Response(status_code=204)


@router.post("/v1/orders/{order_id}/shipment", status_code=204, responses=ERRORS)
def ship(order_id: UUID, body: ShipmentRequest, request: Request,
         caller: Annotated[Principal, Depends(service_role("fulfilment"))]) -> Response:
    if (body.card_serials is None) == (body.cards is None):
        raise InvalidValue("invalid_field", "give card_serials or cards, one of the two")
    if body.cards is not None:
        lifecycle(request).ship_order(order_id, [c.serial for c in body.cards],
                                      Actor.system("fulfilment"), [c.chip_id for c in body.cards],
                                      [c.management_key_algorithm for c in body.cards])
    else:
        assert body.card_serials is not None
        lifecycle(request).ship_order(order_id, body.card_serials, Actor.system("fulfilment"))
    return Response(status_code=204)


@router.get("/v1/invoices", response_model=list[Invoice], responses=ERRORS)
def list_invoices(caller: Caller, db: ViewsDb,
                  period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
                  ura: str | None = None) -> list[dict[str, Any]]:
    if caller.kind == "service" and caller.role == "billing":
        return invoices.invoices(db, period, ura)
    if ura is None or not is_manager(db, caller, ura):
        raise NotAllowed("not_manager", "a manager sees the invoices of their own practice "
                         "(give ?ura=); billing jobs use their service token")
    return invoices.invoices(db, period, ura)


@router.get("/v1/events", responses={
    **ERRORS, 200: {"model": list[LoggedEvent], "description": "the notification log"}})
def events(request: Request,
           caller: Annotated[Principal, Depends(service_role("auditor"))],
           after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # a 64-bit position
           limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Response:
    records = [jsonable({"position": e.position, "type": e.type,
                         "originator_id": e.originator_id,
                         "originator_version": e.originator_version, "timestamp": e.timestamp,
                         "actor": e.actor, "payload": e.payload})
               for e in lifecycle(request).read_log(after=after, limit=limit)]
    return Response(json.dumps(records, ensure_ascii=False), media_type="application/json")


@router.get("/v1/crl", response_class=Response, responses={
    **ERRORS, **binary("application/pkix-crl", "the card CA's CRL (DER)")})
def crl(request: Request) -> Response:
    workshop = request.app.state.workshop
    if workshop is None:
        raise Unavailable("crl_unavailable", "this server does not hold the card CA")
    now = request.app.state.clock.now()
    with request.app.state.views.current() as db:
        der = workshop.crl(certificates.crl_entries(db, now), now)
    return Response(der, media_type="application/pkix-crl")


@router.get("/v1/ca-certificate", response_class=Response, responses={
    **ERRORS, **binary("application/pkix-cert", "the card CA's certificate (DER)")})
def ca_certificate(request: Request) -> Response:
    workshop = request.app.state.workshop
    if workshop is None:
        raise Unavailable("ca_certificate_unavailable", "this server does not hold the card CA")
    return Response(workshop.certificate.public_bytes(serialization.Encoding.DER),
                    media_type="application/pkix-cert")


OCSP_RESPONSE = "application/ocsp-response"


def _ocsp(request: Request, der: bytes) -> Response:
    workshop = request.app.state.workshop
    if workshop is None:
        raise Unavailable("ocsp_unavailable", "this server does not hold the card CA")
    now = request.app.state.clock.now()
    with request.app.state.views.current() as db:
        def lookup(serial: int) -> Any:
            return workshop.ocsp_status(certificates.certificate_status(db, format(serial, "x")))

        answer = workshop.ocsp(der, lookup, now)
    # no cache beyond the request: a revocation shows in the very next answer
    return Response(answer, media_type=OCSP_RESPONSE, headers={"Cache-Control": "no-store"})


@router.post("/ocsp", response_class=Response, responses={
    **ERRORS, **binary(OCSP_RESPONSE, "the OCSP response (RFC 6960), DER")},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/ocsp-request": {"schema": {"type": "string", "format": "binary"}},
        # the same DER under the generic type, for clients that send no other
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def ocsp_post(request: Request) -> Response:
    der = await request.body()
    return await run_in_threadpool(_ocsp, request, der)


@router.get("/ocsp/{encoded:path}", response_class=Response, responses={
    **ERRORS, **binary(OCSP_RESPONSE, "the OCSP response (RFC 6960), DER")})
def ocsp_get(encoded: str, request: Request) -> Response:
    """RFC 6960 A.1: the URL-encoded base64 of the DER request after the path."""
    try:
        der = base64.b64decode(unquote(encoded), validate=True)
    except ValueError:
        der = b""  # the responder answers malformedRequest
    return _ocsp(request, der)


@router.get("/metrics", response_class=Response, responses={
    **ERRORS, **binary("text/plain", "Prometheus text format")})
def metrics(request: Request,
            caller: Annotated[Principal, Depends(service_role("operator"))]) -> Response:
    """Prometheus text, for the operators' scraper (bearer token of role operator)."""
    store = lifecycle(request).head()
    views = request.app.state.views.position  # read, never projected here
    return Response(request.app.state.metrics.text(store, views),
                    media_type="text/plain; version=0.0.4")


@router.get("/healthz", response_model=Health)
def healthz(request: Request) -> dict[str, Any]:
    store = lifecycle(request).head()
    views = request.app.state.views.position  # the lag, if any, is what operators see
    return {"status": "ok", "store_position": store, "views_position": views}
