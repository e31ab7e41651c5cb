"""Every setting of zorgid as one value, read from the environment in one function.

`Settings.from_env` is the only code that reads ``ZORGID_*`` variables (the CLI's own
flags aside: ``--data-dir``, ``--bootstrap`` and the reader agent's ``--token`` take
theirs through click). Everything else receives a `Settings`; tests build one directly.
The README's settings table lists the variables, their defaults and their meaning.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from adapters.pki.ca import DEFAULT_CA_OID as DEFAULT_CARD_CA_OID
from domain.application import Policy
from domain.errors import DomainError
from domain.order import Pricing

CARD_KEY_TYPES = ("rsa2048", "p256")  # as adapters/reader/personalise.py names them
OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")
EVENTS_FILE = "events.sqlite3"
VIEWS_FILE = "views.sqlite3"
KEY_FILE = "cipher.key"
PERSONAL_IDS_FILE = "personal-ids.key"
DEFAULT_DATA_DIR = "./data"
DEFAULT_CERT_HEADER = "X-SSL-Client-Cert"


class ConfigurationError(DomainError):
    def __init__(self, message: str, code: str = "configuration_error") -> None:
        super().__init__(code, message)


DEFAULT_POLICY_NOTICE = ("ZORG-ID Smartcard: persoonsgebonden certificaat van een "
                         "zorgmedewerker; zie de CPS")
DEFAULT_INVOICE_SELLER = ("ZORG-ID Smartcard", "(set ZORGID_INVOICE_SELLER: address, KvK "
                          "and VAT number)")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    database_url: str | None = None
    cipher_key: str | None = field(default=None, repr=False)
    pricing: Pricing = field(default_factory=Pricing)
    policy: Policy = field(default_factory=Policy)
    # the card CA
    ca_passphrase: str | None = field(default=None, repr=False)
    card_ca_oid: str = DEFAULT_CARD_CA_OID
    card_key_type: str = "rsa2048"  # the keys a card makes: rsa2048 (as UZI) or p256
    policy_oids: tuple[str, str, str] | None = None  # default: the CA OID's .1, .2, .3
    pkcs11_pin: str | None = field(default=None, repr=False)  # the card CA key's token
    piv_master_key_file: Path | None = None  # default: piv-master.key in the data dir
    # validating UZI passes
    uzi_trust_file: Path | None = None  # default: uzi-trust.pem in the data dir
    uzi_crl_files: tuple[Path, ...] = ()
    uzi_ca_oids: tuple[tuple[str, str], ...] = ()  # (card type, OID), besides production
    # the HTTP server behind its TLS proxy
    trust_anchors_file: Path | None = None
    client_cert_header: str = DEFAULT_CERT_HEADER
    trusted_proxies: frozenset[str] = frozenset({"127.0.0.1"})
    # where relying parties find the CRL, OCSP and the CA certificate, and the policy
    public_url: str = ""
    cps_url: str = ""
    policy_notice: str = DEFAULT_POLICY_NOTICE
    # who sends the invoices: name, address, KvK and VAT number, one line each
    invoice_seller: tuple[str, ...] = DEFAULT_INVOICE_SELLER
    # reminders by e-mail (R17): smtp://[user@]host[:port] (STARTTLS when the server offers
    # it, required with ?starttls=required), smtps:// for TLS from the start
    smtp_url: str = field(default="", repr=False)
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "ZORG-ID Smartcard <noreply@zorgid.invalid>"
    smtp_ca_file: Path | None = None  # trust for the mail server's certificate, besides the OS's

    @classmethod
    def from_env(
        cls, data_dir: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        env = os.environ if environ is None else environ
        directory = Path(data_dir or env.get("ZORGID_DATA_DIR") or DEFAULT_DATA_DIR)
        try:
            pricing = Pricing(
                unit_price_cents=int(env.get("ZORGID_CARD_PRICE_CENTS", "7500")),
                shipping_cents=int(env.get("ZORGID_SHIPPING_CENTS", "695")),
                vat_rate_bp=int(env.get("ZORGID_VAT_RATE_BP", "2100")),
            )
        except ValueError:
            raise ConfigurationError(
                "ZORGID_CARD_PRICE_CENTS, ZORGID_SHIPPING_CENTS and ZORGID_VAT_RATE_BP "
                "must be whole numbers"
            ) from None
        exclusive = env.get("ZORGID_MANAGERS_HOLD_NO_CARD", "true").strip().lower()
        if exclusive not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigurationError("ZORGID_MANAGERS_HOLD_NO_CARD must be true or false")
        try:
            window = int(env.get("ZORGID_RENEWAL_WINDOW_DAYS", "90"))
            renewals = int(env.get("ZORGID_MAX_CARD_RENEWALS", "1"))
        except ValueError:
            raise ConfigurationError("ZORGID_RENEWAL_WINDOW_DAYS and ZORGID_MAX_CARD_RENEWALS "
                                     "must be whole numbers") from None
        if not 1 <= window <= 365 or not 0 <= renewals <= 10:
            raise ConfigurationError("ZORGID_RENEWAL_WINDOW_DAYS is 1 to 365 and "
                                     "ZORGID_MAX_CARD_RENEWALS 0 to 10")
        key_type = (env.get("ZORGID_CARD_KEY_TYPE") or "rsa2048").strip().lower()
        if key_type not in CARD_KEY_TYPES:
            raise ConfigurationError("ZORGID_CARD_KEY_TYPE must be rsa2048 or p256")
        policies = _items(env.get("ZORGID_POLICY_OIDS"))
        if policies and (len(policies) != 3 or not all(
                OID.fullmatch(oid) for oid in policies)):
            raise ConfigurationError("ZORGID_POLICY_OIDS must be three OIDs: authentication, "
                                     "signature, confidentiality (1.2.3.1,1.2.3.2,1.2.3.3)")
        oids = []
        for item in _items(env.get("ZORGID_UZI_CA_OIDS")):
            card_type, _, oid = item.partition("=")
            if not oid:
                raise ConfigurationError("ZORGID_UZI_CA_OIDS must look like N=oid,Z=oid")
            oids.append((card_type.strip().upper(), oid.strip()))
        return cls(
            data_dir=directory,
            database_url=env.get("ZORGID_DATABASE_URL") or None,
            cipher_key=env.get("ZORGID_CIPHER_KEY") or None,
            pricing=pricing,
            policy=Policy(managers_hold_no_card=exclusive in ("true", "1", "yes"),
                          renewal_window_days=window, max_card_renewals=renewals),
            ca_passphrase=_ca_passphrase(env),
            card_ca_oid=env.get("ZORGID_CARD_CA_OID") or DEFAULT_CARD_CA_OID,
            card_key_type=key_type,
            policy_oids=(policies[0], policies[1], policies[2]) if policies else None,
            pkcs11_pin=_secret(env, "ZORGID_PKCS11_PIN", "pkcs11-pin"),
            piv_master_key_file=_path(env.get("ZORGID_PIV_MASTER_KEY_FILE")),
            uzi_trust_file=_path(env.get("ZORGID_UZI_TRUST")),
            uzi_crl_files=tuple(Path(p) for p in _items(env.get("ZORGID_UZI_CRLS"))),
            uzi_ca_oids=tuple(oids),
            trust_anchors_file=_path(env.get("ZORGID_TRUST_ANCHORS")),
            client_cert_header=env.get("ZORGID_CLIENT_CERT_HEADER") or DEFAULT_CERT_HEADER,
            trusted_proxies=frozenset(_items(env.get("ZORGID_TRUSTED_PROXIES", "127.0.0.1"))),
            public_url=env.get("ZORGID_PUBLIC_URL", "").strip(),
            cps_url=env.get("ZORGID_CPS_URL", "").strip(),
            policy_notice=env.get("ZORGID_POLICY_NOTICE") or DEFAULT_POLICY_NOTICE,
            invoice_seller=tuple(line.strip() for line in env["ZORGID_INVOICE_SELLER"].split("|")
                                 if line.strip()) if env.get("ZORGID_INVOICE_SELLER")
            else DEFAULT_INVOICE_SELLER,
            smtp_url=env.get("ZORGID_SMTP_URL", "").strip(),
            smtp_password=_secret(env, "ZORGID_SMTP_PASSWORD", "smtp-password"),
            smtp_from=env.get("ZORGID_SMTP_FROM") or "ZORG-ID Smartcard <noreply@zorgid.invalid>",
            smtp_ca_file=_path(env.get("ZORGID_SMTP_CA_FILE")),
        )

    @property
    def events_path(self) -> Path:
        return self.data_dir / EVENTS_FILE

    @property
    def ca_dir(self) -> Path:
        return self.data_dir / "ca"

    @property
    def master_key_path(self) -> Path:
        return self.piv_master_key_file or self.data_dir / "piv-master.key"

    @property
    def uzi_trust_path(self) -> Path:
        return self.uzi_trust_file or self.data_dir / "uzi-trust.pem"

    @property
    def views_path(self) -> Path:
        return self.data_dir / VIEWS_FILE

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE

    @property
    def personal_ids_path(self) -> Path:
        return self.data_dir / PERSONAL_IDS_FILE

    def resolved_cipher_key(self) -> str | None:
        if self.cipher_key:
            return self.cipher_key
        if self.key_path.exists():
            key = self.key_path.read_text().strip()
            if not key:
                raise ConfigurationError(f"{self.key_path} is empty; restore the deployment's "
                                         "cipher key from its backup")
            return key
        return None

    def store_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for the configured store."""
        if self.database_url:
            env = postgres_env(self.database_url)
        else:
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.events_path),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        key = self.resolved_cipher_key()
        if key:
            # Personal data at rest: the library encrypts each event's state with
            # AES-GCM. Naming the topic avoids its pycryptodome default.
            env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
            env["CIPHER_KEY"] = key
        return env


def _items(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _ca_passphrase(env: Mapping[str, str]) -> str | None:
    """``ZORGID_CA_PASSPHRASE``, else the systemd credential ``ca-passphrase`` (a unit's
    ``LoadCredential=``), which keeps the passphrase out of the environment."""
    return _secret(env, "ZORGID_CA_PASSPHRASE", "ca-passphrase")


def _secret(env: Mapping[str, str], variable: str, credential: str) -> str | None:
    """A secret from its variable, else from the systemd credential of that name."""
    value = env.get(variable)
    if value:
        return value
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / credential).is_file():
        return (Path(credentials) / credential).read_text().rstrip("\n") or None
    return None


def postgres_env(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    if parsed.scheme not in ("postgresql", "postgres") or not parsed.path.strip("/"):
        raise ConfigurationError(
            "ZORGID_DATABASE_URL must look like postgresql://user@host:5432/database"
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parsed.path.strip("/")),
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }
    schema = parse_qs(parsed.query).get("schema")
    if schema:
        env["POSTGRES_SCHEMA"] = schema[0]
    return env
