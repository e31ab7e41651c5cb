"""Options every command shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from adapters.bootstrap import DEFAULT_DATA_DIR, Settings


def data_dir_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ZORGID_DATA_DIR",
        default=DEFAULT_DATA_DIR,
        show_default=True,
        show_envvar=True,
        help="Directory with the event store (events.sqlite3) and the cipher key.",
    )(f)


def settings_for(data_dir: Path) -> Settings:
    return Settings.from_env(data_dir)
