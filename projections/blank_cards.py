"""blank_cards: the inventory of blank cards per practice: shipped, used, left."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts


class BlankCardsView(View):
    name = "blank_cards"
    tables = ("blank_cards",)

    def create(self, db: Database) -> None:
        db.table("blank_cards").create(
            {"card_id": str, "serial": str, "ura": str, "order_id": str, "shipped_at": str,
             "used_at": str}, pk="card_id", if_not_exists=True)
        db.table("blank_cards").create_index(["ura", "used_at"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.ShippedToPractice.TOPIC: self.shipped,
            Card.Activated.TOPIC: self.used,
        }

    def shipped(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO blank_cards VALUES (?, ?, ?, ?, ?, NULL)",
                     (str(e.originator_id), e.serial, e.practice_ura, str(e.order_id),
                      ts(e.timestamp)))

    def used(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "UPDATE blank_cards SET used_at = ? WHERE card_id = ? AND used_at IS NULL",
            (ts(e.timestamp), str(e.originator_id)))


def inventory(db: Database, ura: str) -> dict[str, int]:
    [row] = db.query("SELECT count(*) AS shipped, count(used_at) AS used FROM blank_cards "
                     "WHERE ura = ?", [ura])
    shipped, used = row["shipped"], row["used"]
    return {"shipped": shipped, "used": used, "left": shipped - used}
