"""invoices: one invoice per shipped order, to the practice (R10).

Numbers run YYYY-NNNNNN without gaps within a year, in the order of the
`Shipped` events that create them, so a rebuild gives the same numbers. Prices
and VAT come from the order event, never from today's settings."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.order import BlankCardOrder, Pricing, order_lines, vat_cents
from domain.practice import Practice
from projections.base import Handler, View, ts


class InvoicesView(View):
    name = "invoices"
    tables = ("invoices", "invoice_lines", "invoice_counters", "invoice_orders",
              "invoice_practices")

    def create(self, db: Database) -> None:
        db.table("invoices").create(
            {"invoice_number": str, "order_id": str, "ura": str, "practice_name": str,
             "period": str, "issued_at": str, "net_cents": int, "vat_rate_bp": int,
             "vat_cents": int, "total_cents": int, "position": int},
            pk="invoice_number", if_not_exists=True)
        db.table("invoices").create_index(["order_id"], unique=True, if_not_exists=True)
        db.table("invoices").create_index(["period", "ura"], if_not_exists=True)
        db.table("invoice_lines").create(
            {"invoice_number": str, "line_no": int, "description": str, "quantity": int,
             "unit_price_cents": int, "amount_cents": int},
            pk=("invoice_number", "line_no"), if_not_exists=True)
        db.table("invoice_counters").create({"year": int, "last_number": int}, pk="year",
                                      if_not_exists=True)
        # The view's own copies of what it needs, so it can be rebuilt on its own.
        db.table("invoice_orders").create(
            {"order_id": str, "ura": str, "quantity": int, "unit_price_cents": int,
             "shipping_cents": int, "vat_rate_bp": int}, pk="order_id", if_not_exists=True)
        db.table("invoice_practices").create({"ura": str, "name": str}, pk="ura",
                                             if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Practice.Registered.TOPIC: self.practice_registered,
            BlankCardOrder.Placed.TOPIC: self.placed,
            BlankCardOrder.Shipped.TOPIC: self.shipped,
        }

    def practice_registered(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO invoice_practices VALUES (?, ?)", (e.ura, e.name))

    def placed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO invoice_orders VALUES (?, ?, ?, ?, ?, ?)",
                     (str(e.originator_id), e.practice_ura, e.quantity, e.unit_price_cents,
                      e.shipping_cents, e.vat_rate_bp))

    def shipped(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        order_id = str(e.originator_id)
        order = conn.execute(
            "SELECT o.ura, o.quantity, o.unit_price_cents, o.shipping_cents, o.vat_rate_bp, "
            "p.name FROM invoice_orders o LEFT JOIN invoice_practices p USING (ura) "
            "WHERE o.order_id = ?", (order_id,)).fetchone()
        ura, quantity, unit, shipping, vat_rate, name = order
        lines = order_lines(quantity, Pricing(unit, shipping, vat_rate))
        net = sum(line.amount_cents for line in lines)
        vat = vat_cents(net, vat_rate)
        year = e.timestamp.year
        number = conn.execute(
            "INSERT INTO invoice_counters VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET "
            "last_number = last_number + 1 RETURNING last_number", (year,)).fetchone()[0]
        invoice_number = f"{year}-{number:06d}"
        conn.execute("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (invoice_number, order_id, ura, name, e.timestamp.strftime("%Y-%m"),
                      ts(e.timestamp), net, vat_rate, vat, net + vat, position))
        conn.executemany(
            "INSERT INTO invoice_lines VALUES (?, ?, ?, ?, ?, ?)",
            [(invoice_number, n, line.description, line.quantity, line.unit_price_cents,
              line.amount_cents) for n, line in enumerate(lines, start=1)])


def invoices(db: Database, period: str, ura: str | None = None) -> list[dict[str, Any]]:
    rows = list(db.query(
        "SELECT invoice_number, order_id, ura, practice_name, period, issued_at, net_cents, "
        "vat_rate_bp, vat_cents, total_cents FROM invoices WHERE period = :period "
        "AND (:ura IS NULL OR ura = :ura) ORDER BY invoice_number",
        {"period": period, "ura": ura}))
    for row in rows:
        row["lines"] = list(db.query(
            "SELECT line_no, description, quantity, unit_price_cents, amount_cents "
            "FROM invoice_lines WHERE invoice_number = ? ORDER BY line_no",
            [row["invoice_number"]]))
    return rows


def invoices_of(db: Database, ura: str, limit: int = 12) -> list[dict[str, Any]]:
    """A practice's latest invoices, newest first."""
    return list(db.query(
        "SELECT invoice_number, period, issued_at, net_cents, vat_cents, total_cents "
        "FROM invoices WHERE ura = ? ORDER BY issued_at DESC LIMIT ?", [ura, limit]))


def invoice(db: Database, invoice_number: str) -> dict[str, Any] | None:
    """One invoice with its lines, or None."""
    rows = list(db.query(
        "SELECT invoice_number, order_id, ura, practice_name, period, issued_at, net_cents, "
        "vat_rate_bp, vat_cents, total_cents FROM invoices WHERE invoice_number = ?",
        [invoice_number]))
    if not rows:
        return None
    found = rows[0]
    found["lines"] = list(db.query(
        "SELECT line_no, description, quantity, unit_price_cents, amount_cents "
        "FROM invoice_lines WHERE invoice_number = ? ORDER BY line_no", [invoice_number]))
    return found
