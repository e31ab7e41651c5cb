"""The store and the views from settings: opening them, binding the store to this
node's keys, and the per-deployment secrets (job tokens, cards' master secret)."""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

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
