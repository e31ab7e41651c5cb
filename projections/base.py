"""What every read model shares.

A view is a few tables in the views database (SQLite, written with sqlite-utils)
plus handlers keyed by event topic. The runner calls the handlers inside one
transaction per batch, together with the update of the view's tracking position,
so a crash never double-counts or skips (exactly-once). Handlers keep all their
state in the database, never in memory, so memory does not grow with the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlite_utils import Database

Handler = Callable[[sqlite3.Connection, Any, int], None]


def ts(moment: datetime | None) -> str | None:
    """Fixed-width UTC text (2026-11-28T13:00:00.000000+00:00), so timestamps compare
    correctly as strings in SQL."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


class View:
    """A read model: its tables (`create`) and its handlers (`handlers`)."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    def create(self, db: Database) -> None:
        raise NotImplementedError

    def handlers(self) -> dict[str, Handler]:
        raise NotImplementedError

    def drop(self, db: Database) -> None:
        for table in self.tables:
            db.conn.execute(f"DROP TABLE IF EXISTS [{table}]")
