"""link_requests and link_invitations: the open halves of a link's consent (R7), for the
managers who approve and the people who accept."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from domain.card import Card
from domain.practice import Practice
from projections.base import Handler, View, ts


class LinksView(View):
    name = "links"
    tables = ("link_requests", "link_invitations", "link_practices")

    def create(self, db: Database) -> None:
        db.table("link_requests").create(
            {"card_id": str, "ura": str, "requested_at": str}, pk=("card_id", "ura"),
            if_not_exists=True)
        db.table("link_requests").create_index(["ura"], if_not_exists=True)
        db.table("link_invitations").create(
            {"ura": str, "uzi_number": str, "invited_at": str, "invited_by": str},
            pk=("ura", "uzi_number"), if_not_exists=True)
        db.table("link_invitations").create_index(["uzi_number"], if_not_exists=True)
        # this view's own map from practice id to URA and name (practice events carry no URA)
        db.table("link_practices").create(
            {"practice_id": str, "ura": str, "name": str}, pk="practice_id", if_not_exists=True)

    def handlers(self) -> dict[str, Handler]:
        return {
            Practice.Registered.TOPIC: self.registered,
            Card.LinkRequested.TOPIC: self.requested,
            Card.LinkRequestEnded.TOPIC: self.request_ended,
            Card.LinkedToPractice.TOPIC: self.request_ended,
            Practice.LinkInvitationSent.TOPIC: self.invited,
            Practice.LinkInvitationEnded.TOPIC: self.invitation_ended,
        }

    def registered(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT OR REPLACE INTO link_practices VALUES (?, ?, ?)",
                     (str(e.originator_id), e.ura, e.name))

    def requested(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("INSERT OR REPLACE INTO link_requests VALUES (?, ?, ?)",
                     (str(e.originator_id), e.ura, ts(e.timestamp)))

    def request_ended(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute("DELETE FROM link_requests WHERE card_id = ? AND ura = ?",
                     (str(e.originator_id), e.ura))

    def invited(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO link_invitations SELECT ura, ?, ?, ? FROM link_practices "
            "WHERE practice_id = ?",
            (e.uzi_number, ts(e.timestamp), e.actor.get("name"), str(e.originator_id)))

    def invitation_ended(self, conn: sqlite3.Connection, e: Any, position: int) -> None:
        conn.execute(
            "DELETE FROM link_invitations WHERE uzi_number = ? AND ura = "
            "(SELECT ura FROM link_practices WHERE practice_id = ?)",
            (e.uzi_number, str(e.originator_id)))


def requests_to(db: Database, ura: str) -> list[dict[str, Any]]:
    """The open requests of holders to link their card to this practice."""
    return list(db.query(
        "SELECT r.card_id, r.ura, r.requested_at, c.serial, c.holder_uzi_number, "
        "c.holder_name FROM link_requests r LEFT JOIN cards c USING (card_id) "
        "WHERE r.ura = ? ORDER BY r.requested_at, r.card_id", [ura]))


def requests_of_card(db: Database, card_id: str) -> list[dict[str, Any]]:
    """The practices this card asked to be linked to: URA and name."""
    return list(db.query(
        "SELECT r.ura, p.name AS practice_name FROM link_requests r LEFT JOIN link_practices "
        "p USING (ura) WHERE r.card_id = ? ORDER BY r.ura", [card_id]))


def invitations_of_practice(db: Database, ura: str) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT ura, uzi_number, invited_at, invited_by FROM link_invitations WHERE ura = ? "
        "ORDER BY invited_at, uzi_number", [ura]))


def invitations_for(db: Database, uzi_number: str) -> list[dict[str, Any]]:
    """The practices that invited this person to link their card."""
    return list(db.query(
        "SELECT i.ura, p.name AS practice_name, i.invited_at, i.invited_by "
        "FROM link_invitations i LEFT JOIN link_practices p USING (ura) "
        "WHERE i.uzi_number = ? ORDER BY i.invited_at, i.ura", [uzi_number]))
