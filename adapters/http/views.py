"""The read models as the HTTP app sees them: caught up with the store when it has
moved on, read through a small pool of connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from domain.application import CardLifecycle
from projections.runner import ApplicationSource, Projector, open_views


class Views:
    """The read models: caught up under a lock (one writer at a time), read through a
    small pool of connections (opening one costs more than most queries)."""

    POOL = 16

    def __init__(self, app: CardLifecycle, path: Path) -> None:
        self.app = app
        self.path = path
        self.lock = threading.Lock()
        self.writer = open_views(path)
        self.projector = Projector(self.writer)  # creates the tables once
        self.source = ApplicationSource(app)
        self.position = self.projector.position()
        self._idle: list[Database] = []
        self._idle_lock = threading.Lock()

    def behind(self) -> bool:
        """Whether the store holds events the views have not seen (one cheap query)."""
        return bool(self.app.head() > self.position)

    def catch_up(self) -> int:
        """Apply what the store has that the views have not; cheap when nothing is new."""
        with self.lock:
            if self.app.head() > self.projector.position():
                self.projector.run_until_caught_up(self.source)
            self.position = self.projector.position()
            return self.position

    @contextmanager
    def reader(self) -> Iterator[Database]:
        """A read connection for one request, returned to the pool afterwards. Reads in
        WAL mode see every committed write, so a client reads its own writes."""
        with self._idle_lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = open_views(self.path)
        try:
            yield db
        finally:
            with self._idle_lock:
                keep = len(self._idle) < self.POOL
                if keep:
                    self._idle.append(db)
            if not keep:
                db.conn.close()

    @contextmanager
    def current(self) -> Iterator[Database]:
        """A pooled read connection on views caught up with the store, for code that runs
        in a worker thread already (the `views` dependency does the same for routes)."""
        if self.behind():
            self.catch_up()
        with self.reader() as db:
            yield db
