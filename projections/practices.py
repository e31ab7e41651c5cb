"""practices: registered practices with their administrators and beheerders (R1, R2)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.practice import Practice
from projections.base import Handler, View, ts


class PracticesView(View):
    name = "practices"
    tables = ("practices", "practice_managers")

    def create(self, db: Database) -> None:
        db.table("practices").create(
            {"ura": str, "practice_id": str, "name": str, "kind": str, "registered_at": str},
            pk="ura", if_not_exists=True)
        db.table("practices").create_index(["practice_id"], unique=True, if_not_exists=True)
        db.table("practice_managers").create(
            {"ura": str, "uzi_number": str, "name": str, "role": str, "since": str},
            pk=("ura", "uzi_number"), if_not_exists=True)
        db.table("practice_managers").create_index(["uzi_number"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Practice.Registered.TOPIC: self.registered,
            Practice.ManagerAppointed.TOPIC: self.appointed,
            Practice.ManagerDismissed.TOPIC: self.dismissed,
        }

    def registered(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO practices VALUES (?, ?, ?, ?, ?)",
                     (e.ura, str(e.originator_id), e.name, e.kind, ts(e.timestamp)))
        conn.execute("INSERT INTO practice_managers VALUES (?, ?, ?, 'administrator', ?)",
                     (e.ura, e.administrator_uzi_number, e.administrator_name, ts(e.timestamp)))

    def appointed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "INSERT INTO practice_managers SELECT ura, ?, ?, ?, ? FROM practices "
            "WHERE practice_id = ? ON CONFLICT (ura, uzi_number) DO UPDATE SET "
            "name = excluded.name, role = excluded.role, since = excluded.since",
            (e.uzi_number, e.name, e.role, ts(e.timestamp), str(e.originator_id)))

    def dismissed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "DELETE FROM practice_managers WHERE uzi_number = ? AND ura = "
            "(SELECT ura FROM practices WHERE practice_id = ?)",
            (e.uzi_number, str(e.originator_id)))


def practice(db: Database, ura: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM practices WHERE ura = ?", [ura]))
    if not rows:
        return None
    result = rows[0]
    managers = list(db.query(
        "SELECT uzi_number, name, role, since FROM practice_managers WHERE ura = ? "
        "ORDER BY role, name", [ura]))
    result["administrators"] = [m for m in managers if m["role"] == "administrator"]
    result["beheerders"] = [m for m in managers if m["role"] == "beheerder"]
    return result


def roles_of(db: Database, uzi_number: str) -> dict[str, str]:
    """URA -> role for every practice this person manages."""
    return {row["ura"]: row["role"] for row in db.query(
        "SELECT ura, role FROM practice_managers WHERE uzi_number = ?", [uzi_number])}
