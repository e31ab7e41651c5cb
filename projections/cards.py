"""cards: every card with its status, holder, links and moments.

The stored status is the last recorded one; queries give the status at a moment,
so a card past `expires_at` reads as expired before its `Expired` event (R11)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts

STATUS_AT = (
    "CASE WHEN c.status IN ('active', 'suspended') AND c.expires_at <= :now "
    "THEN 'expired' ELSE c.status END"
)
# Every column but the stored status, which queries replace by the status at :now.
COLUMNS = ", ".join(f"c.{name}" for name in (
    "card_id", "serial", "shipped_to_ura", "holder_uzi_number", "holder_name", "holder_ura",
    "activated_at", "expires_at", "suspension_reason", "revoked_at", "revocation_reason",
    "failed_attempts", "updated_at"))


class CardsView(View):
    name = "cards"
    tables = ("cards", "card_links")

    def create(self, db: Database) -> None:
        db.table("cards").create(
            {"card_id": str, "serial": str, "shipped_to_ura": str, "status": str,
             "holder_uzi_number": str, "holder_name": str, "holder_ura": str,
             "activated_at": str, "expires_at": str, "suspension_reason": str,
             "revoked_at": str, "revocation_reason": str, "failed_attempts": int,
             "updated_at": str},
            pk="card_id", if_not_exists=True)
        db.table("cards").create_index(["holder_uzi_number"], if_not_exists=True)
        db.table("cards").create_index(["serial"], unique=True, if_not_exists=True)
        db.table("card_links").create({"card_id": str, "ura": str, "linked_at": str},
                                pk=("card_id", "ura"), if_not_exists=True)
        db.table("card_links").create_index(["ura"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.ShippedToPractice.TOPIC: self.shipped,
            Card.CreationStarted.TOPIC: self.creation_started,
            Card.PersonalisationFailed.TOPIC: self.failed,
            Card.Activated.TOPIC: self.activated,
            Card.LinkedToPractice.TOPIC: self.linked,
            Card.UnlinkedFromPractice.TOPIC: self.unlinked,
            Card.Suspended.TOPIC: self.suspended,
            Card.Resumed.TOPIC: self.resumed,
            Card.Revoked.TOPIC: self.revoked,
            Card.Expired.TOPIC: self.expired,
        }

    def _set(self, conn: sqlite3.Connection, e: Any, assignments: str, *values: Any) -> None:
        conn.execute(f"UPDATE cards SET {assignments}, updated_at = ? WHERE card_id = ?",
                     (*values, ts(e.timestamp), str(e.originator_id)))

    def shipped(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "INSERT INTO cards (card_id, serial, shipped_to_ura, status, failed_attempts, "
            "updated_at) VALUES (?, ?, ?, 'blank', 0, ?)",
            (str(e.originator_id), e.serial, e.practice_ura, ts(e.timestamp)))

    def creation_started(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        holder = e.holder
        self._set(conn, e, "status = 'personalising', holder_uzi_number = ?, holder_name = ?, "
                  "holder_ura = ?", holder["uzi_number"], holder["name"], holder["ura"])

    def failed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "status = 'blank', holder_uzi_number = NULL, holder_name = NULL, "
                  "holder_ura = NULL, failed_attempts = failed_attempts + 1")

    def activated(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "status = 'active', activated_at = ?, expires_at = ?",
                  ts(e.activated_at), ts(e.expires_at))

    def linked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO card_links VALUES (?, ?, ?)",
                     (str(e.originator_id), e.ura, ts(e.timestamp)))

    def unlinked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("DELETE FROM card_links WHERE card_id = ? AND ura = ?",
                     (str(e.originator_id), e.ura))

    def suspended(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "status = 'suspended', suspension_reason = ?", e.reason)

    def resumed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "status = 'active', suspension_reason = NULL")

    def revoked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "status = 'revoked', revoked_at = ?, revocation_reason = ?",
                  ts(e.timestamp), e.reason)

    def expired(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "status = 'expired'")


def _with_links(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with the URAs its card is linked to, in one query per 500 cards."""
    links: dict[str, list[str]] = {row["card_id"]: [] for row in rows}
    ids = list(links)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for card_id, ura in db.conn.execute(
                f"SELECT card_id, ura FROM card_links WHERE card_id IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY ura", chunk):
            links[card_id].append(ura)
    for row in rows:
        row["links"] = links[row["card_id"]]
    return rows


def card(db: Database, card_id: str, now: datetime) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {COLUMNS}, {STATUS_AT} AS status FROM cards c "
                         "WHERE c.card_id = :card_id", {"now": ts(now), "card_id": card_id}))
    return _with_links(db, rows)[0] if rows else None


def cards_of_practice(db: Database, ura: str, now: datetime,
                      statuses: list[str] | None = None) -> list[dict[str, Any]]:
    rows = list(db.query(
        f"SELECT {COLUMNS}, {STATUS_AT} AS status FROM cards c JOIN card_links l USING (card_id) "
        "WHERE l.ura = :ura ORDER BY c.holder_name, c.serial", {"now": ts(now), "ura": ura}))
    if statuses:
        rows = [r for r in rows if r["status"] in statuses]
    return _with_links(db, rows)


def cards_of_holder(db: Database, uzi_number: str, now: datetime) -> list[dict[str, Any]]:
    rows = list(db.query(
        f"SELECT {COLUMNS}, {STATUS_AT} AS status FROM cards c WHERE c.holder_uzi_number = :uzi "
        "ORDER BY c.activated_at", {"now": ts(now), "uzi": uzi_number}))
    return _with_links(db, rows)


def status_counts(db: Database, now: datetime) -> dict[str, int]:
    return {row["status"]: row["n"] for row in db.query(
        f"SELECT {STATUS_AT} AS status, count(*) AS n FROM cards c GROUP BY 1",
        {"now": ts(now)})}
