"""The portal's page: a manager's practices (cards, orders, invoices, guest use, what
expires when) and an employee's own cards and card creation."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

import adapters.http.portal.invoice_files as invoice_files
import adapters.http.portal.notices as notices
from adapters.http.deps import principal
from adapters.http.job_tokens import pairing_code
from adapters.http.portal.formats import Formats
from adapters.http.portal.texts import ERRORS_NL, TEXTS, language
from domain.card import PAIRING_TIMEOUT, PERSONALISATION_TIMEOUT, RevocationReason
from domain.errors import DomainError, InvalidValue, NotAllowed, NotFound
from domain.order import check_quantity, order_lines, vat_cents
from projections import (
    blank_cards,
    cards,
    expiry,
    guest_uses,
    invoices,
    jobs,
    links,
    orders,
    pin_services,
    practices,
)
from projections.base import ts

router = APIRouter(prefix="/portal", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def _pin_service(request: Request, db: Any, card_id: str, now: datetime) -> dict[str, Any] | None:
    """The card's newest PIN unblock, as the portal shows it: its code while it can be
    typed in, the workstation once one took it, the outcome for an hour after."""
    service = pin_services.latest(db, card_id)
    if service is None:
        return None
    if service["status"] == "started":
        if service["started_at"] < (ts(now - PAIRING_TIMEOUT) or ""):
            return None
        return {**service, "pairing_code": pairing_code(request.app.state.job_secret,
                                                        UUID(service["service_id"]))}
    if service["status"] in ("claimed", "unblocked", "puk_blocked") and \
            service["updated_at"] >= (ts(now - timedelta(hours=1)) or ""):
        return service
    return None


def render(request: Request, name: str, **context: Any) -> HTMLResponse:
    lang = language(request)
    texts = TEXTS[lang]
    response = templates.TemplateResponse(request, name, {
        "lang": lang, "t": lambda key: texts.get(key, key), "texts": texts,
        "dev": request.app.state.dev,
        **Formats(lang).context(), **context})
    # one-click buttons: no other site may frame these pages
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    """What a person meets instead of the API's JSON under /portal: a refused form comes
    back as the portal's page with the message; not being logged in, as the steps to log
    in; anything else, as a page that says what happened and the way back."""
    lang = language(request)
    text = ERRORS_NL.get(code, message) if lang == "nl" else message
    if request.method == "POST" and status != 401 and request.url.path != "/portal/dev-login":
        return RedirectResponse(f"/portal?lang={lang}&error={quote(notices.sign(request, text))}",
                                status_code=303)
    if status == 401:
        response = render(request, "login.html", who=None,
                          error=text if code != "no_credential" else None)
    else:
        response = render(request, "error.html", who=None, error=text)
    response.status_code = status
    return response


def _person(request: Request) -> Any:
    caller = principal(request)
    if caller.uzi_pass is None:
        raise NotFound("people_only", "the portal is for people, not service tokens")
    return caller.uzi_pass


def _confirm(request: Request, card_id: UUID, key: str, action: str,
             fields: dict[str, str], **names: str) -> HTMLResponse:
    """A page that says what cannot be undone before it is done; the button posts."""
    who = _person(request)
    with request.app.state.views.current() as db:
        card = cards.card(db, str(card_id), request.app.state.clock.now())
    if card is None:
        raise NotFound("card_not_found", "there is no card with that id")
    texts = TEXTS[language(request)]
    values = {"serial": card["serial"], "holder": card["holder_name"] or "—", **names}
    return render(request, "confirm.html", who=f"{who.name} ({who.uzi_number})",
                  question=texts[f"{key}_question"].format(**values),
                  consequence=texts[f"{key}_consequence"].format(**values),
                  confirm=texts[f"{key}_confirm"],
                  action=f"{action}?lang={language(request)}", fields=fields)


@router.get("/cards/{card_id}/revoke", response_class=HTMLResponse)
def confirm_revoke(card_id: UUID, request: Request, reason: str = "defect") -> HTMLResponse:
    texts = TEXTS[language(request)]
    if f"reason_{reason}" not in texts or reason == RevocationReason.SUPERSEDED.value:
        raise InvalidValue("invalid_revocation_reason", "choose a reason from the list")
    return _confirm(request, card_id, "revoke", f"/portal/cards/{card_id}/revoke",
                    {"reason": reason}, reason=texts[f"reason_{reason}"])


@router.get("/cards/{card_id}/unlink/{ura}", response_class=HTMLResponse)
def confirm_unlink(card_id: UUID, ura: str, request: Request) -> HTMLResponse:
    with request.app.state.views.current() as db:
        practice = practices.practice(db, ura) or {"name": ura}
    return _confirm(request, card_id, "unlink", f"/portal/cards/{card_id}/unlink/{ura}", {},
                    practice=practice["name"])


@router.get("/practices/{ura}/order", response_class=HTMLResponse)
def order_quote(ura: str, request: Request, quantity: int) -> HTMLResponse:
    """What an order costs, before it is placed: the lines, VAT and total with the prices
    in force. The confirmation carries one key, so a double click orders once."""
    who = _person(request)
    check_quantity(quantity)
    app = request.app.state.lifecycle
    practice = app.get_practice(ura)
    practice.check_is_manager(who.actor())
    pricing = app.pricing
    lines = order_lines(quantity, pricing)
    net = sum(line.amount_cents for line in lines)
    vat = vat_cents(net, pricing.vat_rate_bp)
    percent = f"{pricing.vat_rate_bp / 100:g}".replace(".", ",") + " %"
    return render(request, "order.html", who=f"{who.name} ({who.uzi_number})",
                  practice_name=practice.name, ura=ura, quantity=quantity, lines=lines,
                  net_cents=net, vat_cents=vat, total_cents=net + vat, vat_percent=percent,
                  order_key=f"portal-{uuid4()}")


def _invoice_of(request: Request, ura: str, number: str) -> dict[str, Any]:
    who = _person(request)
    with request.app.state.views.current() as db:
        if not practices.roles_of(db, who.uzi_number).get(ura):
            raise NotAllowed("not_manager", "only a manager of this practice may see this")
        found = invoices.invoice(db, number)
    if found is None or found["ura"] != ura:
        raise NotFound("invoice_not_found", "there is no such invoice for this practice")
    return found


@router.get("/practices/{ura}/invoices/{number}.pdf")
def invoice_pdf(ura: str, number: str, request: Request) -> Response:
    found = _invoice_of(request, ura, number)
    seller = request.app.state.settings.invoice_seller
    return Response(invoice_files.invoice_pdf(found, seller), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="factuur-{number}.pdf"'})


@router.get("/practices/{ura}/invoices/{number}.csv")
def invoice_csv(ura: str, number: str, request: Request) -> Response:
    found = _invoice_of(request, ura, number)
    return Response(invoice_files.invoice_csv(found).encode("utf-8-sig"),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="factuur-{number}.csv"'})


@router.get("/workstation", response_class=HTMLResponse)
def workstation(request: Request) -> HTMLResponse:
    """How to install and use ZORG-ID Werkplek: for anyone, logged in or not."""
    return render(request, "workstation.html", who=None,
                  api=str(request.base_url).rstrip("/"))


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
            months = [date(now.year + (now.month - 1 + i) // 12, (now.month - 1 + i) % 12 + 1, 1)
                      for i in range(12)]
            counts = [(m, due.get(m.strftime("%Y-%m"), 0)) for m in months]
            sections.append({"ura": ura, "name": practice["name"],
                             "cards": cards.cards_of_practice(db, ura, now),
                             "orders": orders.orders_of(db, ura)[-10:],
                             "stock": blank_cards.inventory(db, ura),
                             "invoices": [invoices.invoice(db, i["invoice_number"])
                                          for i in invoices.invoices_of(db, ura)],
                             "guest_uses": guest_uses.guest_uses(db, now, host_ura=ura),
                             "link_requests": links.requests_to(db, ura),
                             "link_invitations": links.invitations_of_practice(db, ura),
                             "expiring": counts,
                             "ending_soon": expiry.expiring(db, now, 90, ura),
                             "scale": 90 / max(1, *(c for _, c in counts))})
        mine = [{**card, "link_requests": links.requests_of_card(db, card["card_id"]),
                 "pin_service": _pin_service(request, db, card["card_id"], now)}
                for card in cards.cards_of_holder(db, who.uzi_number, now)]
        invitations = links.invitations_for(db, who.uzi_number)
        usable = [c for c in mine if c["status"] in ("active", "suspended")]
        if request.query_params.get("job"):
            job = jobs.job(db, request.query_params["job"])
        else:  # a reload without ?job= still shows the holder's running or failed one
            job = jobs.latest_of_holder(db, who.uzi_number,
                                        ts(now - PERSONALISATION_TIMEOUT) or "")
            if job is not None and job["status"] == "activated":
                job = None  # the card's row says it
        if job is not None and job["holder_uzi_number"] != who.uzi_number:
            job = None  # a job is its holder's business only
        if job is not None:
            card = cards.card(db, job["card_id"], now)
            job = {**job, "serial": card["serial"] if card else ""}
            if job["status"] == "started" and job["workstation"] is None and \
                    job["started_at"] >= (ts(now - PAIRING_TIMEOUT) or ""):
                job["pairing_code"] = pairing_code(request.app.state.job_secret,
                                                   UUID(job["job_id"]))
    message = request.query_params.get("msg")
    texts = TEXTS[language(request)]
    ended = [c for c in mine if c["status"] == "revoked"
             and c["revocation_reason"] == "puk_blocked"]
    return render(request, "portal.html", who=f"{who.name} ({who.uzi_number})",
                   practices=sections, my_cards=mine if mine or not sections else None,
                   reasons=[r.value for r in RevocationReason
                            if r is not RevocationReason.SUPERSEDED],
                   notice=texts.get(message) if message else None,
                   error=notices.read(request, request.query_params.get("error")), job=job,
                   invitations=invitations, usable_card=usable[-1] if usable else None,
                   puk_blocked=ended[-1] if ended and not usable else None,
                   email=request.app.state.lifecycle.email_of(who.uzi_number),
                   refresh=job is not None and job["status"] in ("started",
                                                                 "certificates_issued"))


