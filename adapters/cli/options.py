"""Options every command shares."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from adapters.settings import DEFAULT_DATA_DIR, Settings


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


class Stopper:
    """SIGTERM or Ctrl-C asks a following command to finish its batch and stop cleanly."""

    def __init__(self) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def __call__(self) -> bool:
        return self.stopping
