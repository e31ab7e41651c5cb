"""The HTTP API and portal (FastAPI): this module only builds the app from what the
composition root gives it and includes the routers.

Dependencies are in `deps.py`, error mapping in `errors.py`, metrics in `metrics.py`,
the read models' access in `views.py`; routers never import this module or each other."""

from __future__ import annotations

from cryptography import x509
from fastapi import FastAPI

from adapters.bootstrap import (
    CardWorkshop,
    client_certificate_checker,
    job_secret,
    open_lifecycle,
)
from adapters.http import portal
from adapters.http.auth import AuthSettings
from adapters.http.errors import install_error_handlers
from adapters.http.limits import BodyGate
from adapters.http.metrics import CountRequests, Metrics
from adapters.http.routes import cards, jobs, practices, service
from adapters.http.tokens import TOKENS_FILE, TokenStore
from adapters.http.views import Views
from adapters.settings import DEFAULT_CARD_CA_OID, Settings
from domain.clock import Clock, SystemClock


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

    install_error_handlers(api)

    metrics = Metrics()
    api.state.metrics = metrics

    api.add_middleware(BodyGate, credential_headers=("authorization", api.state.auth.header,
                                                     "cookie"),
                       open_paths=frozenset({"/portal/dev-login"} if dev else ()))
    api.add_middleware(CountRequests, metrics=metrics)

    for router in (practices.router, cards.router, service.router, jobs.router,
                   portal.router):
        api.include_router(router)
    return api
