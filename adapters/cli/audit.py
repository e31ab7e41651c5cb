"""`zorgid audit`: the auditor's tools. They read the event store itself."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from adapters.bootstrap import open_lifecycle
from adapters.bootstrap import tools as audit_tools
from adapters.cli.options import data_dir_option, settings_for
from domain.application import LoggedEvent
from domain.clock import parse_timestamp
from domain.errors import InvalidValue, RuleViolation
from domain.picture import jsonable
from projections.base import ts
from projections.runner import ApplicationSource, build_fresh, open_views

EXIT_TAMPERED = 1
EXIT_WRONG_KEY = 3  # nothing is known about the store: the key given is not the seal's


def timestamp_option(value: str | None) -> datetime | None:
    return parse_timestamp(value) if value is not None else None


@click.group()
def audit() -> None:
    """Auditors' tools: history, as-of, export, seal and verify.

    \b
    Example:
      zorgid audit history ZID000000001 --at 2025-01-01T00:00:00Z --data-dir ./data
    """


@audit.command()
@data_dir_option
@click.argument("target")
@click.option("--at", "at_text", default=None, help="ISO 8601 moment with zone (default: now).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
def history(data_dir: Path, target: str, at_text: str | None, as_json: bool) -> None:
    """Every event of a card or practice, and its state at a moment.

    TARGET is a card id or serial, or a practice id or URA. The state is replayed
    from the event store, not read from the views.

    \b
    Example:
      zorgid audit history 90000382 --at 2026-06-30T23:59:59Z --data-dir ./data
    """
    at = timestamp_option(at_text)
    result = audit_tools.history(settings_for(data_dir), target, at)
    if as_json:
        click.echo(json.dumps(jsonable({
            "at": result.at.isoformat(),
            "events": [_event_record(e, with_position=False) for e in result.events],
            "state": result.state,
        }), ensure_ascii=False))
        return
    for event in result.events:
        who = event.actor.get("name", "?")
        payload = json.dumps(jsonable(event.payload), ensure_ascii=False)
        click.echo(f"v{event.originator_version:<4} {event.timestamp.isoformat()}  "
                   f"{event.type:<30} by {who}  {payload}")
    click.echo(f"state at {result.at.isoformat()}:")
    click.echo(json.dumps(jsonable(result.state), indent=2, ensure_ascii=False))


@audit.command("as-of")
@data_dir_option
@click.argument("timestamp")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="New SQLite file for the read models as they were.")
def as_of(data_dir: Path, timestamp: str, out: Path) -> None:
    """Build every read model as it was at TIMESTAMP into a separate SQLite file.

    \b
    Example:
      zorgid audit as-of 2025-12-31T23:59:59Z --out views-2025.sqlite3 --data-dir ./data
    """
    moment = parse_timestamp(timestamp)
    if out.exists():
        raise RuleViolation("output_exists", f"{out} exists; choose a new file")
    app = open_lifecycle(settings_for(data_dir))
    try:
        first = next(app.read_log(limit=1), None)
        if first is None or moment < first.timestamp:
            raise RuleViolation("before_first_event",
                                "the store has no events at or before that moment")
        build_fresh(out, ApplicationSource(app), replace=False, as_of=moment)
        db = open_views(out)
        try:
            _freeze_status(db.conn, moment)
        finally:
            db.conn.close()
    finally:
        app.close()
    click.echo(f"read models as of {moment.isoformat()} written to {out}")


def _freeze_status(conn: sqlite3.Connection, moment: datetime) -> None:
    """The file is a picture of one moment: write the status that held then (R11)."""
    conn.execute("UPDATE cards SET status = 'expired' WHERE status IN ('active', 'suspended') "
                 "AND expires_at <= ?", (ts(moment),))
    conn.execute("CREATE TABLE as_of (moment TEXT)")
    conn.execute("INSERT INTO as_of VALUES (?)", (ts(moment),))


def _event_record(event: LoggedEvent, with_position: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if with_position:
        record["position"] = event.position
    record.update({
        "type": event.type,
        "topic": event.topic,
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "timestamp": event.timestamp.isoformat(),
        "actor": dict(sorted(event.actor.items())),
        "payload": dict(sorted(event.payload.items())),
    })
    return record


@audit.command()
@data_dir_option
@click.option("--from", "first", type=click.IntRange(min=1), default=1, show_default=True,
              help="First position.")
@click.option("--to", "last", type=click.IntRange(min=1), default=None, help="Last position.")
def export(data_dir: Path, first: int, last: int | None) -> None:
    """The event log as JSON Lines with a stable field order, for archiving.

    \b
    Example:
      zorgid audit export --from 1 --to 100000 --data-dir ./data > archive-1.jsonl
    """
    if last is not None and last < first:
        raise InvalidValue("invalid_range", f"--to {last} is before --from {first}")
    app = open_lifecycle(settings_for(data_dir))
    try:
        limit = None if last is None else last - first + 1
        for event in app.read_log(after=first - 1, limit=limit):
            click.echo(json.dumps(jsonable(_event_record(event)), ensure_ascii=False))
    finally:
        app.close()


@audit.command()
@data_dir_option
def seal(data_dir: Path) -> None:
    """Extend the hash chain to the head of the log and sign a checkpoint (Ed25519).

    The first run creates seal.key (private, mode 0600) and seal.pub (give it to
    auditors) in the data directory.

    \b
    Example:
      zorgid audit seal --data-dir ./data
    """
    settings = settings_for(data_dir)
    result = audit_tools.seal(settings)
    if result.new_key:
        click.echo(f"created seal key {result.key_id}: give "
                   f"{audit_tools.seal_public_key_file(settings)} to auditors")
    if result.last < result.first:
        click.echo(f"nothing new to seal; chain at position {result.last}")
    else:
        click.echo(f"sealed positions {result.first}..{result.last}; signed checkpoint(s) at "
                   f"{', '.join(map(str, result.checkpoints))} with key {result.key_id}")


@audit.command()
@data_dir_option
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The seal's public key (default: seal.pub in the data directory).")
@click.option("--audit-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The chain (default: audit.sqlite3 in the data directory).")
def verify(data_dir: Path, public_key: Path | None, audit_file: Path | None) -> None:
    """Check the store against the hash chain and its signed checkpoints.

    Exits 0 only when everything sealed is intact; otherwise (exit 1) names the first
    position where events were modified, deleted, inserted or reordered, or where the
    chain file itself was changed. A public key that is not the seal's exits 3.

    \b
    Example:
      zorgid audit verify --data-dir ./copy --public-key seal.pub
    """
    verdict = audit_tools.verify_seal(settings_for(data_dir), public_key, audit_file)
    if verdict.last_checkpoint:
        position, sealed_at, kid = verdict.last_checkpoint
        checkpoint = f"last signed checkpoint at position {position} ({sealed_at}, key {kid})"
    else:
        checkpoint = "no valid signed checkpoint"
    if verdict.finding is not None:
        finding = verdict.finding
        if finding.kind == "wrong_key":
            click.echo(f"signature does not verify with this key: {finding.detail}")
            raise SystemExit(EXIT_WRONG_KEY)
        if finding.kind == "chain_file_altered":
            click.echo(f"CHAIN FILE ALTERED at position {finding.position}: {finding.detail}; "
                       f"{checkpoint}")
            raise SystemExit(EXIT_TAMPERED)
        click.echo(f"TAMPERED at position {finding.position}: {finding.kind}: "
                   f"{finding.detail}; {checkpoint}")
        raise SystemExit(EXIT_TAMPERED)
    click.echo(f"intact: positions 1..{verdict.sealed_to} match the seal; {checkpoint}"
               + (f"; {verdict.unsealed} newer event(s) not sealed yet" if verdict.unsealed
                  else ""))
