"""The card CA as a server or a workstation holds it: its key (a PEM file, or a key in
a PKCS #11 token), the cards' master secret, the CRL it publishes and the
personalisation it signs for."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.bootstrap.store import create_master_secret, read_master_secret
from adapters.pki.ca import (
    CERT_FILE,
    KEY_FILE,
    PKCS11_FILE,
    REASONS,
    CardCA,
    Hierarchy,
    PemSigner,
    Signer,
    crl_entries_of,
    import_issuing_ca,
    make_hierarchy,
)
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


def has_card_ca(settings: Settings) -> bool:
    directory = settings.ca_dir
    return (directory / CERT_FILE).exists() and (
        (directory / KEY_FILE).exists() or (directory / PKCS11_FILE).exists())


def in_token(settings: Settings) -> bool:
    return (settings.ca_dir / PKCS11_FILE).exists()


def _checked_passphrase(settings: Settings) -> bytes:
    passphrase = ca_passphrase(settings)
    if len(passphrase.decode()) < MIN_PASSPHRASE:
        raise ConfigurationError(f"ZORGID_CA_PASSPHRASE is shorter than {MIN_PASSPHRASE} "
                                 "characters; choose a longer one for the card CA's key",
                                 "passphrase_too_short")
    return passphrase


def token_signer(settings: Settings, module: str, token_label: str, key_label: str,
                 key_type: str, generate: bool) -> Signer:
    """The card CA's key in a PKCS #11 token: made there (`generate`), or one the token
    already holds; recorded beside the CA certificate (without the PIN)."""
    from adapters.pki.hsm import Pkcs11Signer, TokenKey

    where = TokenKey(module, token_label, key_label)
    signer = (Pkcs11Signer.generate(where, settings.pkcs11_pin, key_type) if generate
              else Pkcs11Signer.open(where, settings.pkcs11_pin))
    settings.ca_dir.mkdir(parents=True, exist_ok=True)
    where.write(settings.ca_dir / PKCS11_FILE)
    return signer


def create_card_ca(settings: Settings, now: dt.datetime, key_type: str = "rsa",
                   token: tuple[str, str, str] | None = None) -> Hierarchy | None:
    """`zorgid ca init`: a new two-level hierarchy (root, card CA), the root's key under
    ZORGID_CA_PASSPHRASE for offline storage and the card CA's key either beside it or
    made in the PKCS #11 token `token` (module, token label, key label); None when the
    data directory has a card CA, which must then open."""
    if has_card_ca(settings):
        card_authority(settings)  # says so when it does not open
        return None
    passphrase = _checked_passphrase(settings)
    signer = token_signer(settings, *token, key_type, generate=True) if token else None
    return make_hierarchy(settings.ca_dir, passphrase, now, key_type=key_type,
                          ca_oid=settings.card_ca_oid, signer=signer)


def import_card_ca(settings: Settings, certificate_file: Path, chain_file: Path,
                   key_file: Path | None, token: tuple[str, str, str] | None,
                   now: dt.datetime) -> CardCA:
    """`zorgid ca import`: an issuing CA made elsewhere becomes the card CA. Its key is a
    PEM file encrypted with ZORGID_CA_PASSPHRASE (stored so, beside the certificate), or
    a key the PKCS #11 token `token` already holds."""
    from adapters.bootstrap.logins import load_certificates

    if has_card_ca(settings):
        raise ConfigurationError(f"{settings.ca_dir} already has a card CA; import into a new "
                                 "data directory", "card_ca_exists")
    certificate = load_certificates(certificate_file)[0]
    chain = load_certificates(chain_file)
    chain = [c for c in chain if c != certificate]
    signer: Signer
    passphrase = None
    if token is not None:
        signer = token_signer(settings, *token, "rsa", generate=False)
    elif key_file is not None:
        passphrase = _checked_passphrase(settings)
        try:
            signer = PemSigner.load(key_file, passphrase)
        except OSError as error:
            raise ConfigurationError(f"cannot read {key_file}: {error.strerror}") from None
        except DomainError:
            raise ConfigurationError(f"{key_file} does not open with ZORGID_CA_PASSPHRASE; "
                                     "encrypt it with that passphrase first "
                                     "(openssl pkcs8 -topk8 -v2 aes-256-cbc)",
                                     "wrong_ca_passphrase") from None
    else:
        raise ConfigurationError("give the issuing CA's key: --key FILE or --pkcs11-module",
                                 "no_ca_key")
    try:
        return import_issuing_ca(settings.ca_dir, certificate, chain, signer, passphrase, now)
    except DomainError:
        (settings.ca_dir / PKCS11_FILE).unlink(missing_ok=True)
        raise


def publication_of(settings: Settings) -> Publication:
    """What the card CA writes into certificates for relying parties to follow."""
    return Publication.at(settings.public_url, settings.cps_url, settings.policy_notice)


def card_authority(settings: Settings) -> CardCA:
    """The data directory's card CA: its key opened with ZORGID_CA_PASSPHRASE, or in its
    token with ZORGID_PKCS11_PIN."""
    if not has_card_ca(settings):
        raise ConfigurationError(f"no card CA in {settings.ca_dir}; create it with: "
                                 f"zorgid ca init --data-dir {settings.data_dir}", "no_card_ca")
    passphrase = None if in_token(settings) else ca_passphrase(settings)
    try:
        return CardCA.load(settings.ca_dir, passphrase, settings.card_ca_oid,
                           publication_of(settings), settings.policy_oids,
                           settings.pkcs11_pin)
    except DomainError as error:
        if error.code != "ca_key_unreadable":
            raise ConfigurationError(error.message, error.code) from None
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
    def open(cls, settings: Settings) -> CardWorkshop | None:
        """The card CA of the data directory when ``ZORGID_CA_PASSPHRASE`` opens it, with
        the master secret when there is one; None when this server holds no card CA."""
        if not has_card_ca(settings) or not (settings.ca_passphrase or in_token(settings)):
            return None
        if (settings.ca_dir / DEMO_MARKER).exists():
            raise ConfigurationError(f"the card CA in {settings.ca_dir} was made for a demo "
                                     "(its passphrase is public); it serves --dev only")
        return cls._load(settings, None)

    @classmethod
    def for_demo(cls, settings: Settings, now: dt.datetime) -> CardWorkshop:
        """A card CA and master secret for a demo data directory, made on first use with
        a passphrase that is no secret (``ZORGID_CA_PASSPHRASE`` when set): never for
        real cards."""
        passphrase = (settings.ca_passphrase or "").encode() or DEMO_CA_PASSPHRASE
        if not has_card_ca(settings):
            CardCA.create(settings.ca_dir, passphrase, now)
            (settings.ca_dir / DEMO_MARKER).write_text("made by zorgid serve --dev\n")
        create_master_secret(settings.master_key_path)
        return cls._load(settings, passphrase)

    @classmethod
    def _load(cls, settings: Settings, passphrase: bytes | None) -> CardWorkshop:
        if passphrase is None:
            authority = card_authority(settings)
        else:
            authority = CardCA.load(settings.ca_dir, passphrase, settings.card_ca_oid,
                                    publication_of(settings), settings.policy_oids,
                                    settings.pkcs11_pin)
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
                authentication_key: object, signature_key: object,
                confidentiality_key: object = None) -> list[x509.Certificate]:
        """A personalising card's certificates for the public keys its chip generated,
        valid exactly as long as the card will be (R4), recorded."""
        issued = self.personalisation(lifecycle).certify(card_id, job_id, authentication_key,
                                                         signature_key, confidentiality_key)
        return [issued.authentication, issued.signature,
                *([issued.confidentiality] if issued.confidentiality else [])]

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
