"""Service tokens (fulfilment, billing, auditor, operator): random, shown once, stored
hashed."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from domain.errors import InvalidValue

ROLES = ("fulfilment", "billing", "auditor", "operator")  # operator: /metrics
TOKENS_FILE = "tokens.json"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


LAST_USED_EVERY = 3600.0  # seconds: when a token was last used is kept to the hour


def token_id(entry: dict[str, str]) -> str:
    """A token's name in lists and for `withdraw`: the start of its hash, not the token."""
    return entry["sha256"][:12]


class TokenStore:
    """The tokens file (0600): per token its role, label, creation and last use, and its
    SHA-256, never the token. Changes are made under an exclusive lock on a lock file
    beside it, so processes creating, withdrawing or using tokens at once lose nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cached: tuple[tuple[int, int], list[dict[str, str]]] | None = None
        self._touched: dict[str, float] = {}

    def _load(self) -> list[dict[str, str]]:
        """The entries, read again only when the file changed (tokens created elsewhere)."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return []
        stamp = (status.st_mtime_ns, status.st_size)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, json.loads(self.path.read_text()))
        return [dict(entry) for entry in self._cached[1]]

    @contextmanager
    def _changing(self) -> Iterator[list[dict[str, str]]]:
        lock = os.open(self.path.with_name(self.path.name + ".lock"),
                       os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._cached = None
            entries = self._load()
            yield entries
            temporary = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(entries, handle, indent=1)
            os.replace(temporary, self.path)
        finally:
            os.close(lock)

    def create(self, role: str, label: str = "") -> str:
        if role not in ROLES:
            raise InvalidValue("invalid_role", f"{role!r} is not one of {', '.join(ROLES)}")
        label = label.strip()
        if len(label) > 80 or any(not c.isprintable() for c in label):
            raise InvalidValue("invalid_label", "a label is at most 80 printable characters")
        token = f"zid_{role}_{secrets.token_urlsafe(32)}"
        with self._changing() as entries:
            entries.append({"role": role, "sha256": _digest(token), "label": label,
                            "created": datetime.now(UTC).isoformat()})
        return token

    def entries(self) -> list[dict[str, str]]:
        """What `zorgid tokens list` shows: id, role, label, created, last used."""
        return [{"id": token_id(e), "role": e["role"], "label": e.get("label", ""),
                 "created": e["created"], "last_used": e.get("last_used", "")}
                for e in self._load()]

    def withdraw(self, identifier: str) -> dict[str, str]:
        """Remove the token whose id is `identifier` (or starts with it, 6 characters at
        least); it logs in no more."""
        wanted = identifier.strip().lower()
        with self._changing() as entries:
            found = [e for e in entries if len(wanted) >= 6 and token_id(e).startswith(wanted)]
            if len(found) != 1:
                raise InvalidValue("token_not_found" if not found else "token_ambiguous",
                                   f"no single token has the id {identifier!r}; see "
                                   "zorgid tokens list")
            entries.remove(found[0])
        return {"id": token_id(found[0]), "role": found[0]["role"],
                "label": found[0].get("label", "")}

    def role_of(self, token: str) -> str | None:
        digest = _digest(token)
        for entry in self._load():
            if hmac.compare_digest(entry["sha256"], digest):
                self._used(digest)
                return entry["role"]
        return None

    def _used(self, digest: str) -> None:
        now = time.monotonic()
        if now - self._touched.get(digest, -LAST_USED_EVERY) < LAST_USED_EVERY:
            return
        self._touched[digest] = now
        try:
            with self._changing() as entries:
                for entry in entries:
                    if entry["sha256"] == digest:
                        entry["last_used"] = datetime.now(UTC).isoformat(timespec="minutes")
        except OSError:  # a read-only deployment still logs in; it just keeps no last use
            pass
