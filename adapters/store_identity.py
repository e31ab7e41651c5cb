"""What a store knows about itself, kept in a small table beside the events.

- ``cipher_key_id``: which key its events are encrypted with, as an identifier that
  reveals nothing of the key (an HMAC under the key of a fixed text), or ``none`` for a
  store without encryption. Every process that opens the store compares its own key with
  it, so a node set up with a key of its own is refused before it writes a single event
  the other nodes cannot read.
- ``personal_ids``: how ids of aggregates keyed by UZI numbers are derived: ``uuid5``
  (stores made before keyed ids; they keep their ids) or ``hmac-sha256:<key id>`` with
  the deployment's ``personal-ids.key``.

The first process to open a new store records both; ``INSERT ... DO NOTHING`` makes the
first writer win, and every later process reads what the winner wrote.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from projections.runner import while_locked

TABLE = "zorgid_store"
NO_KEY = "none"
UUID5 = "uuid5"
T = TypeVar("T")


def key_id(secret: bytes) -> str:
    return hmac.new(secret, b"zorgid store key id v1", hashlib.sha256).hexdigest()[:32]


def cipher_key_id(cipher_key: str | None) -> str:
    if cipher_key is None:
        return NO_KEY
    try:
        raw = base64.b64decode(cipher_key, validate=True)
    except (binascii.Error, ValueError):
        raw = cipher_key.encode()  # the library will refuse it with its own message
    return key_id(raw)


class StoreFacts(Protocol):
    def get(self, name: str) -> str | None: ...

    def claim(self, name: str, value: str) -> str:
        """Record `value` unless a value is recorded already; the value that holds."""
        ...


@dataclass
class SqliteFacts:
    path: str

    def _run(self, action: Callable[[sqlite3.Connection], T]) -> T:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            def create_and_act() -> T:
                conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} "
                             "(name TEXT PRIMARY KEY, value TEXT NOT NULL)")
                return action(conn)
            return while_locked(create_and_act)
        finally:
            conn.close()

    def get(self, name: str) -> str | None:
        row = self._run(lambda c: c.execute(f"SELECT value FROM {TABLE} WHERE name = ?",
                                            (name,)).fetchone())
        return None if row is None else str(row[0])

    def claim(self, name: str, value: str) -> str:
        def insert(conn: sqlite3.Connection) -> str:
            conn.execute(f"INSERT OR IGNORE INTO {TABLE} VALUES (?, ?)", (name, value))
            return str(conn.execute(f"SELECT value FROM {TABLE} WHERE name = ?",
                                    (name,)).fetchone()[0])
        return self._run(insert)


@dataclass
class PostgresFacts:
    connect: dict[str, Any]
    schema: str | None

    def _run(self, name: str, value: str | None) -> str | None:
        """The value recorded for `name`, after recording `value` if none was."""
        import psycopg
        from psycopg import sql

        table = sql.Identifier(*(filter(None, (self.schema, TABLE))))
        for attempt in range(1, 6):
            try:
                with psycopg.connect(**self.connect, autocommit=True) as conn:
                    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY, "
                                         "value TEXT NOT NULL)").format(table))
                    if value is not None:
                        conn.execute(sql.SQL("INSERT INTO {} (name, value) VALUES (%s, %s) "
                                             "ON CONFLICT (name) DO NOTHING").format(table),
                                     (name, value))
                    row = conn.execute(sql.SQL("SELECT value FROM {} WHERE name = %s")
                                       .format(table), (name,)).fetchone()
                    return None if row is None else str(row[0])
            except (psycopg.errors.UniqueViolation, psycopg.errors.InternalError_):
                # Two first processes creating the table at once: one loses on the
                # catalogue's unique index. The table exists now; go again.
                if attempt == 5:
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def get(self, name: str) -> str | None:
        return self._run(name, None)

    def claim(self, name: str, value: str) -> str:
        recorded = self._run(name, value)
        assert recorded is not None
        return recorded
