"""Server-rendered portal pages for practice managers and employees (Dutch by default,
English with ?lang=en). `zorgid serve --dev` adds a clearly marked login with demo
identities; without --dev that login does not exist."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from adapters.http.deps import principal
from adapters.http.dev_login import COOKIE, dev_cookie
from adapters.http.job_tokens import job_token
from domain.application import CardLifecycle, CreationStarted
from domain.card import RevocationReason
from domain.errors import DomainError, InvalidValue, NotAllowed, NotFound
from domain.identity import UziPass
from projections import cards, expiry, guest_uses, invoices, jobs, orders, practices

router = APIRouter(prefix="/portal", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "ZORG-ID Smartcard portaal", "logged_in_as": "Ingelogd als",
        "demo_banner": "DEMO-OMGEVING: inloggen met demo-identiteiten, niet voor echte "
                       "patiëntgegevens.",
        "cards_of": "Kaarten van", "holder": "Houder", "serial": "Serienummer",
        "status": "Status", "valid_until": "Geldig tot", "revoke": "Intrekken",
        "suspend": "Schorsen", "expiring_per_month": "Verlopende kaarten per maand",
        "my_cards": "Mijn kaarten", "no_cards": "Geen kaarten.",
        "status_active": "actief", "status_suspended": "geschorst",
        "status_revoked": "ingetrokken", "status_expired": "verlopen",
        "status_blank": "blanco", "status_personalising": "in aanmaak",
        "revoked": "De kaart is ingetrokken.", "suspended": "De kaart is geschorst.",
        "dev_login_intro": "Kies een demo-identiteit om in te loggen.",
        "reason_loss_or_theft": "verlies of diefstal", "reason_defect": "defect",
        "reason_key_compromise": "sleutel gecompromitteerd",
        "reason_pin_or_puk_disclosed": "pin of PUK bekend geworden",
        "reason_puk_blocked": "PUK geblokkeerd",
        "reason_organisation_ceased": "organisatie gestopt",
        "reason_data_incorrect": "gegevens onjuist",
        "reason_no_longer_eligible": "niet meer gerechtigd",
        "reason_superseded": "vervangen door een nieuwe kaart",
        "unlink": "Ontkoppelen", "link": "Koppelen", "link_card": "Kaart koppelen (serienummer)",
        "linked": "De kaart is gekoppeld.", "unlinked": "De kaart is ontkoppeld.",
        "orders": "Bestellingen", "placed": "Besteld", "quantity": "Aantal",
        "order_status": "Status", "total": "Totaal incl. btw",
        "order_placed": "besteld", "order_shipped": "verzonden",
        "order_cancelled": "geannuleerd",
        "create_card": "Mijn kaart aanmaken (serienummer van de blanco kaart)",
        "start": "Starten", "job": "Aanmaak van kaart",
        "job_started": "wacht op de kaartlezer", "job_certificates_issued": "certificaten "
        "uitgegeven", "job_activated": "klaar, de kaart is actief",
        "job_failed": "mislukt, probeer opnieuw", "creation_started": "De aanmaak is gestart.",
        "agent_hint": "Steek de blanco kaart in de kaartlezer en voer op uw werkplek uit "
                      "(u kiest daar zelf uw pincode en PUK):",
        "invoices": "Facturen", "invoice_number": "Factuurnummer", "period": "Periode",
        "guest_use": "Gastgebruik", "from": "Van", "until": "Tot en met", "end": "Beëindigen",
        "grant_guest_use": "Gastgebruik toekennen",
        "guest_use_granted": "Gastgebruik is toegekend.",
        "guest_use_ended": "Gastgebruik is beëindigd.",
    },
    "en": {
        "title": "ZORG-ID Smartcard portal", "logged_in_as": "Logged in as",
        "demo_banner": "DEMO ENVIRONMENT: log in with demo identities, not for real "
                       "patient data.",
        "cards_of": "Cards of", "holder": "Holder", "serial": "Serial",
        "status": "Status", "valid_until": "Valid until", "revoke": "Revoke",
        "suspend": "Suspend", "expiring_per_month": "Cards expiring per month",
        "my_cards": "My cards", "no_cards": "No cards.",
        "status_active": "active", "status_suspended": "suspended",
        "status_revoked": "revoked", "status_expired": "expired",
        "status_blank": "blank", "status_personalising": "being created",
        "revoked": "The card has been revoked.", "suspended": "The card has been suspended.",
        "dev_login_intro": "Choose a demo identity to log in.",
        **{f"reason_{r.value}": r.value.replace("_", " ") for r in RevocationReason},
        "unlink": "Unlink", "link": "Link", "link_card": "Link a card (serial)",
        "linked": "The card has been linked.", "unlinked": "The card has been unlinked.",
        "orders": "Orders", "placed": "Placed", "quantity": "Quantity",
        "order_status": "Status", "total": "Total incl. VAT",
        "order_placed": "placed", "order_shipped": "shipped", "order_cancelled": "cancelled",
        "create_card": "Create my card (serial of the blank card)", "start": "Start",
        "job": "Creating card", "job_started": "waiting for the card reader",
        "job_certificates_issued": "certificates issued",
        "job_activated": "done, the card is active", "job_failed": "failed, try again",
        "agent_hint": "Put the blank card in the card reader and run this at your workstation "
                      "(you choose your PIN and PUK there):",
        "creation_started": "Creation has started.",
        "invoices": "Invoices", "invoice_number": "Invoice number", "period": "Period",
        "guest_use": "Guest use", "from": "From", "until": "Until", "end": "End",
        "grant_guest_use": "Grant guest use", "guest_use_granted": "Guest use granted.",
        "guest_use_ended": "Guest use ended.",
    },
}
# What a person sees when the rules refuse; the API's codes stay English.
ERRORS_NL = {
    "not_holder_or_manager": "Alleen de houder of een beheerder van een gekoppelde praktijk "
                             "mag dit.",
    "card_revoked": "Deze kaart is al ingetrokken.",
    "card_expired": "Deze kaart is verlopen.",
    "card_suspended": "Deze kaart is al geschorst.",
    "card_not_found": "Er is geen kaart met dat serienummer.",
    "already_linked": "Deze kaart is al aan de praktijk gekoppeld.",
    "card_not_blank": "Deze kaart is al gebruikt.",
    "blank_card_not_for_practice": "Deze blanco kaart is naar een andere praktijk gestuurd "
                                   "dan die op uw UZI-pas.",
    "manager_cannot_hold_card": "Een beheerder of administrator kan geen kaart aanmaken.",
    "uzi_pass_not_named_employee": "Een kaart maakt u met uw eigen UZI-medewerkerspas op naam.",
    "uzi_pass_required": "Log in met uw UZI-medewerkerspas om een kaart te maken, niet met "
                         "een ZORG-ID kaart.",
    "guest_use_overlaps": "Er is al gastgebruik bij deze praktijk in die periode.",
    "invalid_period": "De einddatum ligt voor de begindatum.",
    "period_in_past": "Die periode ligt in het verleden.",
    "date_out_of_range": "Die datum ligt te ver in de toekomst. Kies een datum binnen de "
                         "geldigheid van de kaart.",
    "guest_use_beyond_card_expiry": "De kaart is niet zo lang geldig. Kies een einddatum "
                                    "voor het einde van de kaart.",
    "invalid_reason": "Vul een reden in van 1 tot 200 tekens, met gewone letters en cijfers.",
}


def language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"


def _render(request: Request, name: str, **context: Any) -> HTMLResponse:
    lang = language(request)
    texts = TEXTS[lang]
    response = templates.TemplateResponse(request, name, {
        "lang": lang, "t": lambda key: texts.get(key, key), "dev": request.app.state.dev,
        **context})
    # one-click buttons: no other site may frame these pages
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _same_site(request: Request) -> None:
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


@router.get("", response_class=HTMLResponse)
def portal(request: Request) -> Any:
    try:
        caller = principal(request)
    except DomainError:
        if request.app.state.dev:
            return RedirectResponse("/portal/dev-login", status_code=303)
        raise
    if caller.uzi_pass is None:
        raise NotFound("people_only", "the portal is for people, not service tokens")
    who = caller.uzi_pass
    with request.app.state.views.current() as db:
        now = request.app.state.clock.now()
        sections = []
        for ura in sorted(practices.roles_of(db, who.uzi_number)):
            practice = practices.practice(db, ura) or {"name": ura}
            due = Counter(row["expires_at"][:7]
                          for row in expiry.expiring(db, now, 366, ura))
            months = [((now.replace(day=1) + timedelta(days=32 * i)).strftime("%Y-%m"))
                      for i in range(12)]
            counts = [(m[2:], due.get(m, 0)) for m in months]
            sections.append({"ura": ura, "name": practice["name"],
                             "cards": cards.cards_of_practice(db, ura, now),
                             "orders": orders.orders_of(db, ura)[-10:],
                             "invoices": invoices.invoices_of(db, ura),
                             "guest_uses": guest_uses.guest_uses(db, now, host_ura=ura),
                             "expiring": counts,
                             "scale": 90 / max(1, *(c for _, c in counts))})
        mine = cards.cards_of_holder(db, who.uzi_number, now)
        job = None
        if request.query_params.get("job"):
            job = jobs.job(db, request.query_params["job"])
            if job is not None and job["holder_uzi_number"] != who.uzi_number:
                job = None  # a job is its holder's business only
            if job is not None:
                card = cards.card(db, job["card_id"], now)
                job = {**job, "serial": card["serial"] if card else ""}
                if job["status"] in ("started", "certificates_issued"):
                    job["agent_command"] = _agent_command(request, job["job_id"])
    message = request.query_params.get("msg")
    texts = TEXTS[language(request)]
    return _render(request, "portal.html", who=f"{who.name} ({who.uzi_number})",
                   practices=sections, my_cards=mine if mine or not sections else None,
                   reasons=[r.value for r in RevocationReason
                            if r is not RevocationReason.SUPERSEDED],
                   notice=texts.get(message) if message else None,
                   error=request.query_params.get("error"), job=job,
                   refresh=job is not None and job["status"] in ("started",
                                                                 "certificates_issued"))


def _agent_command(request: Request, job_id: str) -> str:
    """What the employee runs at the workstation with the reader: the job's own token,
    good for this one card only."""
    token = job_token(request.app.state.job_secret, UUID(job_id))
    api = str(request.base_url).rstrip("/")
    # in the environment, not the agent's arguments, which other users of the PC can list
    return (f"ZORGID_JOB_TOKEN={token} zorgid reader-agent --api {api} --job {job_id} "
            "--reader OMNIKEY")


def _act(request: Request, command: Callable[[CardLifecycle, UziPass], Any],
         done: str) -> RedirectResponse:
    _same_site(request)
    caller = principal(request)
    if caller.kind != "person" or caller.uzi_pass is None:
        raise NotAllowed("person_required", "the portal is for people logged in with their card")
    lang = language(request)
    try:
        result = command(request.app.state.lifecycle, caller.uzi_pass)
    except DomainError as error:
        text = ERRORS_NL.get(error.code, error.message) if lang == "nl" else error.message
        return RedirectResponse(f"/portal?lang={lang}&error={quote(text)}", status_code=303)
    extra = f"&job={result.job_id}" if isinstance(result, CreationStarted) else ""
    return RedirectResponse(f"/portal?lang={lang}&msg={done}{extra}", status_code=303)


@router.post("/cards/{card_id}/revoke")
def revoke(card_id: UUID, request: Request, reason: Annotated[str, Form()]) -> RedirectResponse:
    return _act(request, lambda app, by: app.revoke_card(card_id, reason, by), done="revoked")


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
    from domain.card import Card

    try:
        return Card.create_id(serial.strip().upper())
    except DomainError:
        return Card.create_id("ZID-UNKNOWN")


@router.post("/practices/{ura}/link")
def link(ura: str, request: Request, serial: Annotated[str, Form()]) -> RedirectResponse:
    card_id = _card_id_of(serial)
    return _act(request, lambda app, by: app.link_card(card_id, ura, by), done="linked")


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


@router.get("/dev-login", response_class=HTMLResponse)
def dev_login_page(request: Request) -> Any:
    if not request.app.state.dev:
        raise NotFound("dev_only", "the demo login exists only with zorgid serve --dev")
    with request.app.state.views.current() as db:
        managers = list(db.query(
            "SELECT m.uzi_number, m.name, m.role, m.ura, p.name AS practice FROM "
            "practice_managers m JOIN practices p USING (ura) ORDER BY p.name LIMIT 12"))
        holders = list(db.query(
            "SELECT holder_uzi_number AS uzi_number, holder_name AS name, holder_ura AS ura "
            "FROM cards WHERE status = 'active' ORDER BY holder_name LIMIT 8"))
    people = [{"key": f"{m['uzi_number']}|Z|{m['ura']}|{m['name']}", "uzi_number":
               m["uzi_number"], "label": f"{m['name']}, {m['role']} van {m['practice']}"}
              for m in managers]
    people += [{"key": f"{h['uzi_number']}|N|{h['ura']}|{h['name']}", "uzi_number":
                h["uzi_number"], "label": f"{h['name']}, kaarthouder"} for h in holders]
    return _render(request, "dev_login.html", people=people, who=None)


@router.post("/dev-login")
def dev_login(request: Request, who: Annotated[str, Form()]) -> RedirectResponse:
    if not request.app.state.dev:
        raise NotFound("dev_only", "the demo login exists only with zorgid serve --dev")
    _same_site(request)
    try:
        uzi_number, card_type, ura, name = who.split("|", 3)
    except ValueError:
        raise InvalidValue("invalid_field", "pick one of the demo identities") from None
    given, _, surname = name.partition(" ")
    identity = {"uzi_number": uzi_number, "card_type": card_type, "ura": ura,
                "role": "01.015" if card_type == "Z" else "00.000",
                "given_name": given, "surname": surname or given}
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(COOKIE, dev_cookie(request.app.state.job_secret, identity),
                        httponly=True, samesite="strict")
    return response
