"""What the HTTP app is built from: the application, its read models, the token store,
the login checker, the card CA (when this server holds it) and the job-token secret."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

from adapters.bootstrap.card_ca import CardWorkshop
from adapters.bootstrap.logins import client_certificate_checker
from adapters.bootstrap.store import job_secret, open_lifecycle
from adapters.http.auth import AuthSettings
from adapters.http.tokens import TOKENS_FILE, TokenStore
from adapters.http.views import Views
from adapters.settings import DEFAULT_CARD_CA_OID, Settings
from domain.application import CardLifecycle
from domain.clock import Clock, SystemClock


@dataclass(frozen=True)
class AppParts:
    settings: Settings
    lifecycle: CardLifecycle
    views: Views
    tokens: TokenStore
    auth: AuthSettings
    workshop: CardWorkshop | None
    job_secret: bytes = field(repr=False)


def app_parts(settings: Settings, clock: Clock | None = None,
              workshop: CardWorkshop | None = None,
              extra_anchors: list[x509.Certificate] | None = None) -> AppParts:
    """The parts of the API and portal on the store and views of `settings`. With a
    `workshop` (our card CA) ZORG-ID cards log in too."""
    card_ca = workshop.certificate if workshop else None
    card_ca_oid = workshop.ca_oid if workshop else DEFAULT_CARD_CA_OID
    lifecycle = open_lifecycle(settings, clock=clock or SystemClock())
    try:
        return AppParts(
            settings=settings,
            lifecycle=lifecycle,
            views=Views(lifecycle, settings.views_path),
            tokens=TokenStore(settings.data_dir / TOKENS_FILE),
            auth=AuthSettings.of(settings.client_cert_header, settings.trusted_proxies,
                                 client_certificate_checker(settings, card_ca, card_ca_oid,
                                                            extra_anchors)),
            workshop=workshop,
            job_secret=job_secret(settings),
        )
    except BaseException:
        lifecycle.close()
        raise
