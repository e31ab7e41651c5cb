"""personalisation_jobs: each card creation's job, so a remote reader agent can be
given its card, and anyone can follow its progress."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from projections.base import Handler, View, ts


class JobsView(View):
    name = "personalisation_jobs"
    tables = ("personalisation_jobs", "personalisation_job_claims")

    def create(self, db: Database) -> None:
        db.table("personalisation_jobs").create(
            {"job_id": str, "card_id": str, "holder_uzi_number": str, "started_at": str,
             "status": str, "step": str, "updated_at": str},
            pk="job_id", if_not_exists=True)
        db.table("personalisation_jobs").create_index(["card_id"], if_not_exists=True)
        db.table("personalisation_jobs").create_index(["status", "started_at"],
                                                      if_not_exists=True)
        db.table("personalisation_job_claims").create(
            {"job_id": str, "workstation": str, "claimed_at": str}, pk="job_id",
            if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Card.CreationStarted.TOPIC: self.started,
            Card.JobClaimed.TOPIC: self.claimed,
            Card.CertificatesIssued.TOPIC: self.certified,
            Card.Activated.TOPIC: self.activated,
            Card.PersonalisationFailed.TOPIC: self.failed,
        }

    def started(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO personalisation_jobs VALUES (?, ?, ?, ?, 'started', NULL, ?)",
                     (str(e.job_id), str(e.originator_id), e.holder["uzi_number"],
                      ts(e.timestamp), ts(e.timestamp)))

    def claimed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT INTO personalisation_job_claims VALUES (?, ?, ?)",
                     (str(e.job_id), e.workstation, ts(e.timestamp)))

    def _set(self, conn: sqlite3.Connection, e: Any, status: str,
             step: str | None = None) -> None:
        conn.execute("UPDATE personalisation_jobs SET status = ?, step = ?, updated_at = ? "
                     "WHERE card_id = ? AND status IN ('started', 'certificates_issued')",
                     (status, step, ts(e.timestamp), str(e.originator_id)))

    def certified(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "certificates_issued")

    def activated(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "activated")

    def failed(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        self._set(conn, e, "failed", e.step)


def job(db: Database, job_id: str) -> dict[str, Any] | None:
    """A job, with the workstation that claimed it and when (None before)."""
    rows = list(db.query("SELECT j.*, c.workstation, c.claimed_at FROM personalisation_jobs j "
                         "LEFT JOIN personalisation_job_claims c USING (job_id) "
                         "WHERE j.job_id = ?", [job_id]))
    return rows[0] if rows else None


def pairable(db: Database, since: str) -> list[dict[str, Any]]:
    """Jobs a pairing code may still name: started since `since`, not yet claimed."""
    return list(db.query("SELECT j.job_id, j.card_id, j.holder_uzi_number, j.started_at "
                         "FROM personalisation_jobs j LEFT JOIN personalisation_job_claims c "
                         "USING (job_id) WHERE j.status = 'started' AND j.started_at >= ? "
                         "AND c.job_id IS NULL", [since]))


def latest_of_holder(db: Database, uzi_number: str, since: str) -> dict[str, Any] | None:
    """The holder's newest job started since `since`, for a portal page opened without
    naming it."""
    rows = list(db.query("SELECT job_id FROM personalisation_jobs WHERE holder_uzi_number = ? "
                         "AND started_at >= ? ORDER BY started_at DESC LIMIT 1",
                         [uzi_number, since]))
    return job(db, rows[0]["job_id"]) if rows else None
