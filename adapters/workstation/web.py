"""ZORG-ID Werkplek's pages, served on the workstation's loopback only.

The portal never calls the helper: the person types the pairing code here, so no public
page has to reach a loopback server (no Private Network Access preflight to depend on).
Only the helper's own pages may use it: a request whose Host is not the helper's own
loopback address (a DNS-rebinding page) is refused, and so is a form posted from any
other origin (another web site). The pages cannot be framed. Nothing secret is ever in a
URL: the pairing code, PIN and PUK are posted in a form body."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import DictLoader, Environment, select_autoescape

from adapters.http.portal.formats import Formats
from adapters.workstation.helper import STEPS, Helper, HelperError
from adapters.workstation.texts import TEXTS, TEXTS_REASONS, problem

PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if refresh %}<meta http-equiv="refresh" content="1">{% endif %}
<title>{{ t("title") }}</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto;
        padding: 0 1rem; color: #1d2a35; }
 h1 { font-size: 1.5rem; color: #00588a; } .lang { float: right; font-size: .9rem; }
 .problem { background: #fbeaea; padding: .8rem 1rem; border-left: 4px solid #b00020; }
 .done { background: #eef6ee; padding: .8rem 1rem; border-left: 4px solid #2e7d32; }
 label { display: block; margin: .6rem 0; } input { font-size: 1.2rem; padding: .3rem; }
 input.code { letter-spacing: .2rem; text-transform: uppercase; width: 10rem; }
 button { font-size: 1.1rem; padding: .5rem 1.2rem; margin-top: .6rem; }
 ol.steps li { margin: .4rem 0; } li.now { font-weight: bold; } li.past { color: #2e7d32; }
 .small { font-size: .9rem; color: #4a5a66; }
</style></head><body>
<a class="lang" href="?lang={{ other }}">{{ t("language") }}</a>
<h1>{{ t("title") }}</h1>
{% block content %}{% endblock %}
</body></html>"""

START = """{% extends "page" %}{% block content %}
{% if problem %}<p class="problem" id="problem">{{ problem }}</p>{% endif %}
<p>{{ t("intro") }}</p>
<form method="post" action="/pair?lang={{ lang }}">
 <label>{{ t("code") }} <input class="code" name="code" autocomplete="off" required
   maxlength="12" autofocus></label>
 <button type="submit" id="pair">{{ t("pair") }}</button>
</form>
<p class="small">{{ t("intro_more") }}</p>
<h2>{{ t("services") }}</h2>
<p><a href="/pin?lang={{ lang }}" id="change-pin">{{ t("change_pin") }}</a></p>
<form method="post" action="/inspect?lang={{ lang }}">
 <button type="submit" id="inspect">{{ t("inspect") }}</button></form>
<h2>{{ t("readers") }}</h2>
<ul id="readers">{% for reader in readers %}<li>{{ reader.name }}:
 {% if reader.card == "?" %}{{ t("unknown_card") }}{% elif reader.card %}{{ t("card_in") }}
 {{ reader.card }}{% else %}{{ t("empty") }}{% endif %}</li>
{% else %}<li>{{ t("no_readers") }}</li>{% endfor %}</ul>
{% endblock %}"""

WHO = """{% if session.kind == "pin_unblock" %}<p>{{ t("unblock_for") }}
 <strong id="holder">{{ session.holder_name }}</strong>. {{ t("own_card") }}
 <strong>{{ session.serial }}</strong>.</p>{% else %}<p>{{ t("for") }}
 <strong id="holder">{{ session.holder_name }}</strong>. {{ t("blank") }}
 <strong>{{ session.serial }}</strong>.</p>{% endif %}"""

CHECK = """{% extends "page" %}{% block content %}
{% include "who" %}
<h2>{{ t("checking") }}</h2>
<p class="problem" id="problem">{{ problem }}</p>
<form method="post" action="/check?lang={{ lang }}">
 <button type="submit" id="recheck">{{ t("recheck") }}</button></form>
{% endblock %}"""

SECRETS = """{% extends "page" %}{% block content %}
{% include "who" %}
<h2>{{ t("choose") }}</h2>
{% if problem %}<p class="problem" id="problem">{{ problem }}</p>{% endif %}
<p>{{ t("rules") }}</p>
{% with action="/write", names=("pin", "pin_again", "puk", "puk_again"), button="make",
   label="make" %}{% include "secret_form" %}{% endwith %}
<p class="small">{{ t("secret_note") }}</p>
{% endblock %}"""

# PIN and PUK fields: hidden, digits only, 6 to 8, never filled back in
SECRET_FORM = """<form method="post" action="{{ action }}?lang={{ lang }}" autocomplete="off">
 {% for name in names %}
 <label>{{ t(name) }} <input type="password" name="{{ name }}" inputmode="numeric"
   pattern="[0-9]{6,8}" minlength="6" maxlength="8" required></label>{% endfor %}
 <button type="submit" id="{{ button }}">{{ t(label) }}</button>
</form>"""

UNBLOCK = """{% extends "page" %}{% block content %}
{% include "who" %}
<h2>{{ t("unblock_title") }}</h2>
{% if problem %}<p class="problem" id="problem">{{ problem }}</p>{% endif %}
<p>{{ t("unblock_intro") }}</p>
{% with action="/unblock", names=("puk", "new_pin", "new_pin_again"), button="unblock",
   label="unblock" %}{% include "secret_form" %}{% endwith %}
<p class="small">{{ t("secret_note") }}</p>
{% endblock %}"""

PIN = """{% extends "page" %}{% block content %}
<h2>{{ t("change_pin") }}</h2>
{% if problem %}<p class="problem" id="problem">{{ problem }}</p>{% endif %}
{% if changed %}<p class="done" id="done">{{ t("pin_changed") }}</p>
<p><a href="/?lang={{ lang }}" id="home">{{ t("home") }}</a></p>{% else %}
<p>{{ t("change_pin_intro") }}</p>
{% with action="/pin", names=("old_pin", "new_pin", "new_pin_again"), button="change",
   label="change" %}{% include "secret_form" %}{% endwith %}
<p class="small">{{ t("secret_note") }}</p>
<p><a href="/?lang={{ lang }}">{{ t("home") }}</a></p>{% endif %}
{% endblock %}"""

INSPECT = """{% extends "page" %}{% block content %}
<h2>{{ t("check_title") }}</h2>
{% if problem %}<p class="problem" id="problem">{{ problem }}</p>
{% elif facts.blank %}<p id="blank">{{ t("blank_card") }}</p>
{% else %}<table id="facts">
<tr><th>{{ t("serial") }}</th><td>{{ facts.serial }}</td></tr>
<tr><th>{{ t("holder") }}</th>
 <td id="holder">{{ facts.holder_name }} (UZI {{ facts.uzi_number }})</td></tr>
<tr><th>{{ t("status") }}</th><td id="status">{{ t("status_" + facts.status) }}{% if facts.reason %}
 ({{ facts.reason }}){% endif %}</td></tr>
{% if ends %}<tr><th>{{ t("valid_until") }}</th><td id="ends">{{ ends }}</td></tr>
<tr><th>{{ t("days_left") }}</th><td id="days-left">{{ facts.days_left }}</td></tr>{% endif %}
</table>
{% if facts.status == "active" and facts.days_left is not none and facts.days_left <= 90 %}
<p class="problem">{{ t("ends_soon") }}</p>{% endif %}{% endif %}
<form method="post" action="/inspect?lang={{ lang }}">
 <button type="submit" id="inspect">{{ t("inspect") }}</button></form>
<p><a href="/?lang={{ lang }}" id="home">{{ t("home") }}</a></p>
{% endblock %}"""

PROGRESS = """{% extends "page" %}{% block content %}
{% include "who" %}
{% if session.state == "done" and session.outcome %}<p class="{{ 'done' if session.outcome ==
 'unblocked' else 'problem' }}" id="done">{{ t(session.outcome) }}</p>
<form method="post" action="/forget?lang={{ lang }}"><button type="submit">OK</button></form>
{% elif session.state == "writing" %}<h2>{{ t("progress") }}</h2><p>{{ t("keep_in") }}</p>
<ol class="steps" id="steps">{% for step in steps %}
 <li class="{{ 'now' if step == session.step else ('past' if loop.index0 < current else '') }}"
   >{{ t("step_" + step) }}</li>{% endfor %}</ol>
{% elif session.state == "done" %}<p class="done" id="done">{{ t("done") }}
{% if ends %} {{ t("valid_until") }} {{ ends }}.{% endif %}</p><p>{{ t("done_next") }}</p>
<form method="post" action="/forget?lang={{ lang }}"><button type="submit">OK</button></form>
{% else %}<h2>{{ t("failed") }}</h2><p class="problem" id="problem">{{ problem }}</p>
<form method="post" action="/forget?lang={{ lang }}">
 <button type="submit" id="again">{{ t("again") }}</button></form>{% endif %}
{% endblock %}"""

TEMPLATES = Environment(loader=DictLoader({"page": PAGE, "start": START, "check": CHECK,
                                           "secrets": SECRETS, "progress": PROGRESS,
                                           "who": WHO, "unblock": UNBLOCK, "pin": PIN,
                                           "inspect": INSPECT,
                                           "secret_form": SECRET_FORM}),
                        autoescape=select_autoescape(default=True, default_for_string=True))


# what a person typed: a missing or odd field is the helper's to judge (with a message
# that says what to do), never a bare validation error
Typed = Annotated[str, Form()]


def language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"


def create_helper_app(helper: Helper, port: int) -> FastAPI:
    """The helper's pages for `helper`, to be served on 127.0.0.1:`port`."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    own_hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    own_origins = {f"http://{host}" for host in own_hosts}

    @app.middleware("http")
    async def only_our_pages(request: Request,
                             call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.headers.get("host", "") not in own_hosts:  # DNS rebinding
            return PlainTextResponse("not this host", status_code=421)
        origin = request.headers.get("origin")
        # another web site: a form must come from our own pages, and no request may name
        # a foreign origin
        if origin not in own_origins and (origin is not None or request.method != "GET"):
            return PlainTextResponse("not from this origin", status_code=403)
        response = await call_next(request)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'")
        response.headers["Cache-Control"] = "no-store"
        # same-origin: no-referrer would make the browser post our own forms as Origin null
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = language(request)
        texts = TEXTS[lang]
        html = TEMPLATES.get_template(name).render(
            lang=lang, other="en" if lang == "nl" else "nl",
            t=lambda key: texts.get(key, key), **context)
        return HTMLResponse(html, status_code=status)

    def say(request: Request, error: HelperError | None) -> str | None:
        if error is None:
            return None
        return problem(language(request), error.code, **error.values)

    def refused(request: Request, template: str, error: HelperError) -> Response:
        """The secrets' page again with what to change, while the session still waits for
        them; else the page the session is at now."""
        session = helper.current()
        if session is None or session.state != "ready":
            return back(request)
        return page(request, template, status=422, session=session,
                    problem=say(request, error))

    def back(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/?lang={language(request)}", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        session = helper.current()
        if session is None:
            return page(request, "start", readers=helper.reader_overview())
        if session.state == "checking":
            return page(request, "check", session=session, problem=say(request, session.error))
        if session.state == "ready":
            return page(request, "unblock" if session.kind == "pin_unblock" else "secrets",
                        session=session)
        ends = Formats(language(request)).long_day(session.ends_at) \
            if session.ends_at else None
        current = STEPS.index(session.step) if session.step in STEPS else 0
        return page(request, "progress", session=session, steps=STEPS, current=current,
                    refresh=session.state == "writing", ends=ends,
                    problem=say(request, session.error))

    @app.post("/pair")
    def pair(request: Request, code: Typed = "") -> Response:
        try:
            helper.pair(code)
        except HelperError as error:
            return page(request, "start", status=409, problem=say(request, error),
                        readers=helper.reader_overview())
        return back(request)

    @app.post("/check")
    def check(request: Request) -> Response:
        with contextlib.suppress(HelperError):  # no job: the start page says what to do
            helper.recheck()
        return back(request)

    @app.post("/write")
    def write(request: Request, pin: Typed = "",
              pin_again: Typed = "",
              puk: Typed = "",
              puk_again: Typed = "") -> Response:
        try:
            helper.start(pin, pin_again, puk, puk_again)
        except HelperError as error:
            return refused(request, "secrets", error)
        return back(request)

    @app.post("/unblock")
    def unblock(request: Request, puk: Typed = "",
                new_pin: Typed = "",
                new_pin_again: Typed = "") -> Response:
        try:
            helper.unblock(puk, new_pin, new_pin_again)
        except HelperError as error:
            return refused(request, "unblock", error)
        return back(request)

    @app.get("/pin", response_class=HTMLResponse)
    def pin_page(request: Request) -> HTMLResponse:
        return page(request, "pin")

    @app.post("/pin")
    def change_pin(request: Request, old_pin: Typed = "",
                   new_pin: Typed = "",
                   new_pin_again: Typed = "") -> Response:
        try:
            helper.change_pin(old_pin, new_pin, new_pin_again)
        except HelperError as error:
            return page(request, "pin", status=422, problem=say(request, error))
        return page(request, "pin", changed=True)

    @app.post("/inspect")
    def inspect(request: Request) -> Response:
        lang = language(request)
        try:
            facts = helper.inspect()
        except HelperError as error:
            return page(request, "inspect", status=409, problem=say(request, error), facts={})
        reason = facts.get("revocation_reason") or facts.get("suspension_reason")
        facts["reason"] = TEXTS_REASONS.get(lang, {}).get(reason, reason) if reason else None
        ends = Formats(lang).long_day(facts["expires_at"]) if facts.get("expires_at") \
            else None
        return page(request, "inspect", facts=facts, ends=ends)

    @app.post("/forget")
    def forget(request: Request) -> Response:
        helper.forget()
        return back(request)

    return app
