"""Backups of a live deployment, and restoring one.

Copying ``events.sqlite3`` while servers write to it loses whatever sits in the
write-ahead log (272 events in one try here), and ``audit verify`` cannot notice when
the lost events came after the last seal. So a backup:

1. seals the hash chain up to the head first (when the deployment seals at all), so the
   chain in the backup covers every event the backup holds, and
2. takes the store with ``VACUUM INTO``, one consistent snapshot taken inside a read
   transaction while writers go on, then the chain the same way, and
3. copies the deployment's files (keys, tokens, the card CA) and writes a manifest with
   each file's SHA-256 and the last position the snapshot holds.

A restore checks the manifest, refuses a data directory that holds anything, puts the
files in place (mode 0600), checks that the store holds exactly positions 1 to that
position and that every event decrypts with the restored key, and builds the views.
With PostgreSQL the events are backed up with PostgreSQL's own tools (``pg_dump``); the
backup then holds the deployment's files only, and says so in its manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from adapters.audit import seal as sealing
from adapters.bootstrap import JOB_SECRET_FILE, open_lifecycle
from adapters.http.tokens import TOKENS_FILE
from adapters.secrets import create_secret_file
from adapters.settings import EVENTS_FILE, KEY_FILE, PERSONAL_IDS_FILE, Settings
from domain.errors import DomainError, RuleViolation
from projections.runner import ApplicationSource, build_fresh, private_database_file

MANIFEST = "backup.json"
FORMAT = 1
# The deployment's files in the data directory: the same on every node (docs/operations.md)
DEPLOYMENT_FILES = (KEY_FILE, PERSONAL_IDS_FILE, JOB_SECRET_FILE, TOKENS_FILE,
                    sealing.PRIVATE_KEY_FILE, sealing.PUBLIC_KEY_FILE, "uzi-trust.pem")
DATABASES = (EVENTS_FILE, sealing.AUDIT_FILE)


class BackupError(DomainError):
    pass


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    store: str  # "sqlite" or "postgresql"
    position: int | None  # last position the backup holds (SQLite only)
    files: list[str]
    sealed: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _snapshot(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its WAL folded in)."""
    private_database_file(target)  # empty and 0600 first: VACUUM INTO fills it, never wider
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()


def backup(settings: Settings, out: Path, now: datetime) -> BackupResult:
    if out.exists() and any(out.iterdir()):
        raise RuleViolation("backup_target_not_empty",
                            f"{out} is not empty; back up into a new directory")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)
    files: list[str] = []
    position = None
    if not settings.database_url:
        _snapshot(settings.events_path, out / EVENTS_FILE)
        files.append(EVENTS_FILE)
        with sqlite3.connect(out / EVENTS_FILE) as conn:
            position = int(conn.execute(
                "SELECT coalesce(max(rowid), 0) FROM stored_events").fetchone()[0])
    if (settings.data_dir / sealing.AUDIT_FILE).exists():
        _snapshot(settings.data_dir / sealing.AUDIT_FILE, out / sealing.AUDIT_FILE)
        files.append(sealing.AUDIT_FILE)
    files += copy_deployment_files(settings, out)
    sealed = (settings.data_dir / sealing.PRIVATE_KEY_FILE).exists()
    if sealed:
        # Seal the chain up to exactly what the backup holds: the copy's own chain is
        # extended over the copy's own events (PostgreSQL: the live store's).
        sealed_store = settings if settings.database_url else replace(
            settings, data_dir=out, cipher_key=settings.resolved_cipher_key())
        app = open_lifecycle(sealed_store)
        try:
            sealing.seal(app.recorder, out if not settings.database_url
                         else settings.data_dir, now)
        finally:
            app.close()
        if settings.database_url:  # the chain as sealed now
            (out / sealing.AUDIT_FILE).unlink(missing_ok=True)
            _snapshot(settings.data_dir / sealing.AUDIT_FILE, out / sealing.AUDIT_FILE)
            if sealing.AUDIT_FILE not in files:
                files.append(sealing.AUDIT_FILE)
        elif sealing.AUDIT_FILE not in files:
            files.append(sealing.AUDIT_FILE)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "store": "postgresql" if settings.database_url else "sqlite",
        "position": position,
        "files": {name: _sha256(out / name) for name in files},
    }
    if settings.database_url:
        manifest["events"] = ("not in this backup: the events are in PostgreSQL; back them "
                              "up with pg_dump (docs/operations.md, 'Backup and restore')")
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return BackupResult(out, str(manifest["store"]), position, files, sealed)


def copy_deployment_files(settings: Settings, out: Path,
                          leave_out: frozenset[str] = frozenset()) -> list[str]:
    """The deployment's files (keys, tokens, the card CA) copied into `out`, mode 0600;
    the names, relative to `out`."""
    files = []
    for name in DEPLOYMENT_FILES:
        if name not in leave_out and (settings.data_dir / name).exists():
            _copy_private(settings.data_dir / name, out / name)
            files.append(name)
    if settings.master_key_path.exists():
        _copy_private(settings.master_key_path, out / "piv-master.key")
        files.append("piv-master.key")
    if settings.ca_dir.is_dir():
        for path in sorted(settings.ca_dir.rglob("*")):
            if path.is_file():
                relative = path.relative_to(settings.data_dir)
                (out / relative).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                _copy_private(path, out / relative)
                files.append(str(relative))
    return files


def _copy_private(source: Path, target: Path) -> None:
    if not create_secret_file(target, source.read_bytes()):
        raise RuleViolation("backup_target_not_empty", f"{target} exists")


@dataclass(frozen=True)
class RestoreResult:
    position: int | None
    files: list[str]
    views_events: int


def restore(source: Path, settings: Settings,
            progress: Callable[[int], None] | None = None) -> RestoreResult:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError("not_a_backup", f"{source} holds no readable {MANIFEST}; is it a "
                          "directory made by zorgid backup?") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("not_a_backup", f"{source} was made by another version "
                          f"(format {manifest.get('format')!r})")
    files: dict[str, str] = manifest["files"]
    for name, digest in files.items():
        path = source / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError("backup_damaged", f"{path} is missing or not the file that "
                              "was backed up; take an older backup")
    target = settings.data_dir
    if target.exists() and any(target.iterdir()):
        raise RuleViolation("restore_target_not_empty",
                            f"{target} is not empty; restore into a new data directory")
    if manifest["store"] == "sqlite" and settings.database_url:
        raise RuleViolation("restore_store_mismatch", "this backup holds a SQLite store; "
                            "unset ZORGID_DATABASE_URL to restore it")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.chmod(0o700)
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if name in DATABASES:
            private_database_file(destination)
            shutil.copyfile(source / name, destination)
        elif name == "piv-master.key":
            _copy_private(source / name, settings.master_key_path)
        else:
            _copy_private(source / name, destination)
    position = manifest.get("position")
    app = open_lifecycle(settings)
    try:
        if position is not None:
            head = app.head()
            count = sum(1 for _ in app.read_log())  # every event decrypts, or this raises
            if head != position or count != position:
                raise BackupError("backup_damaged", f"the restored store holds {count} events "
                                  f"up to position {head}, not 1 to {position}")
        views = build_fresh(settings.views_path, ApplicationSource(app), progress=progress)
    finally:
        app.close()
    return RestoreResult(position, list(files), views)
