"""`zorgid demo`: seed a store with a deterministic, realistic history."""

from __future__ import annotations

import time
from pathlib import Path

import click

from adapters.bootstrap import demo_personal_ids_key, init_data_dir, open_lifecycle
from adapters.cli.options import data_dir_option, settings_for
from adapters.demo import DEMO_START, DemoScenario
from domain.clock import ManualClock
from domain.errors import RuleViolation


@click.command()
@data_dir_option
@click.option("--practices", type=click.IntRange(min=1, max=20_000), default=50,
              show_default=True, help="How many practices.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Same seed, same history.")
def demo(data_dir: Path, practices: int, seed: int) -> None:
    """Fill an empty store with a realistic history, then print a summary.

    \b
    Example:
      zorgid demo --data-dir ./demo-data --practices 50 --seed 7
    """
    settings = settings_for(data_dir)
    if not settings.database_url:
        init_data_dir(settings, demo_personal_ids_key(seed))
    app = open_lifecycle(settings, clock=ManualClock(DEMO_START))
    try:
        if app.head() > 0:
            raise RuleViolation(
                "store_not_empty",
                "the demo writes a fresh history and needs an empty store; "
                "choose another --data-dir",
            )
        started = time.perf_counter()
        summary = DemoScenario(app, practices, seed).run()
        seconds = time.perf_counter() - started
    finally:
        app.close()
    for line in summary.lines():
        click.echo(line)
    store = "PostgreSQL" if settings.database_url else str(settings.events_path)
    click.echo(f"  took             {seconds:>6.1f} s  (store: {store})")
