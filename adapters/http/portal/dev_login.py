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


KINDS = ("huisartsenpraktijk", "huisartsenpost", "apotheek")


def _person(key_type: str, row: dict[str, Any] | None, role: str) -> dict[str, str] | None:
    if row is None or not row.get("uzi_number"):
        return None
    name = row.get("name") or "Medewerker zonder kaart"
    return {"key": f"{row['uzi_number']}|{key_type}|{row['ura']}|{name}",
            "id": f"{row['uzi_number']}-{row['ura']}-{role.replace(' ', '-')}",
            "uzi_number": row["uzi_number"], "label": f"{name}, {role}"}


def _first(db: Any, sql: str, *params: str) -> dict[str, Any] | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def demo_people(db: Any) -> list[dict[str, Any]]:
    """Per kind of practice, one of each kind of person: administrator, beheerder, care
    provider, employee with a card and employee without one (whatever happened to cards
    since, there is someone of each kind to log in as)."""
    sections = []
    for kind in KINDS:
        practice = _first(db, "SELECT p.ura, p.name FROM practices p WHERE p.kind = ? "
                              "ORDER BY EXISTS (SELECT 1 FROM cards c WHERE c.holder_ura = "
                              "p.ura AND c.status = 'active') DESC, EXISTS (SELECT 1 FROM "
                              "practice_managers m WHERE m.ura = p.ura AND m.role = "
                              "'beheerder') DESC, EXISTS (SELECT 1 FROM mandates g WHERE "
                              "g.practice_ura = p.ura AND g.grantor_uzi_number NOT IN "
                              "(SELECT uzi_number FROM practice_managers)) DESC, p.name "
                              "LIMIT 1", kind)
        if practice is None:
            continue
        ura = practice["ura"]
        manager = ("SELECT uzi_number, name, ura FROM practice_managers WHERE ura = ? "
                   "AND role = ? ORDER BY name LIMIT 1")
        people = [
            _person("Z", _first(db, manager, ura, "administrator"), "administrator"),
            _person("N", _first(db, manager, ura, "beheerder"), "beheerder"),
            _person("Z", _first(db, "SELECT grantor_uzi_number AS uzi_number, grantor_name "
                                    "AS name, practice_ura AS ura FROM mandates WHERE "
                                    "practice_ura = ? ORDER BY grantor_uzi_number IN (SELECT "
                                    "uzi_number FROM practice_managers), grantor_name LIMIT 1",
                                    ura),
                    "zorgverlener"),
            _person("N", _first(db, "SELECT holder_uzi_number AS uzi_number, holder_name AS "
                                    "name, holder_ura AS ura FROM cards WHERE holder_ura = ? "
                                    "AND status = 'active' ORDER BY holder_name LIMIT 1", ura),
                    "medewerker met kaart"),
            _person("N", _first(db, "SELECT holder_uzi_number AS uzi_number, holder_name AS "
                                    "name, holder_ura AS ura FROM cards c WHERE holder_ura = ? "
                                    "AND status IN ('revoked', 'expired') AND NOT EXISTS "
                                    "(SELECT 1 FROM cards a WHERE a.holder_uzi_number = "
                                    "c.holder_uzi_number AND a.status IN ('active', "
                                    "'suspended', 'personalising')) ORDER BY holder_name "
                                    "LIMIT 1", ura)
                    or _first(db, "SELECT mandatee_uzi_number AS uzi_number, NULL AS name, "
                                  "practice_ura AS ura FROM mandates m WHERE practice_ura = ? "
                                  "AND NOT EXISTS (SELECT 1 FROM cards c WHERE "
                                  "c.holder_uzi_number = m.mandatee_uzi_number) LIMIT 1", ura)
                    # nobody yet: a new employee (a demo identity needs no event)
                    or {"uzi_number": f"9{ura}", "name": "Nieuwe Medewerker", "ura": ura},
                    "medewerker zonder kaart"),
        ]
        sections.append({"title": f"{practice['name']} ({kind})",
                         "people": [p for p in people if p is not None]})
    return sections


@router.get("/dev-login", response_class=HTMLResponse)
def dev_login_page(request: Request) -> Any:
    if not request.app.state.dev:
        raise NotFound("dev_only", "the demo login exists only with zorgid serve --dev")
    with request.app.state.views.current() as db:
        sections = demo_people(db)
    return render(request, "dev_login.html", sections=sections, who=None)


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
