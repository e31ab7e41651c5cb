"""`zorgid demo`: seed a store with a deterministic, realistic history."""

from __future__ import annotations

import time
from pathlib import Path

import click

from adapters.bootstrap.tools import demo_history
from adapters.cli.options import data_dir_option, settings_for


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
    started = time.perf_counter()
    summary = demo_history(settings, practices, seed)
    seconds = time.perf_counter() - started
    for line in summary.lines():
        click.echo(line)
    store = "PostgreSQL" if settings.database_url else str(settings.events_path)
    click.echo(f"  took             {seconds:>6.1f} s  (store: {store})")
