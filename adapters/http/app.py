"""The HTTP API and portal (FastAPI): this module only builds the app from the parts the
composition root makes (`adapters/bootstrap/web.py`) and includes the routers.

Dependencies are in `deps.py`, error mapping in `errors.py`, metrics in `metrics.py`,
the read models' access in `views.py`; routers never import this module or each other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cryptography import x509
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from adapters.bootstrap.card_ca import CardWorkshop
from adapters.bootstrap.web import AppParts, app_parts
from adapters.http import portal
from adapters.http.errors import install_error_handlers
from adapters.http.limits import BodyGate
from adapters.http.metrics import CountRequests, Metrics
from adapters.http.openapi import document
from adapters.http.routes import cards, jobs, pin_services, practices, service
from adapters.settings import Settings
from domain.clock import Clock

DESCRIPTION = """The lifecycle of the ZORG-ID Smartcard: practices and their managers, blank
card orders, an employee's own card, links to practices (both sides consent, R7), guest
use (gastgebruik), mandates (mandaat), suspension and revocation.

**Who is calling.** People log in with their UZI pass or ZORG-ID card: the TLS proxy in
front of this API verifies the client certificate and forwards it (PEM, URL-encoded) in
the `X-SSL-Client-Cert` header (scheme `clientCertificate`). Services (fulfilment,
billing, auditors, operators) send a bearer token (`serviceToken`, made with `zorgid
tokens create`); the reader agent sends its job's token (`jobToken`).

**Refusals** are `{"code": "...", "message": "..."}` with a stable English `code` and a
sentence for people; each operation lists the codes it can answer with."""


def create_app(settings: Settings, clock: Clock | None = None,
               workshop: CardWorkshop | None = None,
               extra_anchors: list[x509.Certificate] | None = None,
               dev: bool = False) -> FastAPI:
    """The API and portal on the store and views of `settings`. With a `workshop` (our
    card CA) the app also accepts ZORG-ID cards as client certificates, publishes the CRL
    and, when the workshop holds the master secret, serves remote personalisation jobs."""
    return build_app(app_parts(settings, clock, workshop, extra_anchors), dev)


def build_app(parts: AppParts, dev: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        # The server answers once its views hold the whole store; then a follower keeps
        # them up with what other nodes write (this node's writes project as they save).
        await run_in_threadpool(parts.views.catch_up)
        parts.views.start_following()
        yield
        parts.views.close()

    # /docs and /redoc with their scripts served from here: they work without internet
    api = FastAPIOffline(title="zorgid-cards", version="1", description=DESCRIPTION,
                         lifespan=lifespan,
                         # operationIds a generated client reads well: place_order, revoke
                         generate_unique_id_function=lambda route: route.name)
    api.state.lifecycle = parts.lifecycle
    api.state.clock = parts.lifecycle.clock
    api.state.settings = parts.settings
    api.state.views = parts.views
    api.state.tokens = parts.tokens
    api.state.auth = parts.auth
    api.state.workshop = parts.workshop
    api.state.dev = dev
    api.state.job_secret = parts.job_secret

    install_error_handlers(api)
    api.state.error_page = portal.error_page  # people under /portal get pages, not JSON

    metrics = Metrics()
    api.state.metrics = metrics

    api.add_middleware(BodyGate, credential_headers=("authorization", parts.auth.header,
                                                     "cookie"),
                       # relying parties ask OCSP without a credential of ours
                       # and the workstation helper brings only the pairing code, or
                       # the certificate of the card it checks
                       open_paths=frozenset({"/ocsp", "/v1/pairings", "/v1/card-checks",
                                             *({"/portal/dev-login"} if dev else ())}))
    api.add_middleware(CountRequests, metrics=metrics)

    for router in (practices.router, cards.router, service.router, jobs.router,
                   jobs.pairings, pin_services.router, portal.router):
        api.include_router(router)
    api.openapi = document(api)  # type: ignore[method-assign]  # schemes, codes, texts
    return api
