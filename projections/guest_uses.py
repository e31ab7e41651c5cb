"""guest_uses: gastgebruik per card and per host, current and past (R8)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from domain.clock import end_of_day
from projections.base import Handler, View, day, ts


class GuestUsesView(View):
    name = "guest_uses"
    tables = ("guest_uses",)

    def create(self, db: Database) -> None:
        db.table("guest_uses").create(
            {"guest_use_id": str, "card_id": str, "host_ura": str, "starts_on": str,
             "ends_on": str, "ends_at": str, "granted_at": str, "granted_by": str,
             "ended_at": str, "end_reason": str},
            pk="guest_use_id", if_not_exists=True)
        db.table("guest_uses").create_index(["card_id"], if_not_exists=True)
        db.table("guest_uses").create_index(["host_ura", "ends_at"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.GuestUseGranted.TOPIC: self.granted,
            Card.GuestUseEnded.TOPIC: self.ended,
        }

    def granted(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        natural_end = end_of_day(e.ends_on)
        conn.execute(
            "INSERT INTO guest_uses VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            (str(e.guest_use_id), str(e.originator_id), e.host_ura, day(e.starts_on),
             day(e.ends_on), ts(natural_end), ts(e.timestamp), e.actor.get("name")))

    def ended(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        # ends_at: the first moment it no longer holds (its end date, or earlier).
        conn.execute(
            "UPDATE guest_uses SET ended_at = ?, end_reason = ?, ends_at = min(ends_at, ?) "
            "WHERE guest_use_id = ?",
            (ts(e.timestamp), e.reason, ts(e.timestamp), str(e.guest_use_id)))


# Current: started, not yet at its end, and the card itself not past its end (R11).
_CURRENT = ("g.starts_on <= substr(:now, 1, 10) AND :now < g.ends_at "
            "AND (c.expires_at IS NULL OR :now < c.expires_at)")


def guest_uses(db: Database, now: datetime, *, host_ura: str | None = None,
               card_id: str | None = None) -> list[dict[str, Any]]:
    rows = list(db.query(
        f"SELECT g.*, c.holder_uzi_number, c.holder_name, ({_CURRENT}) AS is_current, "
        "(:now >= g.ends_at OR (c.expires_at IS NOT NULL AND :now >= c.expires_at)) AS is_past "
        "FROM guest_uses g LEFT JOIN cards c USING (card_id) "
        "WHERE (:host IS NULL OR g.host_ura = :host) AND (:card IS NULL OR g.card_id = :card) "
        "ORDER BY g.starts_on, g.guest_use_id",
        {"now": ts(now), "host": host_ura, "card": card_id}))
    for row in rows:
        row["is_current"], row["is_past"] = bool(row["is_current"]), bool(row["is_past"])
    return rows
