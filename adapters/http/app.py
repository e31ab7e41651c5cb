"""The HTTP API (FastAPI): commands call the application, queries read the views.

Errors map to HTTP in one place (`_error`), with a stable `code` and a message a
person understands. The views are brought up to date before a query and after a
command, so a client reads its own writes."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from cryptography import x509
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.bootstrap import (
    CardWorkshop,
    client_certificate_checker,
    job_secret,
    open_lifecycle,
)
from adapters.http.auth import AuthSettings, Principal, Unauthenticated, authenticate
from adapters.http.limits import BodyGate
from adapters.http.tokens import TOKENS_FILE, TokenStore
from adapters.settings import DEFAULT_CARD_CA_OID, ConfigurationError, Settings
from domain.clock import Clock, SystemClock
from domain.errors import (
    ConcurrencyConflict,
    DomainError,
    InvalidValue,
    NotAllowed,
    NotFound,
    RuleViolation,
)
from projections.runner import ApplicationSource, Projector, open_views


class Unavailable(DomainError):
    """This server is not set up for the request (no card CA, no master secret)."""


STATUS = [(Unauthenticated, 401), (NotAllowed, 403), (NotFound, 404), (InvalidValue, 422),
          (RuleViolation, 409), (ConcurrencyConflict, 409), (ConfigurationError, 503),
          (Unavailable, 503)]


class Metrics:
    """Request counts and durations per route and status, in Prometheus text format."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.seconds: dict[tuple[str, str], float] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, route, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.seconds[(method, route)] = self.seconds.get((method, route), 0.0) + seconds

    def text(self, store_position: int, views_position: int) -> str:
        lines = ["# HELP zorgid_http_requests_total HTTP requests by route and status.",
                 "# TYPE zorgid_http_requests_total counter"]
        with self.lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'zorgid_http_requests_total{{method="{method}",route="{route}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP zorgid_http_request_seconds_total Time spent per route.",
                      "# TYPE zorgid_http_request_seconds_total counter"]
            for (method, route), seconds in sorted(self.seconds.items()):
                lines.append(f'zorgid_http_request_seconds_total{{method="{method}",'
                             f'route="{route}"}} {seconds:.6f}')
        lines += ["# HELP zorgid_store_position Last position in the event store.",
                  "# TYPE zorgid_store_position gauge", f"zorgid_store_position {store_position}",
                  "# HELP zorgid_views_position Position the read models have reached.",
                  "# TYPE zorgid_views_position gauge", f"zorgid_views_position {views_position}"]
        return "\n".join(lines) + "\n"


HTTP_ERRORS = {
    404: ("not_found", "there is nothing at this address; see /docs for the API's routes"),
    405: ("method_not_allowed", "this address does not take that method; see /docs"),
}

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class CountRequests:
    """ASGI middleware feeding Metrics: method, route template, status and duration."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")  # set by the router on the shared scope
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.metrics.observe(method, getattr(route, "path", "unmatched"), status,
                                 time.perf_counter() - started)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


class Views:
    """The read models: caught up under a lock (one writer at a time), read through a
    small pool of connections (opening one costs more than most queries)."""

    POOL = 16

    def __init__(self, app: Any, path: Path) -> None:
        self.app = app
        self.path = path
        self.lock = threading.Lock()
        self.writer = open_views(path)
        self.projector = Projector(self.writer)  # creates the tables once
        self.source = ApplicationSource(app)
        self.position = self.projector.position()
        self._idle: list[Database] = []
        self._idle_lock = threading.Lock()

    def behind(self) -> bool:
        """Whether the store holds events the views have not seen (one cheap query)."""
        return bool(self.app.head() > self.position)

    def catch_up(self) -> int:
        """Apply what the store has that the views have not; cheap when nothing is new."""
        with self.lock:
            if self.app.head() > self.projector.position():
                self.projector.run_until_caught_up(self.source)
            self.position = self.projector.position()
            return self.position

    @contextmanager
    def reader(self) -> Iterator[Database]:
        """A read connection for one request, returned to the pool afterwards. Reads in
        WAL mode see every committed write, so a client reads its own writes."""
        with self._idle_lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = open_views(self.path)
        try:
            yield db
        finally:
            with self._idle_lock:
                keep = len(self._idle) < self.POOL
                if keep:
                    self._idle.append(db)
            if not keep:
                db.conn.close()

    @contextmanager
    def current(self) -> Iterator[Database]:
        """A pooled read connection on views caught up with the store, for code that runs
        in a worker thread already (the `views` dependency does the same for routes)."""
        if self.behind():
            self.catch_up()
        with self.reader() as db:
            yield db


def create_app(settings: Settings, clock: Clock | None = None,
               workshop: CardWorkshop | None = None,
               extra_anchors: list[x509.Certificate] | None = None,
               dev: bool = False) -> FastAPI:
    """The API and portal on the store and views of `settings`. With a `workshop` (our
    card CA) the app also accepts ZORG-ID cards as client certificates, publishes the CRL
    and, when the workshop holds the master secret, serves remote personalisation jobs."""
    card_ca = workshop.certificate if workshop else None
    card_ca_oid = workshop.ca_oid if workshop else DEFAULT_CARD_CA_OID
    api = FastAPI(title="zorgid-cards", version="1",
                  description="Lifecycle of the ZORG-ID Smartcard")
    lifecycle = open_lifecycle(settings, clock=clock or SystemClock())
    api.state.lifecycle = lifecycle
    api.state.clock = lifecycle.clock
    api.state.settings = settings
    api.state.views = Views(lifecycle, settings.views_path)
    api.state.tokens = TokenStore(settings.data_dir / TOKENS_FILE)
    api.state.auth = AuthSettings.of(
        settings.client_cert_header, settings.trusted_proxies,
        client_certificate_checker(settings, card_ca, card_ca_oid, extra_anchors))
    api.state.workshop = workshop
    api.state.dev = dev
    api.state.job_secret = job_secret(settings)

    @api.exception_handler(DomainError)
    def domain_error(request: Request, error: DomainError) -> JSONResponse:
        status = next((s for kind, s in STATUS if isinstance(error, kind)), 409)
        return _error(status, error.code, error.message)

    @api.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Unknown routes and wrong methods answer in the API's own shape, too."""
        code, message = HTTP_ERRORS.get(error.status_code, ("http_error", str(error.detail)))
        response = _error(error.status_code, code, message)
        if error.headers:
            response.headers.update(error.headers)
        return response

    @api.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return _error(400, "malformed", "the request body is not valid JSON")
        fields = ", ".join(".".join(str(x) for x in p.get("loc", ())[1:]) or "body"
                           for p in problems)
        return _error(422, "invalid_field", f"check these fields: {fields}")

    metrics = Metrics()
    api.state.metrics = metrics

    api.add_middleware(BodyGate, credential_headers=("authorization", api.state.auth.header,
                                                     "cookie"),
                       open_paths=frozenset({"/portal/dev-login"} if dev else ()))
    api.add_middleware(CountRequests, metrics=metrics)

    from adapters.http.routes import cards, jobs, practices, service

    api.include_router(practices.router)
    api.include_router(cards.router)
    api.include_router(service.router)
    api.include_router(jobs.router)
    from adapters.http import portal

    api.include_router(portal.router)
    return api


# The dependencies below are coroutines on purpose: FastAPI runs a plain function
# dependency in the thread pool, one hand-over per dependency per request, which cost
# more than their work. They do little: a lookup on a pooled connection, a cached
# certificate verdict. Only catching up the views, when the store moved on, goes to a
# worker thread.

async def views(request: Request) -> AsyncIterator[Database]:
    state = request.app.state.views
    if state.behind():
        await run_in_threadpool(state.catch_up)
    with state.reader() as db:
        yield db


def principal(request: Request) -> Principal:
    """Who is calling, from the request alone (also used by the portal's pages)."""
    state = request.app.state

    def revoked(serial: str) -> bool:
        with state.views.current() as db:  # a card revoked a moment ago logs in no more
            row = db.conn.execute("SELECT status FROM card_certificates WHERE serial_number = ?",
                                  (serial,)).fetchone()
        return row is not None and row[0] != "active"

    if state.dev:
        from adapters.http.portal import dev_identity

        identity = dev_identity(request)
        if identity is not None:
            return Principal("person", uzi_pass=identity)
    return authenticate(request, state.auth, state.tokens, revoked)


async def authenticated(request: Request) -> Principal:
    return principal(request)


async def person(caller: Annotated[Principal, Depends(authenticated)]) -> Principal:
    if caller.kind != "person" or caller.uzi_pass is None:
        raise NotAllowed("person_required", "this is for people logged in with their card")
    return caller


def service_role(*roles: str):
    async def check(caller: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if caller.kind != "service" or caller.role not in roles:
            raise NotAllowed("service_token_required",
                             f"this needs a service token ({', '.join(roles)})")
        return caller
    return check


ViewsDb = Annotated[Database, Depends(views)]
Caller = Annotated[Principal, Depends(authenticated)]
PersonCaller = Annotated[Principal, Depends(person)]


def lifecycle(request: Request) -> Any:
    return request.app.state.lifecycle


def after_command(request: Request) -> None:
    request.app.state.views.catch_up()
