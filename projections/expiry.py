"""expiry: when each card in use ends, with reminders at 90, 30 and 7 days."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts

REMINDER_DAYS = (90, 30, 7)


class ExpiryView(View):
    name = "expiry"
    tables = ("expiry",)

    def create(self, db: Database) -> None:
        db.table("expiry").create(
            {"card_id": str, "holder_uzi_number": str, "holder_name": str,
             "holder_ura": str, "expires_at": str, "remind_90_at": str, "remind_30_at": str,
             "remind_7_at": str},
            pk="card_id", if_not_exists=True)
        db.table("expiry").create_index(["expires_at"], if_not_exists=True)
        db.table("expiry").create_index(["holder_ura", "expires_at"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.CreationStarted.TOPIC: self.creation_started,
            Card.PersonalisationFailed.TOPIC: self.failed,
            Card.Activated.TOPIC: self.activated,
            Card.Revoked.TOPIC: self.ended,
            Card.Expired.TOPIC: self.ended,
        }

    def creation_started(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "INSERT INTO expiry (card_id, holder_uzi_number, holder_name, holder_ura) "
            "VALUES (?, ?, ?, ?)",
            (str(e.originator_id), e.holder["uzi_number"], e.holder["name"], e.holder["ura"]))

    def failed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("DELETE FROM expiry WHERE card_id = ?", (str(e.originator_id),))

    def activated(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        end = e.expires_at
        conn.execute(
            "UPDATE expiry SET expires_at = ?, remind_90_at = ?, remind_30_at = ?, "
            "remind_7_at = ? WHERE card_id = ?",
            (ts(end), *(ts(end - timedelta(days=d)) for d in REMINDER_DAYS),
             str(e.originator_id)))

    def ended(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("DELETE FROM expiry WHERE card_id = ?", (str(e.originator_id),))


def expiring(db: Database, now: datetime, within_days: int,
             ura: str | None = None) -> list[dict[str, Any]]:
    """Cards in use that end within `within_days` of `now` (not those already ended); with
    `ura`, only the cards linked to that practice now (a former employee's card is not
    the practice's business any more, R7)."""
    params = {"now": ts(now), "until": ts(now + timedelta(days=within_days)), "ura": ura}
    return list(db.query(
        "SELECT card_id, holder_uzi_number, holder_name, holder_ura, expires_at "
        "FROM expiry WHERE expires_at > :now AND expires_at <= :until "
        "AND (:ura IS NULL OR card_id IN (SELECT card_id FROM card_links WHERE ura = :ura)) "
        "ORDER BY expires_at", params))


def reminders_due(db: Database, now: datetime) -> list[dict[str, Any]]:
    """For each card in use, the most urgent reminder whose moment has come."""
    return list(db.query(
        "SELECT e.card_id, e.holder_uzi_number, e.holder_name, e.expires_at, c.serial, CASE "
        "WHEN remind_7_at <= :now THEN 7 WHEN remind_30_at <= :now THEN 30 ELSE 90 END "
        "AS days FROM expiry e LEFT JOIN cards c USING (card_id) "
        "WHERE remind_90_at <= :now AND e.expires_at > :now "
        "ORDER BY e.expires_at", {"now": ts(now)}))
