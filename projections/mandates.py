"""mandates: effective mandaten per UZI number and per card (R9).

Keyed on the mandatee's UZI number: a replacement card keeps its holder's mandates."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from domain.mandate import Mandate
from projections.base import Handler, View, ts
from projections.cards import STATUS_AT


class MandatesView(View):
    name = "mandates"
    tables = ("mandates",)

    def create(self, db: Database) -> None:
        db.table("mandates").create(
            {"mandate_id": str, "practice_ura": str, "grantor_uzi_number": str,
             "grantor_name": str, "grantor_role": str, "mandatee_uzi_number": str,
             "valid_from": str, "valid_until": str, "revoked_at": str, "revocation_reason": str},
            pk="mandate_id", if_not_exists=True)
        db.table("mandates").create_index(["mandatee_uzi_number"], if_not_exists=True)
        db.table("mandates").create_index(["practice_ura"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Mandate.Granted.TOPIC: self.granted,
            Mandate.Renewed.TOPIC: self.renewed,
            Mandate.Revoked.TOPIC: self.revoked,
        }

    def granted(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "INSERT INTO mandates VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            (str(e.originator_id), e.practice_ura, e.grantor_uzi_number, e.grantor_name,
             e.grantor_role, e.mandatee_uzi_number, ts(e.valid_from), ts(e.valid_until)))

    def renewed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "UPDATE mandates SET valid_from = ?, valid_until = ?, revoked_at = NULL, "
            "revocation_reason = NULL WHERE mandate_id = ?",
            (ts(e.valid_from), ts(e.valid_until), str(e.originator_id)))

    def revoked(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("UPDATE mandates SET revoked_at = ?, revocation_reason = ? "
                     "WHERE mandate_id = ?", (ts(e.timestamp), e.reason, str(e.originator_id)))


_EFFECTIVE = "m.revoked_at IS NULL AND m.valid_from <= :now AND :now < m.valid_until"


def effective_for_uzi(db: Database, uzi_number: str, now: datetime) -> list[dict[str, Any]]:
    return list(db.query(
        f"SELECT m.* FROM mandates m WHERE m.mandatee_uzi_number = :uzi AND {_EFFECTIVE} "
        "ORDER BY m.practice_ura, m.grantor_name", {"uzi": uzi_number, "now": ts(now)}))


def effective_for_card(db: Database, card_id: str, now: datetime) -> list[dict[str, Any]]:
    """The holder's effective mandates, while the card itself is in use."""
    return list(db.query(
        f"SELECT m.* FROM cards c JOIN mandates m ON m.mandatee_uzi_number = "
        f"c.holder_uzi_number WHERE c.card_id = :card AND ({STATUS_AT}) = 'active' "
        f"AND {_EFFECTIVE} ORDER BY m.practice_ura, m.grantor_name",
        {"card": card_id, "now": ts(now)}))
