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
from adapters.workstation.texts import TEXTS, problem

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
<h2>{{ t("readers") }}</h2>
<ul id="readers">{% for reader in readers %}<li>{{ reader.name }}:
 {% if reader.card == "?" %}{{ t("unknown_card") }}{% elif reader.card %}{{ t("card_in") }}
 {{ reader.card }}{% else %}{{ t("empty") }}{% endif %}</li>
{% else %}<li>{{ t("no_readers") }}</li>{% endfor %}</ul>
{% endblock %}"""

CHECK = """{% extends "page" %}{% block content %}
<p>{{ t("for") }} <strong id="holder">{{ session.holder_name }}</strong>.
 {{ t("blank") }} <strong>{{ session.serial }}</strong>.</p>
<h2>{{ t("checking") }}</h2>
<p class="problem" id="problem">{{ problem }}</p>
<form method="post" action="/check?lang={{ lang }}">
 <button type="submit" id="recheck">{{ t("recheck") }}</button></form>
{% endblock %}"""

SECRETS = """{% extends "page" %}{% block content %}
<p>{{ t("for") }} <strong id="holder">{{ session.holder_name }}</strong>.
 {{ t("blank") }} <strong>{{ session.serial }}</strong>.</p>
<h2>{{ t("choose") }}</h2>
{% if problem %}<p class="problem" id="problem">{{ problem }}</p>{% endif %}
<p>{{ t("rules") }}</p>
<form method="post" action="/write?lang={{ lang }}" autocomplete="off">
 {% for name in ("pin", "pin_again", "puk", "puk_again") %}
 <label>{{ t(name) }} <input type="password" name="{{ name }}" inputmode="numeric"
   pattern="[0-9]{6,8}" minlength="6" maxlength="8" required></label>{% endfor %}
 <button type="submit" id="make">{{ t("make") }}</button>
</form>
<p class="small">{{ t("secret_note") }}</p>
{% endblock %}"""

PROGRESS = """{% extends "page" %}{% block content %}
<p>{{ t("for") }} <strong id="holder">{{ session.holder_name }}</strong>.
 {{ t("blank") }} <strong>{{ session.serial }}</strong>.</p>
{% if session.state == "writing" %}<h2>{{ t("progress") }}</h2><p>{{ t("keep_in") }}</p>
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
                                           "secrets": SECRETS, "progress": PROGRESS}),
                        autoescape=select_autoescape(default=True, default_for_string=True))


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
            return page(request, "secrets", session=session)
        ends = Formats(language(request)).long_day(session.ends_at) \
            if session.ends_at else None
        current = STEPS.index(session.step) if session.step in STEPS else 0
        return page(request, "progress", session=session, steps=STEPS, current=current,
                    refresh=session.state == "writing", ends=ends,
                    problem=say(request, session.error))

    @app.post("/pair")
    def pair(request: Request, code: Annotated[str, Form(max_length=32)]) -> Response:
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
    def write(request: Request, pin: Annotated[str, Form(max_length=16)],
              pin_again: Annotated[str, Form(max_length=16)],
              puk: Annotated[str, Form(max_length=16)],
              puk_again: Annotated[str, Form(max_length=16)]) -> Response:
        try:
            helper.start(pin, pin_again, puk, puk_again)
        except HelperError as error:
            session = helper.current()
            if session is None or session.state != "ready":
                return back(request)
            return page(request, "secrets", status=422, session=session,
                        problem=say(request, error))
        return back(request)

    @app.post("/forget")
    def forget(request: Request) -> Response:
        helper.forget()
        return back(request)

    return app
