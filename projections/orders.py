"""orders: blank card orders per practice with their shipment state."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.order import BlankCardOrder, Pricing, order_lines, vat_cents
from projections.base import Handler, View, ts


class OrdersView(View):
    name = "orders"
    tables = ("orders",)

    def create(self, db: Database) -> None:
        db.table("orders").create(
            {"order_id": str, "ura": str, "quantity": int, "unit_price_cents": int,
             "shipping_cents": int, "vat_rate_bp": int, "total_cents": int,
             "idempotency_key": str, "status": str, "placed_at": str, "shipped_at": str,
             "cancelled_at": str, "card_serials": str},
            pk="order_id", if_not_exists=True)
        db.table("orders").create_index(["ura", "placed_at"], if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            BlankCardOrder.Placed.TOPIC: self.placed,
            BlankCardOrder.Shipped.TOPIC: self.shipped,
            BlankCardOrder.Cancelled.TOPIC: self.cancelled,
        }

    def placed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        pricing = Pricing(e.unit_price_cents, e.shipping_cents, e.vat_rate_bp)
        net = sum(line.amount_cents for line in order_lines(e.quantity, pricing))
        conn.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'placed', ?, NULL, NULL, '[]')",
            (str(e.originator_id), e.practice_ura, e.quantity, e.unit_price_cents,
             e.shipping_cents, e.vat_rate_bp, net + vat_cents(net, e.vat_rate_bp),
             e.idempotency_key, ts(e.timestamp)))

    def shipped(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "UPDATE orders SET status = 'shipped', shipped_at = ?, card_serials = ? "
            "WHERE order_id = ?",
            (ts(e.timestamp), json.dumps(list(e.card_serials)), str(e.originator_id)))

    def cancelled(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("UPDATE orders SET status = 'cancelled', cancelled_at = ? WHERE order_id = ?",
                     (ts(e.timestamp), str(e.originator_id)))


def orders_of(db: Database, ura: str) -> list[dict[str, Any]]:
    rows = list(db.query("SELECT * FROM orders WHERE ura = ? ORDER BY placed_at", [ura]))
    for row in rows:
        row["card_serials"] = json.loads(row["card_serials"])
    return rows
