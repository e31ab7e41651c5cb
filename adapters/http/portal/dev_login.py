"""The demo login of `zorgid serve --dev`: pick a demo identity, get a signed cookie.
Without --dev these routes answer 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from adapters.http.dev_login import COOKIE, dev_cookie
from adapters.http.portal.actions import same_site
from adapters.http.portal.pages import render
from domain.errors import InvalidValue, NotFound

router = APIRouter(prefix="/portal", include_in_schema=False)


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
    return render(request, "dev_login.html", people=people, who=None)


@router.post("/dev-login")
def dev_login(request: Request, who: Annotated[str, Form()]) -> RedirectResponse:
    if not request.app.state.dev:
        raise NotFound("dev_only", "the demo login exists only with zorgid serve --dev")
    same_site(request)
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
