"""The projection runner: follows the notification log into the views, exactly once.

One batch is one SQLite transaction on the views database: the handlers' writes
and every view's new tracking position commit together or not at all. The batch
starts with BEGIN IMMEDIATE and reads the tracking positions inside it, so two
runners on the same database take turns instead of applying a batch twice.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlite_utils import Database

from domain.application import CardLifecycle
from domain.errors import DomainError
from projections.base import Handler, View
from projections.blank_cards import BlankCardsView
from projections.cards import CardsView
from projections.certificates import CertificatesView
from projections.expiry import ExpiryView
from projections.guest_uses import GuestUsesView
from projections.invoices import InvoicesView
from projections.jobs import JobsView
from projections.links import LinksView
from projections.mandates import MandatesView
from projections.orders import OrdersView
from projections.pin_services import PinServicesView
from projections.practices import PracticesView

log = logging.getLogger(__name__)
T = TypeVar("T")

VIEWS_FILE = "views.sqlite3"
BATCH_SIZE = 2000


def all_views() -> list[View]:
    return [PracticesView(), OrdersView(), BlankCardsView(), CardsView(), ExpiryView(),
            GuestUsesView(), MandatesView(), InvoicesView(), CertificatesView(), JobsView(),
            LinksView(), PinServicesView()]


class Notification(Protocol):
    id: int
    topic: str


class EventSource(Protocol):
    """What the runner needs of the event store (CardLifecycle provides it)."""

    def select(self, after: int, limit: int) -> Sequence[Any]: ...

    def to_event(self, notification: Any) -> Any: ...

    def head(self) -> int: ...


@dataclass
class ApplicationSource:
    """Reads a CardLifecycle's notification log in pages."""

    app: CardLifecycle

    def select(self, after: int, limit: int) -> Sequence[Any]:
        return self.app.recorder.select_notifications(after, limit, inclusive_of_start=False)

    def to_event(self, notification: Any) -> Any:
        return self.app.mapper.to_domain_event(notification)

    def head(self) -> int:
        return self.app.head()


REBUILD_BATCH_SIZE = 10_000


def private_database_file(path: Path | str) -> None:
    """Create `path` readable by its owner only, or make it so: the views hold names and
    UZI numbers in the clear. SQLite gives the -wal and -shm files the same mode."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return  # unreadable or a directory: let sqlite3 say why
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except PermissionError:
        pass  # someone else's file: theirs to protect
    finally:
        os.close(fd)


def while_locked(action: Callable[[], T], seconds: float = 30.0) -> T:
    """`action`, tried again while SQLite answers "database is locked".

    The busy timeout does not cover every case: switching a new file to WAL, and a
    transaction that read the schema before another process changed it, fail at once.
    Processes starting together on a fresh data dir meet exactly these, so the schema
    steps (all idempotent) are retried with a growing pause instead of ending the
    process."""
    deadline = time.monotonic() + seconds
    pause = 0.01
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def prepare_wal_file(path: Path | str) -> None:
    """A private SQLite file in WAL mode, switched here with retries so that processes
    opening a new store together do not fail in the switch."""
    private_database_file(path)
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    try:
        while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
    finally:
        conn.close()


def open_views(path: Path | str) -> Database:
    private_database_file(path)
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
    conn.execute("PRAGMA synchronous=NORMAL")
    return Database(conn)


class Projector:
    def __init__(self, db: Database, views: list[View] | None = None,
                 as_of: datetime | None = None) -> None:
        self.db = db
        self.views = views if views is not None else all_views()
        self.as_of = as_of  # build the views as they were at this moment (auditors)
        while_locked(self._create_tables)
        self._routes: dict[str, list[tuple[View, Handler]]] = {}
        for view in self.views:
            for topic, handler in view.handlers().items():
                self._routes.setdefault(topic, []).append((view, handler))

    def _create_tables(self) -> None:
        db = self.db
        db.table("projection_tracking").create({"view": str, "position": int}, pk="view",
                                         if_not_exists=True)
        for view in self.views:
            view.create(db)
            db.conn.execute("INSERT OR IGNORE INTO projection_tracking VALUES (?, 0)",
                            (view.name,))

    def positions(self) -> dict[str, int]:
        rows = self.db.conn.execute("SELECT view, position FROM projection_tracking").fetchall()
        names = {v.name for v in self.views}
        return {view: position for view, position in rows if view in names}

    def position(self) -> int:
        """Where every view has got to (the slowest one)."""
        return min(self.positions().values(), default=0)

    def run_batch(self, source: EventSource, limit: int = BATCH_SIZE,
                  stop: int | None = None) -> int:
        """Apply the next batch; return how many notifications it covered (0: caught up)."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            positions = self.positions()
            start = min(positions.values())
            if stop is not None:
                limit = min(limit, stop - start)
            notifications = source.select(start, limit) if limit > 0 else []
            # Usually every view is at the same position: no per-event filtering then.
            behind = None if len(set(positions.values())) == 1 else positions
            for notification in notifications:
                self._apply(conn, source, notification, behind)
            if notifications:
                last = notifications[-1].id
                conn.executemany(
                    "UPDATE projection_tracking SET position = ? WHERE view = ? AND position < ?",
                    [(last, view.name, last) for view in self.views])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(notifications)

    def _apply(self, conn: sqlite3.Connection, source: EventSource, notification: Any,
               positions: dict[str, int] | None) -> None:
        routes = self._routes.get(notification.topic)
        if not routes:
            return  # no view cares: do not even decode it
        position = notification.id
        if positions is not None:  # some views are ahead: skip what they already have
            routes = [(v, h) for v, h in routes if positions[v.name] < position]
            if not routes:
                return
        event = source.to_event(notification)
        if self.as_of is not None and event.timestamp > self.as_of:
            return
        for _, handler in routes:
            handler(conn, event, position)

    def run_until_caught_up(self, source: EventSource, stop: int | None = None,
                            progress: Callable[[int], None] | None = None) -> int:
        total = 0
        while count := self.run_batch(source, stop=stop):
            total += count
            if progress is not None:
                progress(count)
        return total

    def rebuild_views(self) -> None:
        """Drop every view and reset its position to 0, in one transaction."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for view in self.views:
                view.drop(self.db)
                view.create(self.db)
            conn.executemany("UPDATE projection_tracking SET position = 0 WHERE view = ?",
                             [(v.name,) for v in self.views])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def rebuild(self, source: EventSource, stop: int | None = None,
                progress: Callable[[int], None] | None = None) -> int:
        """Drop every view and build it again from position 0."""
        self.rebuild_views()
        return self.run_until_caught_up(source, stop=stop, progress=progress)

    def follow(self, source: EventSource, poll_seconds: float = 0.5,
               should_stop: Callable[[], bool] = lambda: False,
               batch_size: int = BATCH_SIZE) -> None:
        """Keep the views up to date until told to stop (SQLite has no push: poll)."""
        while not should_stop():
            if not self.run_batch(source, batch_size):
                time.sleep(poll_seconds)


class ViewsInUse(DomainError):
    def __init__(self, path: Path) -> None:
        super().__init__("views_in_use", f"{path} is open in another process (zorgid serve or "
                         "zorgid project --follow); stop those, rebuild, and start them again")


def _release_for_replacement(path: Path) -> None:
    """Fold the old file's write-ahead log in and drop it, so no stale log can be replayed
    onto the new file. SQLite refuses that while another connection has the file open:
    replacing it then would leave that process writing to a deleted file."""
    if not path.exists():
        return
    old = sqlite3.connect(str(path), isolation_level=None, timeout=5)
    try:
        old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = old.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        raise ViewsInUse(path) from None
    finally:
        old.close()
    if mode != "delete":
        raise ViewsInUse(path)


def build_fresh(path: Path, source: EventSource, *, replace: bool = True,
                as_of: datetime | None = None, stop: int | None = None,
                progress: Callable[[int], None] | None = None) -> int:
    """Build every view from position 0 into a new file, then move it to `path` at once.

    The new file is private until the move, so it is written without a journal and
    in large batches (about twice as fast as rebuilding in place); a crash leaves
    the old views untouched. Nothing else may have `path` open while it is replaced.
    """
    scratch = path.with_name(path.name + ".building")
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    if path.exists() and not replace:
        raise FileExistsError(path)
    _release_for_replacement(path)  # fail before a long build, not after it
    try:
        private_database_file(scratch)
        conn = sqlite3.connect(str(scratch), isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-16384")  # 16 MiB: bounded, whatever the store
            projector = Projector(Database(conn), as_of=as_of)
            total = 0
            while count := projector.run_batch(source, REBUILD_BATCH_SIZE, stop=stop):
                total += count
                if progress is not None:
                    progress(count)
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        _release_for_replacement(path)  # someone may have opened it during the build
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    os.replace(scratch, path)
    return total
