"""Optimistic concurrency for commands: when another writer saved the same aggregate
first, load again and decide again."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrencyConflict

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

MAX_ATTEMPTS = 12  # backoff of 1.25 s on average, 2.5 s at most, before a conflict


def command(method: Callable[P, R]) -> Callable[P, R]:
    """Run a command with optimistic concurrency: when another writer saved the
    same aggregate first, reload and decide again; after a few tries, give up
    with a clear conflict error. Nothing is appended by a refused attempt."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return method(*args, **kwargs)
            except IntegrityError:
                log.info("%s lost a concurrent write (attempt %d)", method.__name__, attempt)
                if attempt == MAX_ATTEMPTS:
                    raise ConcurrencyConflict() from None
                # Exponential backoff with full jitter (ceilings 4 ms .. 500 ms), so two
                # writers hammering one aggregate stop colliding in lockstep.
                time.sleep(random.uniform(0, min(0.5, 0.002 * 2**attempt)))
        raise AssertionError("unreachable")

    return wrapper
