"""The card CA as a server or a workstation holds it: its key (PEM today, an HSM later),
the cards' master secret, the CRL it publishes and the personalisation it signs for."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.bootstrap.store import create_master_secret, read_master_secret
from adapters.pki.ca import KEY_FILE, REASONS, CardCA, crl_entries_of
from adapters.pki.card_keys import management_key, supplier_secret
from adapters.pki.certificates import Publication
from adapters.pki.ocsp import Lookup, OcspResponder, Status
from adapters.secrets import create_secret_file
from adapters.settings import ConfigurationError, Settings
from domain.application import CardLifecycle
from domain.errors import DomainError
from domain.personalisation import Personalisation


def ca_passphrase(settings: Settings) -> bytes:
    value = settings.ca_passphrase
    if not value:
        raise ConfigurationError("set ZORGID_CA_PASSPHRASE to open the card CA's key")
    return value.encode()


DEMO_CA_PASSPHRASE = b"zorgid demo only"
DEMO_MARKER = "DEMO"  # beside a demo card CA: never loaded outside --dev


MIN_PASSPHRASE = 12  # characters: the key file may be copied, the passphrase guards it


def create_card_ca(settings: Settings, now: dt.datetime) -> bool:
    """`zorgid ca init`: a new card CA (its key under ZORGID_CA_PASSPHRASE), unless the
    data directory has one, which must then open with the passphrase; False when it had."""
    passphrase = ca_passphrase(settings)
    if (settings.ca_dir / KEY_FILE).exists():
        card_authority(settings)  # says so when it does not open with this passphrase
        return False
    if len(passphrase.decode()) < MIN_PASSPHRASE:
        raise ConfigurationError(f"ZORGID_CA_PASSPHRASE is shorter than {MIN_PASSPHRASE} "
                                 "characters; choose a longer one for the card CA's key",
                                 "passphrase_too_short")
    CardCA.create(settings.ca_dir, passphrase, now)
    return True


def publication_of(settings: Settings) -> Publication:
    """What the card CA writes into certificates for relying parties to follow."""
    return Publication.at(settings.public_url, settings.cps_url, settings.policy_notice)


def card_authority(settings: Settings) -> CardCA:
    """The data directory's card CA, opened with ZORGID_CA_PASSPHRASE."""
    if not (settings.ca_dir / KEY_FILE).exists():
        raise ConfigurationError(f"no card CA in {settings.ca_dir}; create it with: "
                                 f"zorgid ca init --data-dir {settings.data_dir}", "no_card_ca")
    passphrase = ca_passphrase(settings)
    try:
        return CardCA.load(settings.ca_dir, passphrase, settings.card_ca_oid,
                           publication_of(settings))
    except DomainError as error:
        if error.code != "ca_key_unreadable":
            raise
        raise ConfigurationError(f"the card CA in {settings.ca_dir} does not open with this "
                                 "ZORGID_CA_PASSPHRASE; use the one it was made with",
                                 "wrong_ca_passphrase") from None


def export_supplier_secret(settings: Settings, out: Path) -> bool:
    """Write what the card supplier sets blank cards' management keys from
    (`card_keys.py`) to a new file `out`, mode 0600; False when `out` exists."""
    secret = supplier_secret(read_master_secret(settings))
    return create_secret_file(out, (secret.hex() + "\n").encode())


def blank_card_key(settings: Settings, serial: str) -> bytes:
    """The management key a blank card with this serial comes with."""
    return management_key(read_master_secret(settings), serial, False)


def write_crl(authority: CardCA, rows: list[dict[str, str]], now: dt.datetime,
              out: Path) -> None:
    """The CRL (DER) for rows of the certificates view, replacing `out` whole: readers
    never see half a list."""
    crl = authority.crl(crl_entries_of(rows), now)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    os.replace(temporary, out)


@dataclass(frozen=True)
class CardWorkshop:
    """What a server holds of the card CA: it publishes the CRL, and, with the master
    secret, lets remote reader agents write cards (per-card management keys and
    certificates). Wired here so the HTTP adapter needs neither the PKI nor the reader
    adapter."""

    authority: CardCA
    master_secret: bytes | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, ca_oid: str | None = None) -> CardWorkshop | None:
        """The card CA of the data directory when ``ZORGID_CA_PASSPHRASE`` opens it, with
        the master secret when there is one; None when this server holds no card CA."""
        if not settings.ca_passphrase or \
                not (settings.ca_dir / KEY_FILE).exists():
            return None
        if (settings.ca_dir / DEMO_MARKER).exists():
            raise ConfigurationError(f"the card CA in {settings.ca_dir} was made for a demo "
                                     "(its passphrase is public); it serves --dev only")
        return cls._load(settings, ca_passphrase(settings), ca_oid)

    @classmethod
    def for_demo(cls, settings: Settings, now: dt.datetime) -> CardWorkshop:
        """A card CA and master secret for a demo data directory, made on first use with
        a passphrase that is no secret (``ZORGID_CA_PASSPHRASE`` when set): never for
        real cards."""
        passphrase = (settings.ca_passphrase or "").encode() or DEMO_CA_PASSPHRASE
        if not (settings.ca_dir / KEY_FILE).exists():
            CardCA.create(settings.ca_dir, passphrase, now)
            (settings.ca_dir / DEMO_MARKER).write_text("made by zorgid serve --dev\n")
        create_master_secret(settings.master_key_path)
        return cls._load(settings, passphrase, None)

    @classmethod
    def _load(cls, settings: Settings, passphrase: bytes, ca_oid: str | None) -> CardWorkshop:
        ca_oid = ca_oid or settings.card_ca_oid
        authority = CardCA.load(settings.ca_dir, passphrase, ca_oid, publication_of(settings))
        secret = read_master_secret(settings) if settings.master_key_path.exists() else None
        return cls(authority, secret)

    @property
    def certificate(self) -> x509.Certificate:
        return self.authority.certificate

    @property
    def ca_oid(self) -> str:
        return str(self.authority.ca_oid)

    def keys(self, serial: str, blank_length: int = 16) -> tuple[bytes, bytes]:
        """The card's blank management key (of the length its algorithm wants) and the
        personalised one (AES-128) it gets when sealed."""
        if self.master_secret is None:
            raise ConfigurationError("this server holds no card master secret, so it cannot "
                                     "hand out management keys")
        return (management_key(self.master_secret, serial, False, blank_length),
                management_key(self.master_secret, serial, True))

    def personalisation(self, lifecycle: CardLifecycle) -> Personalisation[x509.Certificate]:
        """The application's personalisation, signing with this card CA."""
        return Personalisation(lifecycle, self.authority)

    def certify(self, lifecycle: CardLifecycle, card_id: UUID, job_id: UUID,
                authentication_key: object, signature_key: object
                ) -> tuple[x509.Certificate, x509.Certificate]:
        """A personalising card's two certificates for the public keys its chip
        generated, valid exactly as long as the card will be (R4), recorded."""
        issued = self.personalisation(lifecycle).certify(card_id, job_id, authentication_key,
                                                         signature_key)
        return issued.authentication, issued.signature

    def ocsp(self, request: bytes, lookup: Lookup, now: dt.datetime) -> bytes:
        """The OCSP response (DER) to a request (DER), from a delegated responder made on
        first use and again a day before its certificate ends."""
        responder = self.__dict__.get("_ocsp")
        if responder is None or now > responder.certificate.not_valid_after_utc \
                - dt.timedelta(days=1):
            responder = OcspResponder(self.authority, now)
            self.__dict__["_ocsp"] = responder  # a frozen dataclass: its cache, not a field
        return bytes(responder.answer(request, lookup, now))

    def ocsp_status(self, row: dict[str, str] | None) -> Status:
        """A row of the certificates view as OCSP says it."""
        if row is None:
            return Status("unknown")
        if row["status"] in ("issued", "active"):
            return Status("good")
        since = dt.datetime.fromisoformat(row["since"])
        if row["status"] == "on_hold":
            return Status("on_hold", since)
        return Status("revoked", since, REASONS.get(row["reason"] or "",
                                                    x509.ReasonFlags.unspecified))

    def crl(self, rows: list[dict[str, str]], now: dt.datetime) -> bytes:
        """The CRL (DER) for rows of the certificates view."""
        return bytes(self.authority.crl(crl_entries_of(rows), now)
                     .public_bytes(serialization.Encoding.DER))
