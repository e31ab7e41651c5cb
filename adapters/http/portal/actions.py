"""The portal's buttons: each posts a form, runs one command as the person logged in,
and returns to the page with what happened (or, in plain Dutch, why not)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

import adapters.http.portal.notices as notices
from adapters.http.deps import principal
from adapters.http.portal.texts import ERRORS_NL, language
from domain.application import CardLifecycle, CreationStarted
from domain.card import Card
from domain.errors import DomainError, NotAllowed
from domain.identity import UziPass

router = APIRouter(prefix="/portal", include_in_schema=False)


def same_site(request: Request) -> None:
    """Refuse a form posted from another site. The browser presents the client
    certificate (or the demo cookie) to us whoever's page started the post, so the
    browser's own word on where the post came from decides: Sec-Fetch-Site, else the
    Origin's host against ours. Clients that are not browsers send neither."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none"):
            return
    else:
        origin = request.headers.get("origin")
        if origin is None or urlsplit(origin).netloc == request.headers.get("host"):
            return
    raise NotAllowed("cross_site_form", "this form was not sent from the portal's own pages")


def _act(request: Request, command: Callable[[CardLifecycle, UziPass], Any],
         done: str, linked: str | None = None) -> RedirectResponse:
    """Run the command as the person logged in. `done` names the notice; a command that
    answers "linked" (the other side had consented already) shows `linked` instead."""
    same_site(request)
    caller = principal(request)
    if caller.kind != "person" or caller.uzi_pass is None:
        raise NotAllowed("person_required", "the portal is for people logged in with their card")
    lang = language(request)
    try:
        result = command(request.app.state.lifecycle, caller.uzi_pass)
    except DomainError as error:
        text = ERRORS_NL.get(error.code, error.message) if lang == "nl" else error.message
        return RedirectResponse(f"/portal?lang={lang}&error={quote(notices.sign(request, text))}",
                                status_code=303)
    if linked is not None and result == "linked":
        done = linked
    extra = f"&job={result.job_id}" if isinstance(result, CreationStarted) else ""
    return RedirectResponse(f"/portal?lang={lang}&msg={done}{extra}", status_code=303)


@router.post("/cards/{card_id}/revoke")
def revoke(card_id: UUID, request: Request, reason: Annotated[str, Form()]) -> RedirectResponse:
    return _act(request, lambda app, by: app.revoke_card(card_id, reason, by), done="revoked")


@router.post("/cards/{card_id}/pin-services")
def start_pin_service(card_id: UUID, request: Request) -> RedirectResponse:
    """Pincode vergeten of geblokkeerd: the page then shows the code for ZORG-ID Werkplek."""
    return _act(request, lambda app, by: app.start_pin_service(card_id, by),
                done="pin_service_started")


@router.post("/email")
def set_email(request: Request, email: Annotated[str, Form(max_length=254)]) -> RedirectResponse:
    """Herinneringen per e-mail (R17): where the reminders before a card ends go."""
    return _act(request, lambda app, by: app.set_email(email, by), done="email_saved")


@router.post("/email/remove")
def remove_email(request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.remove_email(by), done="email_removed")


@router.post("/cards/{card_id}/resume")
def resume(card_id: UUID, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.resume_card(card_id, by), done="resumed")


@router.post("/cards/{card_id}/suspend")
def suspend(card_id: UUID, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.suspend_card(card_id, "geschorst via het portaal",
                                                          by), done="suspended")


@router.post("/cards/{card_id}/unlink/{ura}")
def unlink(card_id: UUID, ura: str, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.unlink_card(card_id, ura, by), done="unlinked")


def _card_id_of(serial: str) -> UUID:
    """The card id for a serial typed by a person; a malformed one names no card, so the
    command says card_not_found."""
    try:
        return Card.create_id(serial.strip().upper())
    except DomainError:
        return Card.create_id("ZID-UNKNOWN")


@router.post("/practices/{ura}/link")
def link(ura: str, request: Request, serial: Annotated[str, Form()]) -> RedirectResponse:
    card_id = _card_id_of(serial)
    return _act(request, lambda app, by: app.link_card(card_id, ura, by), done="linked")


@router.post("/cards/{card_id}/link-requests")
def request_link(card_id: UUID, request: Request, ura: Annotated[str, Form()]) -> RedirectResponse:
    """The holder asks a practice to link the card (R7)."""
    practice = ura.strip()
    return _act(request, lambda app, by: app.request_link(card_id, practice, by),
                done="link_requested", linked="linked")


@router.post("/cards/{card_id}/link-requests/{ura}/approve")
def approve_link(card_id: UUID, ura: str, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.link_card(card_id, ura, by), done="linked")


@router.post("/cards/{card_id}/link-requests/{ura}/end")
def end_link_request(card_id: UUID, ura: str, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.end_link_request(card_id, ura, by),
                done="link_request_ended")


@router.post("/cards/{card_id}/links/{ura}")
def accept_invitation(card_id: UUID, ura: str, request: Request) -> RedirectResponse:
    """The holder accepts a practice's invitation, for this card."""
    return _act(request, lambda app, by: app.link_card(card_id, ura, by), done="linked")


@router.post("/practices/{ura}/link-invitations")
def invite(ura: str, request: Request,
           uzi_number: Annotated[str, Form()]) -> RedirectResponse:
    number = uzi_number.strip()
    return _act(request, lambda app, by: app.invite_to_link(ura, number, by), done="invited",
                linked="linked")


@router.post("/practices/{ura}/link-invitations/{uzi_number}/end")
def end_invitation(ura: str, uzi_number: str, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.end_link_invitation(ura, uzi_number, by),
                done="invitation_ended")


@router.post("/practices/{ura}/orders")
def place_order(ura: str, request: Request, quantity: Annotated[int, Form()],
                order_key: Annotated[str, Form()]) -> RedirectResponse:
    """Place the order the quote page showed; its key makes a second click the same order."""
    return _act(request, lambda app, by: app.place_order(ura, quantity, order_key, by),
                done="order_placed_notice")


@router.post("/practices/{ura}/guest-uses")
def grant_guest_use(ura: str, request: Request, serial: Annotated[str, Form()],
                    starts_on: Annotated[date, Form()],
                    ends_on: Annotated[date, Form()]) -> RedirectResponse:
    card_id = _card_id_of(serial)
    return _act(request, lambda app, by: app.grant_guest_use(card_id, ura, starts_on, ends_on,
                                                             by), done="guest_use_granted")


@router.post("/cards/{card_id}/guest-uses/{guest_use_id}/end")
def end_guest_use(card_id: UUID, guest_use_id: UUID, request: Request) -> RedirectResponse:
    return _act(request, lambda app, by: app.end_guest_use(card_id, guest_use_id, by),
                done="guest_use_ended")


@router.post("/my-card")
def create_my_card(request: Request, serial: Annotated[str, Form()]) -> RedirectResponse:
    card_serial = serial.strip().upper()
    return _act(request, lambda app, by: app.start_card_creation(card_serial, by),
                done="creation_started")
