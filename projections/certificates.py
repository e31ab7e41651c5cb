"""certificates: every certificate the card CA issued for a card, and what the CRL says.

On hold while the card is suspended (R13), revoked with the card, and revoked too
when the personalisation that asked for it failed (the key it certifies may exist
on a card that never became active)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts


class CertificatesView(View):
    name = "certificates"
    tables = ("card_certificates",)

    def create(self, db: Database) -> None:
        db.table("card_certificates").create(
            {"serial_number": str, "card_id": str, "slot": str, "not_after": str,
             "status": str, "since": str, "reason": str},
            pk="serial_number", if_not_exists=True)
        db.table("card_certificates").create_index(["card_id"], if_not_exists=True)
        db.table("card_certificates").create_index(["status", "not_after"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.CertificatesIssued.TOPIC: self.issued,
            Card.Activated.TOPIC: self.activated,
            Card.PersonalisationFailed.TOPIC: self.failed,
            Card.Suspended.TOPIC: self.suspended,
            Card.Resumed.TOPIC: self.resumed,
            Card.Revoked.TOPIC: self.revoked,
        }

    def issued(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.executemany(
            "INSERT INTO card_certificates VALUES (?, ?, ?, ?, 'issued', ?, NULL)",
            [(c["serial_number"], str(e.originator_id), c["slot"],
              ts(datetime.fromisoformat(c["not_after"])), ts(e.timestamp))
             for c in e.certificates])

    def _move(self, conn: sqlite3.Connection, e: Any, to: str, from_: str,
              reason: str | None = None) -> None:
        conn.execute("UPDATE card_certificates SET status = ?, since = ?, reason = ? "
                     "WHERE card_id = ? AND status = ?",
                     (to, ts(e.timestamp), reason, str(e.originator_id), from_))

    def activated(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._move(conn, e, "active", "issued")

    def failed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._move(conn, e, "revoked", "issued", "personalisation_failed")

    def suspended(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._move(conn, e, "on_hold", "active")

    def resumed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._move(conn, e, "active", "on_hold")

    def revoked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("UPDATE card_certificates SET status = 'revoked', since = ?, reason = ? "
                     "WHERE card_id = ? AND status IN ('active', 'on_hold')",
                     (ts(e.timestamp), e.reason, str(e.originator_id)))


def crl_entries(db: Database, now: datetime) -> list[dict[str, Any]]:
    """What the CRL lists at `now`: revoked or on hold, and not yet past its end."""
    return list(db.query(
        "SELECT serial_number, card_id, status, since, reason FROM card_certificates "
        "WHERE status IN ('revoked', 'on_hold') AND not_after > :now ORDER BY serial_number",
        {"now": ts(now)}))


def certificate_status(db: Database, serial_hex: str) -> dict[str, Any] | None:
    """One card certificate's row (status issued, active, on_hold or revoked), or None."""
    rows = list(db.query("SELECT serial_number, card_id, status, since, reason, not_after "
                         "FROM card_certificates WHERE serial_number = ?", [serial_hex]))
    return rows[0] if rows else None
