"""Service tokens (fulfilment, billing, auditor, operator): random, shown once, stored
hashed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from domain.errors import InvalidValue

ROLES = ("fulfilment", "billing", "auditor", "operator")  # operator: /metrics
TOKENS_FILE = "tokens.json"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._cached: tuple[tuple[int, int], list[dict[str, str]]] | None = None

    def _load(self) -> list[dict[str, str]]:
        """The entries, read again only when the file changed (tokens created elsewhere)."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return []
        stamp = (status.st_mtime_ns, status.st_size)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, json.loads(self.path.read_text()))
        return list(self._cached[1])

    def create(self, role: str) -> str:
        if role not in ROLES:
            raise InvalidValue("invalid_role", f"{role!r} is not one of {', '.join(ROLES)}")
        token = f"zid_{role}_{secrets.token_urlsafe(32)}"
        entries = self._load()
        entries.append({"role": role, "sha256": _digest(token),
                        "created": datetime.now(UTC).isoformat()})
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(entries, handle, indent=1)
        os.replace(temporary, self.path)
        return token

    def role_of(self, token: str) -> str | None:
        digest = _digest(token)
        for entry in self._load():
            if hmac.compare_digest(entry["sha256"], digest):
                return entry["role"]
        return None
