"""blank_cards: the inventory of blank cards per practice: shipped, used, left."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts


class BlankCardsView(View):
    name = "blank_cards"
    tables = ("blank_cards", "blank_inventory")

    def create(self, db: Database) -> None:
        db["blank_cards"].create(
            {"card_id": str, "serial": str, "ura": str, "order_id": str, "shipped_at": str,
             "used_at": str}, pk="card_id", if_not_exists=True)
        db["blank_cards"].create_index(["ura"], if_not_exists=True)
        db["blank_inventory"].create({"ura": str, "shipped": int, "used": int}, pk="ura",
                                     if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.ShippedToPractice.TOPIC: self.shipped,
            Card.Activated.TOPIC: self.used,
        }

    def shipped(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO blank_cards VALUES (?, ?, ?, ?, ?, NULL)",
                     (str(e.originator_id), e.serial, e.practice_ura, str(e.order_id),
                      ts(e.timestamp)))
        conn.execute("INSERT INTO blank_inventory VALUES (?, 1, 0) ON CONFLICT (ura) "
                     "DO UPDATE SET shipped = shipped + 1", (e.practice_ura,))

    def used(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        cursor = conn.execute(
            "UPDATE blank_cards SET used_at = ? WHERE card_id = ? AND used_at IS NULL",
            (ts(e.timestamp), str(e.originator_id)))
        if cursor.rowcount:
            conn.execute("UPDATE blank_inventory SET used = used + 1 WHERE ura = "
                         "(SELECT ura FROM blank_cards WHERE card_id = ?)",
                         (str(e.originator_id),))


def inventory(db: Database, ura: str) -> dict[str, int]:
    rows = list(db.query("SELECT shipped, used FROM blank_inventory WHERE ura = ?", [ura]))
    shipped, used = (rows[0]["shipped"], rows[0]["used"]) if rows else (0, 0)
    return {"shipped": shipped, "used": used, "left": shipped - used}
