"""The read models as the HTTP app sees them.

One place projects: `catch_up`, under one lock. It runs after every save of this
process's application (in the saving thread, before the command's response, so a
client reads its own writes), and in a follower thread for what other nodes wrote to a
shared store. Reads never project: a read that finds the store ahead of the views
(another node wrote) wakes the follower and waits for it, so it sees that write too."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from domain.application import CardLifecycle
from projections.runner import ApplicationSource, Projector, open_views

log = logging.getLogger(__name__)


class Views:
    """The read models: projected under a lock (one writer at a time), read through a
    small pool of connections (opening one costs more than most queries)."""

    POOL = 16
    FOLLOW_INTERVAL = 0.25  # seconds between the follower's looks at the store's head
    WAIT = 60.0  # a read waits at most this long for the follower

    def __init__(self, app: CardLifecycle, path: Path) -> None:
        self.app = app
        self.path = path
        self.lock = threading.Lock()
        self.writer = open_views(path)
        self.projector = Projector(self.writer)  # creates the tables once
        self.source = ApplicationSource(app)
        self.position = self.projector.position()
        self.projections = 0  # how often the projector ran (for tests and metrics)
        self._idle: list[Database] = []
        self._idle_lock = threading.Lock()
        self._progress = threading.Condition()
        self._wake = threading.Event()
        self._closed = False
        self._follower: threading.Thread | None = None
        app.on_saved(self._saved)

    def _saved(self, position: int) -> None:
        if position > self.position:
            self.catch_up()

    def behind(self) -> bool:
        """Whether the store holds events the views have not seen (one cheap query)."""
        return bool(self.app.head() > self.position)

    def catch_up(self) -> int:
        """Apply what the store has that the views have not; cheap when nothing is new.
        Only the save hook, the follower and start-up call it."""
        with self.lock:
            if self.app.head() > self.projector.position():
                self.projector.run_until_caught_up(self.source)
                self.projections += 1
            self.position = self.projector.position()
        with self._progress:
            self._progress.notify_all()
        return self.position

    def wait_until_current(self) -> None:
        """Return once the views hold everything the store held when called: at once
        when they do, else after the follower projected it (or WAIT seconds)."""
        head = self.app.head()
        if head <= self.position:
            return
        self._start_follower()
        self._wake.set()
        with self._progress:
            self._progress.wait_for(lambda: self.position >= head or self._closed,
                                    timeout=self.WAIT)

    def start_following(self) -> None:
        """Follow the store from now on (what other nodes write), not only on demand."""
        self._start_follower()

    def _start_follower(self) -> None:
        with self._idle_lock:
            if self._follower is None and not self._closed:
                self._follower = threading.Thread(target=self._follow, name="views-follower",
                                                  daemon=True)
                self._follower.start()

    def _follow(self) -> None:
        while not self._closed:
            self._wake.wait(self.FOLLOW_INTERVAL)
            self._wake.clear()
            if self._closed:
                break
            try:
                self.catch_up()
            except Exception:  # the store or the views unreachable: try again shortly
                log.exception("the views could not catch up with the store")

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        with self._progress:
            self._progress.notify_all()
        if self._follower is not None:
            self._follower.join(5)

    @contextmanager
    def reader(self) -> Iterator[Database]:
        """A read connection for one request, returned to the pool afterwards. Reads in
        WAL mode see every committed write."""
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
        """A pooled read connection on views holding everything the store holds now, for
        code that runs in a worker thread already (the `views` dependency does the same
        for routes)."""
        self.wait_until_current()
        with self.reader() as db:
            yield db
