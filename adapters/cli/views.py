"""Commands on the read models: project (the runner) and billing."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import click

from adapters.bootstrap import open_lifecycle, open_views_db
from adapters.cli.options import Stopper, data_dir_option, settings_for
from domain.errors import InvalidValue
from projections import invoices as invoice_view
from projections.runner import BATCH_SIZE, ApplicationSource, Projector, build_fresh


@click.command()
@data_dir_option
@click.option("--rebuild", is_flag=True, help="Drop every view and build it again from 0.")
@click.option("--follow", is_flag=True, help="Keep following the log until interrupted.")
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE,
              show_default=True, help="Events per transaction.")
@click.option("--poll", type=click.FloatRange(min=0.01), default=0.5, show_default=True,
              help="Seconds between looks at the log when following.")
def project(data_dir: Path, rebuild: bool, follow: bool, batch_size: int, poll: float) -> None:
    """Bring the read models (views.sqlite3) up to date with the event log.

    \b
    Examples:
      zorgid project --data-dir ./data             # catch up once
      zorgid project --data-dir ./data --rebuild   # from position 0
      zorgid project --data-dir ./data --follow    # keep up, for a service
    """
    settings = settings_for(data_dir)
    app = open_lifecycle(settings)
    db = open_views_db(settings)
    projector = Projector(db)
    source = ApplicationSource(app)
    stopping = Stopper()
    try:
        head = app.head()
        if rebuild:
            db.conn.close()
            _rebuild(settings.views_path, source, head)
            db = open_views_db(settings)
            projector = Projector(db)
        behind = max(0, head - projector.position())
        if behind and sys.stdout.isatty():
            with click.progressbar(length=behind, label="projecting") as bar:
                while not stopping() and (n := projector.run_batch(source, batch_size)):
                    bar.update(n)
        else:
            while not stopping() and projector.run_batch(source, batch_size):
                pass
        if follow:
            projector.follow(source, poll, stopping, batch_size)
        click.echo(f"views at position {projector.position()} of {app.head()}")
    finally:
        app.close()
        db.conn.close()


def _rebuild(path: Path, source: ApplicationSource, head: int) -> None:
    if sys.stdout.isatty():
        with click.progressbar(length=head, label="rebuilding") as bar:
            build_fresh(path, source, progress=bar.update)
    else:
        build_fresh(path, source)


PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@click.group()
def billing() -> None:
    """Billing: invoices from the read models.

    \b
    Example:
      zorgid billing invoices --data-dir ./data --period 2026-11 --format csv
    """


@billing.command("invoices")
@data_dir_option
@click.option("--period", required=True, help="Month, YYYY-MM.")
@click.option("--ura", default=None, help="Only this practice.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
def billing_invoices(data_dir: Path, period: str, ura: str | None, fmt: str) -> None:
    """Invoices of a month, with their lines (what a billing job runs).

    \b
    Example:
      zorgid billing invoices --data-dir ./data --period 2026-11 --format csv > 2026-11.csv
    """
    if not PERIOD.fullmatch(period):
        raise InvalidValue("invalid_period", f"{period!r} is not a month such as 2026-11")
    settings = settings_for(data_dir)
    db = open_views_db(settings, must_exist=True)
    rows = invoice_view.invoices(db, period, ura)
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["invoice_number", "order_id", "ura", "practice_name", "issued_at",
                     "line_no", "description", "quantity", "unit_price_cents", "amount_cents",
                     "net_cents", "vat_rate_bp", "vat_cents", "total_cents"])
    for row in rows:
        for line in row["lines"]:
            writer.writerow([row["invoice_number"], row["order_id"], row["ura"],
                             row["practice_name"], row["issued_at"], line["line_no"],
                             line["description"], line["quantity"], line["unit_price_cents"],
                             line["amount_cents"], row["net_cents"], row["vat_rate_bp"],
                             row["vat_cents"], row["total_cents"]])
    click.echo(out.getvalue(), nl=False)
