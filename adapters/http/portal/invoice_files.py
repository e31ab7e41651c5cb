"""An invoice as a file for the practice's accounts: a PDF (fpdf2) with sender, practice,
number, date, lines, VAT and totals, and the same as CSV (semicolons and decimal commas,
as Dutch spreadsheets read them)."""

from __future__ import annotations

import csv
import io
from typing import Any

from fpdf import FPDF

from adapters.http.portal.formats import Formats

NL = Formats("nl")


def _euro(cents: int) -> str:
    # fpdf2's core fonts are Latin-1: the euro sign is in cp1252, not Latin-1, so say EUR
    return NL.money(cents).replace("€", "EUR").replace("\xa0", " ")


def invoice_pdf(invoice: dict[str, Any], seller: tuple[str, ...]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Factuur {invoice['invoice_number']}")
    pdf.set_author(seller[0] if seller else "ZORG-ID Smartcard")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Factuur", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in seller:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 5, "Aan", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 5, invoice["practice_name"] or invoice["ura"], new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, f"URA {invoice['ura']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for label, value in (("Factuurnummer", invoice["invoice_number"]),
                         ("Factuurdatum", NL.long_day(invoice["issued_at"])),
                         ("Periode", invoice["period"])):
        pdf.cell(40, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    widths = (90, 20, 35, 35)
    pdf.set_font("Helvetica", "B", 10)
    for width, title, align in zip(widths, ("Omschrijving", "Aantal", "Prijs per stuk",
                                            "Bedrag"), "LRRR", strict=True):
        pdf.cell(width, 7, title, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in invoice["lines"]:
        cells = (line["description"], str(line["quantity"]), _euro(line["unit_price_cents"]),
                 _euro(line["amount_cents"]))
        for width, text, align in zip(widths, cells, "LRRR", strict=True):
            pdf.cell(width, 7, text, align=align)
        pdf.ln()
    pdf.ln(2)
    rate = f"{invoice['vat_rate_bp'] / 100:g}".replace(".", ",")
    for label, cents, bold in (("Totaal excl. btw", invoice["net_cents"], False),
                               (f"Btw {rate} %", invoice["vat_cents"], False),
                               ("Totaal incl. btw", invoice["total_cents"], True)):
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.cell(sum(widths[:3]), 7, label, border="T" if bold else 0, align="R")
        pdf.cell(widths[3], 7, _euro(cents), border="T" if bold else 0, align="R")
        pdf.ln()
    pdf.ln(8)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, "Elke ZORG-ID Smartcard is drie jaar geldig vanaf het moment dat een "
                         "medewerker hem aanmaakt. Vermeld bij betaling het factuurnummer.")
    return bytes(pdf.output())


def invoice_csv(invoice: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def amount(cents: int) -> str:
        return f"{cents / 100:.2f}".replace(".", ",")

    writer.writerow(["factuurnummer", "factuurdatum", "ura", "praktijk", "regel",
                     "omschrijving", "aantal", "prijs_per_stuk_eur", "bedrag_eur"])
    day = NL.day(invoice["issued_at"])
    for line in invoice["lines"]:
        writer.writerow([invoice["invoice_number"], day, invoice["ura"],
                         invoice["practice_name"], line["line_no"], line["description"],
                         line["quantity"], amount(line["unit_price_cents"]),
                         amount(line["amount_cents"])])
    rate = f"{invoice['vat_rate_bp'] / 100:g}".replace(".", ",")
    for label, cents in (("totaal excl. btw", invoice["net_cents"]),
                         (f"btw {rate} %", invoice["vat_cents"]),
                         ("totaal incl. btw", invoice["total_cents"])):
        writer.writerow([invoice["invoice_number"], day, invoice["ura"],
                         invoice["practice_name"], "", label, "", "", amount(cents)])
    return out.getvalue()
