"""pin_services: the PIN unblocks holders started in the portal (R16), so a pairing code
can be matched to its service and the portal can show how each one ended."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts


class PinServicesView(View):
    name = "pin_services"
    tables = ("pin_services",)

    def create(self, db: Database) -> None:
        # status: started, claimed, unblocked, puk_blocked, replaced, ended (card revoked)
        db.table("pin_services").create(
            {"service_id": str, "card_id": str, "started_at": str, "status": str,
             "workstation": str, "updated_at": str},
            pk="service_id", if_not_exists=True)
        db.table("pin_services").create_index(["card_id"], if_not_exists=True)
        db.table("pin_services").create_index(["status", "started_at"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.PinServiceStarted.TOPIC: self.started,
            Card.PinServiceClaimed.TOPIC: self.claimed,
            Card.PinUnblocked.TOPIC: self.unblocked,
            Card.Revoked.TOPIC: self.revoked,
        }

    def started(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._end_open(conn, e, "replaced")
        conn.execute("INSERT INTO pin_services VALUES (?, ?, ?, 'started', NULL, ?)",
                     (str(e.service_id), str(e.originator_id), ts(e.timestamp),
                      ts(e.timestamp)))

    def claimed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("UPDATE pin_services SET status = 'claimed', workstation = ?, "
                     "updated_at = ? WHERE service_id = ?",
                     (e.workstation, ts(e.timestamp), str(e.service_id)))

    def unblocked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("UPDATE pin_services SET status = 'unblocked', updated_at = ? "
                     "WHERE service_id = ?", (ts(e.timestamp), str(e.service_id)))

    def revoked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._end_open(conn, e, "puk_blocked" if e.reason == "puk_blocked" else "ended")

    def _end_open(self, conn: sqlite3.Connection, e: Any, status: str) -> None:
        conn.execute("UPDATE pin_services SET status = ?, updated_at = ? WHERE card_id = ? "
                     "AND status IN ('started', 'claimed')",
                     (status, ts(e.timestamp), str(e.originator_id)))


def pairable(db: Database, since: str) -> list[dict[str, Any]]:
    """PIN services a pairing code may still name: started since `since`, unclaimed."""
    return list(db.query("SELECT service_id, card_id, started_at FROM pin_services "
                         "WHERE status = 'started' AND started_at >= ?", [since]))


def service(db: Database, service_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM pin_services WHERE service_id = ?", [service_id]))
    return rows[0] if rows else None


def latest(db: Database, card_id: str) -> dict[str, Any] | None:
    """The card's newest PIN service, for the portal."""
    rows = list(db.query("SELECT * FROM pin_services WHERE card_id = ? "
                         "ORDER BY started_at DESC LIMIT 1", [card_id]))
    return rows[0] if rows else None
