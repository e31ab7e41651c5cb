"""The composition root: the one place that turns settings into concrete adapters.

`adapters/settings.py` reads the settings (the README's table lists them); this module
opens the store and the views, binds the store's key, and builds the card CA, the job
secret and the login checker from them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import InternalError, OperationalError
from sqlite_utils import Database

from adapters.secrets import create_secret_file, ensure_hex_secret, read_hex_secret
from adapters.settings import (
    ConfigurationError,
    Settings,
    postgres_env,
)
from adapters.store_identity import (
    NO_KEY,
    UUID5,
    PostgresFacts,
    SqliteFacts,
    StoreFacts,
    cipher_key_id,
    key_id,
)
from domain.application import CardLifecycle
from domain.base import PersonalIds
from domain.clock import Clock
from projections.runner import open_views, prepare_wal_file


def open_lifecycle(settings: Settings, clock: Clock | None = None) -> CardLifecycle:
    if not settings.database_url and not settings.data_dir.is_dir():
        raise ConfigurationError(
            f"no data directory at {settings.data_dir}; create it with: "
            f"zorgid init --data-dir {settings.data_dir}"
        )
    if not settings.database_url:
        prepare_wal_file(settings.events_path)
    for attempt in range(1, 6):
        try:
            app = CardLifecycle(
                env=settings.store_env(), clock=clock, pricing=settings.pricing,
                policy=settings.policy,
            )
            break
        except (InternalError, OperationalError) as error:
            # Processes starting together each run CREATE ... IF NOT EXISTS; PostgreSQL
            # can refuse one with "tuple concurrently updated". The other one won: retry.
            if attempt == 5 or "concurrently" not in str(error):
                raise
            time.sleep(0.05 * attempt)
    try:
        app.personal_ids = bind_store(settings, app)
    except BaseException:
        app.close()
        raise
    return app


def store_facts(settings: Settings) -> StoreFacts:
    if settings.database_url:
        env = postgres_env(settings.database_url)
        return PostgresFacts({"dbname": env["POSTGRES_DBNAME"], "host": env["POSTGRES_HOST"],
                              "port": int(env["POSTGRES_PORT"]), "user": env["POSTGRES_USER"],
                              "password": env["POSTGRES_PASSWORD"] or None,
                              "connect_timeout": 10}, env.get("POSTGRES_SCHEMA"))
    return SqliteFacts(str(settings.events_path))


def bind_store(settings: Settings, app: CardLifecycle) -> PersonalIds:
    """Check this process's keys against what the store recorded (recording them when the
    store is new) and return how the store derives ids of personal data."""
    facts = store_facts(settings)
    expected = cipher_key_id(settings.resolved_cipher_key())
    recorded = facts.get("cipher_key_id")
    if recorded is None:
        legacy = app.head() > 0  # a store from before keys were recorded
        if legacy:
            _check_key_reads(settings, app)
        ids_key = None if legacy else _personal_ids_key(settings)
        recorded = facts.claim("cipher_key_id", expected)
        facts.claim("personal_ids", UUID5 if ids_key is None
                    else f"hmac-sha256:{key_id(ids_key)}")
    if recorded != expected:
        raise _wrong_key(settings, recorded, expected)
    scheme = facts.get("personal_ids") or facts.claim("personal_ids", UUID5)
    if scheme == UUID5:
        return PersonalIds()
    ids_key = _personal_ids_key(settings)
    if ids_key is None or scheme != f"hmac-sha256:{key_id(ids_key)}":
        # Reading the log needs no such key (auditors' copies lack it); commands do.
        def refusal() -> Exception:
            return ConfigurationError(
                f"this store derives ids from a personal-ids key that "
                f"{settings.personal_ids_path} does not hold; copy personal-ids.key from the "
                "node that set the store up (docs/operations.md, 'A second node')",
                "wrong_personal_ids_key")
        return PersonalIds(refusal=refusal)
    return PersonalIds(ids_key)


def _personal_ids_key(settings: Settings) -> bytes | None:
    path = settings.personal_ids_path
    return read_hex_secret(path, 32) if path.exists() else None


def _check_key_reads(settings: Settings, app: CardLifecycle) -> None:
    from eventsourcing.persistence import MapperDeserialisationError

    try:
        next(iter(app.read_log(after=0, limit=1)), None)
    except MapperDeserialisationError:
        raise _wrong_key(settings, "unknown", cipher_key_id(settings.resolved_cipher_key())
                         ) from None


def _wrong_key(settings: Settings, recorded: str, expected: str) -> ConfigurationError:
    copy = ("copy cipher.key and personal-ids.key from the node that set the store up "
            "(docs/operations.md, 'A second node')")
    if recorded == NO_KEY:
        message = ("the store's events are not encrypted; a key cannot be added to it "
                   f"afterwards: remove {settings.key_path} (or ZORGID_CIPHER_KEY) to open it")
    elif expected == NO_KEY:
        message = f"the store's events are encrypted and this node has no key; {copy}"
    else:
        message = (f"this node's cipher key (id {expected[:8]}) is not the store's "
                   f"(id {recorded[:8]}); nothing was written with it; {copy}")
    return ConfigurationError(message, "wrong_cipher_key")


def demo_personal_ids_key(seed: int) -> bytes:
    """A demo's personal-ids key, from its seed: the same seed gives the same history,
    ids included. Demo data is public by nature; never use it for real people."""
    return hashlib.sha256(f"zorgid demo personal ids {seed}".encode()).digest()


def init_data_dir(settings: Settings, personal_ids_key: bytes | None = None) -> bool:
    """Create the data directory with a fresh key file readable by its owner only.

    Returns False when it was already initialised. Never replaces an existing key
    (that would make the stored events unreadable) and never adds a key to a store
    that already holds unencrypted events."""
    directory = settings.data_dir
    if directory.is_dir() and directory.stat().st_mode & 0o077:
        directory.chmod(0o700)  # keys and personal data inside: the owner's only
    if settings.resolved_cipher_key() is not None:
        open_lifecycle(settings).close()  # checks the key against the store
        return False
    if settings.database_url or settings.events_path.exists():
        recorded = store_facts(settings).get("cipher_key_id")
        if recorded not in (None, NO_KEY):
            raise ConfigurationError(
                "the store already has a cipher key, made by another node; a second node "
                "does not make its own: copy cipher.key, personal-ids.key and the other "
                "deployment files from the first (docs/operations.md, 'A second node')",
                "store_has_key")
        if recorded == NO_KEY or _holds_events(settings):
            raise ConfigurationError(
                "the store already holds events without encryption; a key cannot be added "
                "afterwards", "store_not_encrypted")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = AESCipher.create_key(num_bytes=32)
    # Two concurrent inits: one links its key into place, the other keeps it.
    made = create_secret_file(settings.key_path, (key + "\n").encode())
    ids_key = personal_ids_key or secrets.token_bytes(32)
    made_ids = create_secret_file(settings.personal_ids_path, (ids_key.hex() + "\n").encode())
    try:
        open_lifecycle(settings).close()  # records the key's id in the store
    except ConfigurationError:
        # Another node's init won the store a moment ago: ours must not stay behind.
        if made:
            settings.key_path.unlink(missing_ok=True)
        if made_ids:
            settings.personal_ids_path.unlink(missing_ok=True)
        raise
    return made


def _holds_events(settings: Settings) -> bool:
    app = CardLifecycle(env=settings.store_env())
    try:
        return bool(app.head() > 0)
    finally:
        app.close()


def open_views_db(settings: Settings, must_exist: bool = False) -> Database:
    """The read models' SQLite database (separate from the event store)."""
    if must_exist and not settings.views_path.exists():
        raise ConfigurationError(
            f"no read models at {settings.views_path}; build them with: "
            f"zorgid project --data-dir {settings.data_dir}"
        )
    if not settings.data_dir.is_dir():
        raise ConfigurationError(
            f"no data directory at {settings.data_dir}; create it with: "
            f"zorgid init --data-dir {settings.data_dir}"
        )
    return open_views(settings.views_path)


def create_master_secret(path: Path) -> bool:
    """The secret the cards' management keys derive from (HKDF over the serial); 0600."""
    if path.exists():
        return False
    return create_secret_file(path, (secrets.token_hex(32) + "\n").encode())


def read_master_secret(settings: Settings) -> bytes:
    return read_hex_secret(settings.master_key_path, 32,
                           f"create one with: zorgid ca init --data-dir {settings.data_dir}")


JOB_SECRET_FILE = "http-job.key"


def job_secret(settings: Settings) -> bytes:
    """The secret job tokens are HMACs under: one per deployment, made by the first
    process that needs it, refused when empty or short (an empty key makes every job
    token computable from public names)."""
    return ensure_hex_secret(settings.data_dir / JOB_SECRET_FILE)


def ca_passphrase(settings: Settings) -> bytes:
    value = settings.ca_passphrase
    if not value:
        raise ConfigurationError("set ZORGID_CA_PASSPHRASE to open the card CA's key")
    return value.encode()


DEMO_CA_PASSPHRASE = b"zorgid demo only"
DEMO_MARKER = "DEMO"  # beside a demo card CA: never loaded outside --dev


@dataclass(frozen=True)
class CardWorkshop:
    """What a server holds of the card CA: it publishes the CRL, and, with the master
    secret, lets remote reader agents write cards (per-card management keys and
    certificates). Wired here so the HTTP adapter needs neither the PKI nor the reader
    adapter."""

    authority: Any  # adapters.pki.ca.CardCA
    master_secret: bytes | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, ca_oid: str | None = None) -> CardWorkshop | None:
        """The card CA of the data directory when ``ZORGID_CA_PASSPHRASE`` opens it, with
        the master secret when there is one; None when this server holds no card CA."""
        from adapters.pki.ca import KEY_FILE

        if not settings.ca_passphrase or \
                not (settings.ca_dir / KEY_FILE).exists():
            return None
        if (settings.ca_dir / DEMO_MARKER).exists():
            raise ConfigurationError(f"the card CA in {settings.ca_dir} was made for a demo "
                                     "(its passphrase is public); it serves --dev only")
        return cls._load(settings, ca_passphrase(settings), ca_oid)

    @classmethod
    def for_demo(cls, settings: Settings, now: Any) -> CardWorkshop:
        """A card CA and master secret for a demo data directory, made on first use with
        a passphrase that is no secret (``ZORGID_CA_PASSPHRASE`` when set): never for
        real cards."""
        from adapters.pki.ca import KEY_FILE, CardCA

        passphrase = (settings.ca_passphrase or "").encode() or DEMO_CA_PASSPHRASE
        if not (settings.ca_dir / KEY_FILE).exists():
            CardCA.create(settings.ca_dir, passphrase, now)
            (settings.ca_dir / DEMO_MARKER).write_text("made by zorgid serve --dev\n")
        create_master_secret(settings.master_key_path)
        return cls._load(settings, passphrase, None)

    @classmethod
    def _load(cls, settings: Settings, passphrase: bytes, ca_oid: str | None) -> CardWorkshop:
        from adapters.pki.ca import CardCA

        ca_oid = ca_oid or settings.card_ca_oid
        authority = CardCA.load(settings.ca_dir, passphrase, ca_oid)
        secret = read_master_secret(settings) if settings.master_key_path.exists() else None
        return cls(authority, secret)

    @property
    def certificate(self) -> Any:
        return self.authority.certificate

    @property
    def ca_oid(self) -> str:
        return str(self.authority.ca_oid)

    def keys(self, serial: str) -> tuple[bytes, bytes]:
        from adapters.reader.personalise import management_key

        if self.master_secret is None:
            raise ConfigurationError("this server holds no card master secret, so it cannot "
                                     "hand out management keys")
        return (management_key(self.master_secret, serial, False),
                management_key(self.master_secret, serial, True))

    def issue(self, holder: Mapping[str, str], organisation: str, authentication_key: Any,
              signature_key: Any, not_before: Any, not_after: Any) -> tuple[Any, Any]:
        from adapters.pki.certificates import Holder

        return self.authority.issue(
            Holder(holder["uzi_number"], "N", holder["ura"], holder["role"], holder["agb"],
                   holder["given_name"], holder["surname"], organisation),
            authentication_key, signature_key, not_before, not_after)

    def certify(self, lifecycle: CardLifecycle, card_id: Any, job_id: Any,
                authentication_key: Any, signature_key: Any) -> tuple[Any, Any]:
        """Issue a personalising card's two certificates for the public keys its chip
        generated, valid exactly as long as the card will be (R4), and record them."""
        from cryptography.hazmat.primitives import serialization

        from domain.card import IssuedCertificate
        from domain.identity import Actor

        card = lifecycle.get_card(card_id)
        holder = card.holder or {}
        organisation = lifecycle.get_practice(holder["ura"]).name
        not_before, not_after = lifecycle.certificate_validity(card_id, job_id)
        authentication, signature = self.issue(holder, organisation, authentication_key,
                                               signature_key, not_before, not_after)
        issued = [IssuedCertificate.of(slot, c.serial_number,
                                       c.public_bytes(serialization.Encoding.DER),
                                       c.not_valid_after_utc)
                  for slot, c in (("9A", authentication), ("9C", signature))]
        lifecycle.record_certificates_issued(card_id, job_id, issued, not_before,
                                             Actor.system("card-ca"))
        return authentication, signature

    def crl(self, rows: list[dict[str, str]], now: Any) -> bytes:
        """The CRL (DER) for rows of the certificates view."""
        from cryptography.hazmat.primitives import serialization

        from adapters.pki.ca import crl_entries_of

        return bytes(self.authority.crl(crl_entries_of(rows), now)
                     .public_bytes(serialization.Encoding.DER))


def client_certificate_checker(settings: Settings, card_ca: Any | None, card_ca_oid: str,
                               extra_anchors: list[Any] | None = None) -> CertificateChecker:
    """The validator for people's client certificates: the UZI CAs of
    ``ZORGID_TRUST_ANCHORS`` (and any given), our card CA, ``ZORGID_UZI_CRLS``,
    production CA OIDs plus ``ZORGID_UZI_CA_OIDS`` and our own for card type N."""
    from cryptography import x509

    from adapters.pki.uzi import UziValidator

    anchors = list(extra_anchors or [])
    intermediates: list[Any] = []
    bundle = settings.trust_anchors_file
    if bundle:
        # Roots (self-signed) are trust anchors; the CA certificates under them in the
        # bundle complete chains, since a TLS proxy forwards the client's leaf only.
        for certificate in x509.load_pem_x509_certificates(bundle.read_bytes()):
            self_signed = certificate.issuer == certificate.subject
            (anchors if self_signed else intermediates).append(certificate)
    if card_ca is not None:
        anchors.append(card_ca)
    mapping = uzi_ca_oids(settings)
    mapping["N"].add(card_ca_oid)
    crl_files = list(settings.uzi_crl_files)

    def read_crls() -> list[Any]:
        lists = []
        for file in crl_files:
            data = file.read_bytes()
            lists.append(x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----")
                         else x509.load_der_x509_crl(data))
        return lists

    validator = UziValidator(anchors, intermediates, read_crls(), mapping, ("Z", "N"),
                             card_ca=card_ca, card_ca_oid=card_ca_oid if card_ca else None)
    return CertificateChecker(validator, crl_files, read_crls)


def uzi_ca_oids(settings: Settings) -> dict[str, set[str]]:
    """The CA OIDs accepted per card type: production's, and the configured extra ones."""
    from adapters.pki.uzi import PRODUCTION_CA_OIDS

    mapping: dict[str, set[str]] = {k: {v} for k, v in PRODUCTION_CA_OIDS.items()}
    for card_type, oid in settings.uzi_ca_oids:
        mapping.setdefault(card_type, set()).add(oid)
    return mapping


class CertificateChecker:
    """The verdict on a client certificate, with the CRL files read again whenever they
    changed (a job fetches the UZI-register's lists; one past its nextUpdate refuses
    logins). `generation()` changes with them, so cached verdicts end at once."""

    def __init__(self, validator: Any, crl_files: list[Path],
                 read_crls: Any) -> None:
        self.validator = validator
        self.crl_files = crl_files
        self.read_crls = read_crls
        self.seen = self.generation()

    def generation(self) -> tuple[tuple[int, int, int], ...]:
        stamps = []
        for file in self.crl_files:
            try:
                status = file.stat()
            except FileNotFoundError:
                stamps.append((0, 0, 0))
            else:
                stamps.append((status.st_mtime_ns, status.st_size, status.st_ino))
        return tuple(stamps)

    def __call__(self, certificate: Any, at: Any, chain: Any = ()) -> Any:
        current = self.generation()
        if current != self.seen:
            self.validator.crls, self.seen = self.read_crls(), current
        return self.validator.check(certificate, at, chain)
