"""A tamper-evident seal over the notification log.

A hash chain covers every stored event in log order:

    digest(n) = SHA-256(originator id, originator version, topic, stored state bytes)
    link(n)   = SHA-256(link(n-1), position n, digest(n))        link(0) = 32 zero bytes

The stored state bytes hold the event's timestamp and payload (encrypted with
AES-GCM when a key is configured), so the chain covers them without needing the
decryption key. Each `seal` extends the chain (kept in `audit.sqlite3`, apart from
the store) and signs checkpoints (the head, and every CHECKPOINT_EVERY positions)
with an Ed25519 key. `verify` recomputes the chain from the store alone and checks
it against the signed checkpoints with the public key only, so an auditor needs
neither the private key nor trust in the chain file.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder, Notification

from adapters.secrets import create_secret_file
from domain.errors import DomainError, NotFound
from projections.runner import private_database_file

AUDIT_FILE = "audit.sqlite3"
PRIVATE_KEY_FILE = "seal.key"
PUBLIC_KEY_FILE = "seal.pub"
CHECKPOINT_EVERY = 100_000
GENESIS = bytes(32)
SIGNATURE_CONTEXT = b"zorgid-seal-v1"
PAGE = 5_000


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def event_digest(notification: Notification) -> bytes:
    return hashlib.sha256(
        _field(str(notification.originator_id).encode())
        + struct.pack(">Q", notification.originator_version)
        + _field(notification.topic.encode())
        + _field(bytes(notification.state))
    ).digest()


def next_link(previous: bytes, position: int, digest: bytes) -> bytes:
    return hashlib.sha256(previous + struct.pack(">Q", position) + digest).digest()


def signed_message(position: int, link: bytes) -> bytes:
    return SIGNATURE_CONTEXT + struct.pack(">Q", position) + link


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError):
        raise NotFound("seal_key_not_found", f"no Ed25519 public key in {path}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise DomainError("invalid_seal_key", f"{path} is not an Ed25519 public key")
    return key


def load_or_create_private_key(directory: Path) -> tuple[Ed25519PrivateKey, bool]:
    path = directory / PRIVATE_KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise DomainError("invalid_seal_key", f"{path} is not an Ed25519 private key")
        return key, False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if not create_secret_file(path, pem):
        return load_or_create_private_key(directory)  # another seal made it a moment ago
    (directory / PUBLIC_KEY_FILE).write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, True


def open_chain(path: Path) -> sqlite3.Connection:
    private_database_file(path)
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS chain (position INTEGER PRIMARY KEY, "
                 "digest BLOB NOT NULL, link BLOB NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS chain_digest ON chain (digest)")
    conn.execute("CREATE TABLE IF NOT EXISTS checkpoints (position INTEGER PRIMARY KEY, "
                 "link BLOB NOT NULL, sealed_at TEXT NOT NULL, key_id TEXT NOT NULL, "
                 "signature BLOB NOT NULL)")
    return conn


class UnreadableRow(Exception):
    def __init__(self, after: int) -> None:
        super().__init__(f"unreadable row after position {after}")
        self.after = after


def notifications(recorder: ApplicationRecorder, after: int = 0) -> Iterator[Notification]:
    while True:
        try:
            page = recorder.select_notifications(after, PAGE, inclusive_of_start=False)
        except (ValueError, TypeError):
            # Some row in this page cannot be parsed: step one by one to find it.
            page = []
            while True:
                try:
                    single = recorder.select_notifications(after, 1, inclusive_of_start=False)
                except (ValueError, TypeError):
                    raise UnreadableRow(after) from None
                if not single:
                    break
                yield single[0]
                after = single[0].id
        if not page:
            return
        yield from page
        after = page[-1].id


@dataclass
class SealResult:
    first: int
    last: int
    checkpoints: list[int]
    key_id: str
    new_key: bool


def seal(recorder: ApplicationRecorder, directory: Path, now: datetime | None = None) -> SealResult:
    """Extend the chain to the head of the log and sign checkpoints."""
    key, new_key = load_or_create_private_key(directory)
    conn = open_chain(directory / AUDIT_FILE)
    moment = (now or datetime.now(UTC)).isoformat()
    kid = key_id(key.public_key())
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT position, link FROM chain ORDER BY position DESC LIMIT 1")\
            .fetchone()
        position, link = (row[0], row[1]) if row else (0, GENESIS)
        first, checkpoints = position + 1, []

        def checkpoint(at: int, at_link: bytes) -> None:
            conn.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?)",
                         (at, at_link, moment, kid, key.sign(signed_message(at, at_link))))
            checkpoints.append(at)

        for notification in notifications(recorder, position):
            if notification.id != position + 1:
                raise DomainError(
                    "log_gap",
                    f"the log jumps from position {position} to {notification.id}; "
                    "run zorgid audit verify before sealing",
                )
            digest = event_digest(notification)
            link = next_link(link, notification.id, digest)
            position = notification.id
            conn.execute("INSERT INTO chain VALUES (?, ?, ?)", (position, digest, link))
            if position % CHECKPOINT_EVERY == 0:
                checkpoint(position, link)
        if position >= first and position not in checkpoints:
            checkpoint(position, link)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return SealResult(first, position, checkpoints, kid, new_key)


@dataclass
class Finding:
    position: int
    kind: str  # modified, deleted, inserted, reordered, chain_altered, bad_signature
    detail: str


@dataclass
class Verdict:
    events: int = 0
    sealed_to: int = 0
    unsealed: int = 0
    last_checkpoint: tuple[int, str, str] | None = None  # position, sealed_at, key id
    finding: Finding | None = None
    checkpoints_checked: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.finding is None and self.sealed_to > 0


def _events_hold(conn: sqlite3.Connection, position: int, link: bytes,
                 following: Any | None, stream: Iterator[Notification],
                 checkpoints: dict[int, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether the events from `position` on, chained from `link`, reach the next signed
    checkpoint's link: then the store is intact and the chain file is what changed."""
    ahead = sorted(p for p in checkpoints if p >= position)
    if not ahead:
        return False
    target = ahead[0]
    at, current = position, following
    while at < target:
        if current is None or current.id != at + 1:
            return False
        at += 1
        link = next_link(link, at, event_digest(current))
        try:
            current = next(stream, None)
        except UnreadableRow:
            return False
    _, signed_link, _, _, signature = checkpoints[target]
    try:
        public_key.verify(signature, signed_message(target, signed_link))
    except InvalidSignature:
        return False
    return bool(signed_link == link)


def _classify(conn: sqlite3.Connection, position: int, stored: Any | None,
              following: Any | None) -> Finding:
    """Name what happened at the first position where the store and the seal part."""

    def sealed(at: int) -> bytes | None:
        row = conn.execute("SELECT digest FROM chain WHERE position = ?", (at,)).fetchone()
        return row[0] if row else None

    if stored is None or stored.id != position:
        return Finding(position, "deleted", f"the event sealed at position {position} is gone")
    here, sealed_here, sealed_next = event_digest(stored), sealed(position), sealed(position + 1)
    if sealed_here is None:
        return Finding(position, "inserted", f"position {position} was never sealed")
    next_here = event_digest(following) if following is not None \
        and following.id == position + 1 else None
    if here == sealed_next and next_here == sealed_here:
        return Finding(position, "reordered",
                       f"the events sealed at {position} and {position + 1} swapped places")
    if here == sealed_next:
        return Finding(position, "deleted",
                       f"the event sealed at {position} was removed and later ones moved up")
    if next_here is not None and next_here == sealed_here:
        return Finding(position, "inserted",
                       f"an event was inserted at {position}, moving the sealed one down")
    elsewhere = conn.execute("SELECT position FROM chain WHERE digest = ? AND position != ?",
                             (here, position)).fetchone()
    if elsewhere is not None:
        return Finding(position, "reordered",
                       f"position {position} holds the event sealed at {elsewhere[0]}")
    return Finding(position, "modified",
                   f"the event at {position} ({stored.topic}, {stored.originator_id} "
                   f"v{stored.originator_version}) differs from what was sealed")


def verify(recorder: ApplicationRecorder, audit_path: Path,
           public_key: Ed25519PublicKey) -> Verdict:
    """Recompute the chain from the store and check it against the signed checkpoints."""
    verdict = Verdict()
    if not audit_path.exists():
        raise NotFound("not_sealed", f"no seal at {audit_path}; run zorgid audit seal first")
    conn = open_chain(audit_path)
    try:
        sealed_to = conn.execute("SELECT coalesce(max(position), 0) FROM chain").fetchone()[0]
        verdict.sealed_to = sealed_to
        checkpoints = {row[0]: row for row in conn.execute(
            "SELECT position, link, sealed_at, key_id, signature FROM checkpoints")}
        expected_kid = key_id(public_key)
        signers = {row[3] for row in checkpoints.values()}
        if signers and expected_kid not in signers:
            verdict.finding = Finding(0, "wrong_key",
                                      f"the checkpoints are signed by key "
                                      f"{', '.join(sorted(signers))}; this public key "
                                      f"({expected_kid}) does not verify them")
            return verdict
        link, position = GENESIS, 0
        stream = notifications(recorder)
        try:
            current = next(stream, None)
        except UnreadableRow as error:
            verdict.finding = Finding(error.after + 1, "modified", "the first row cannot be read")
            return verdict
        while position < sealed_to:
            position += 1
            try:
                following = next(stream, None) if current is not None \
                    and current.id == position else None
            except UnreadableRow as error:
                # A row the store's own reader cannot parse was put there by hand.
                verdict.finding = Finding(error.after + 1, "modified",
                                          f"the row after position {error.after} cannot be "
                                          "read as an event")
                break
            stored = current if current is not None and current.id == position else None
            if stored is None:
                verdict.finding = _classify(conn, position, current, None)
                break
            digest = event_digest(stored)
            link = next_link(link, position, digest)
            row = conn.execute("SELECT link FROM chain WHERE position = ?",
                               (position,)).fetchone()
            if row is None or row[0] != link:
                if row is not None and _events_hold(conn, position, link, following,
                                                    stream, checkpoints, public_key):
                    verdict.finding = Finding(position, "chain_file_altered",
                                              f"the chain file differs at position {position}, "
                                              "but the events match the signed checkpoint: "
                                              "the chain file was changed, not the events")
                else:
                    verdict.finding = _classify(conn, position, stored, following)
                break
            if position in checkpoints:
                _, signed_link, sealed_at, kid, signature = checkpoints[position]
                try:
                    public_key.verify(signature, signed_message(position, signed_link))
                except InvalidSignature:
                    verdict.finding = Finding(position, "bad_signature",
                                              f"the checkpoint at {position} is not signed "
                                              f"by key {expected_kid}")
                    break
                if signed_link != link:
                    verdict.finding = Finding(position, "chain_altered",
                                              f"the log up to {position} does not match "
                                              "the signed checkpoint")
                    break
                verdict.last_checkpoint = (position, sealed_at, kid)
                verdict.checkpoints_checked += 1
            verdict.events = position
            current = following
        if verdict.finding is None:
            if verdict.last_checkpoint is None or verdict.last_checkpoint[0] != sealed_to:
                # Links past the last signature prove nothing: someone could have
                # rewritten both the store and the chain file there.
                verdict.finding = Finding(
                    sealed_to, "chain_altered",
                    "the chain runs past its last signed checkpoint; the chain file was altered")
            else:
                verdict.unsealed = (current is not None) + sum(1 for _ in stream)
    finally:
        conn.close()
    return verdict
