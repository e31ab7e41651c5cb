"""What `zorgid serve` and `zorgid tokens` are handed: the app and the token store."""

from __future__ import annotations

from fastapi import FastAPI

from adapters.bootstrap.card_ca import CardWorkshop
from adapters.http.app import create_app
from adapters.http.tokens import TOKENS_FILE, TokenStore
from adapters.settings import ConfigurationError, Settings
from domain.clock import SystemClock


def token_store(settings: Settings) -> TokenStore:
    if not settings.data_dir.is_dir():
        raise ConfigurationError(f"no data directory at {settings.data_dir}")
    return TokenStore(settings.data_dir / TOKENS_FILE)


def create_token(settings: Settings, role: str, label: str = "") -> str:
    """A new service token for `role` (stored hashed), to print once."""
    return token_store(settings).create(role, label)


def server_app(settings: Settings, dev: bool) -> FastAPI:
    """The API and portal `zorgid serve` runs: with the data directory's card CA when
    ZORGID_CA_PASSPHRASE opens it, with a demo card CA under --dev."""
    workshop: CardWorkshop | None
    if dev:  # a demo card CA, so the CRL and remote personalisation work in the demo too
        workshop = CardWorkshop.for_demo(settings, SystemClock().now())
    else:
        workshop = CardWorkshop.open(settings)
    return create_app(settings, workshop=workshop, dev=dev)
