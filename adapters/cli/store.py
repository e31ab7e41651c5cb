"""Commands on the store itself: init, events (for auditors), expire (a job)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from adapters.bootstrap import init_data_dir, open_lifecycle
from adapters.cli.options import data_dir_option, settings_for
from domain.application import LoggedEvent
from domain.card import PERSONALISATION_TIMEOUT
from domain.identity import Actor
from domain.picture import jsonable


@click.command()
@data_dir_option
def init(data_dir: Path) -> None:
    """Create a data directory with a fresh encryption key (mode 0600).

    \b
    Example:
      zorgid init --data-dir /var/lib/zorgid
    """
    settings = settings_for(data_dir)
    if init_data_dir(settings):
        click.echo(f"initialised {data_dir} (key file {settings.key_path}, readable by you only)")
    else:
        click.echo(f"{data_dir} is already initialised; its key is kept")




def event_json(event: LoggedEvent) -> str:
    record = {
        "position": event.position,
        "type": event.type,
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "timestamp": event.timestamp.isoformat(),
        "actor": event.actor,
        "payload": event.payload,
    }
    return json.dumps(jsonable(record), ensure_ascii=False)


def event_line(event: LoggedEvent) -> str:
    who = event.actor.get("name", "?")
    if event.actor.get("uzi_number"):
        who = f"{who} ({event.actor['uzi_number']})"
    payload = json.dumps(jsonable(event.payload), ensure_ascii=False)
    return (
        f"{event.position:>8}  {event.timestamp.isoformat()}  {event.type:<32} "
        f"{event.originator_id} v{event.originator_version}  by {who}  {payload}"
    )


@click.command()
@data_dir_option
@click.option("--after", type=click.IntRange(min=0), default=0, show_default=True,
              help="Start after this position.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def events(data_dir: Path, after: int, limit: int | None, as_json: bool) -> None:
    """Print the event log in stored order, for auditors.

    \b
    Example:
      zorgid events --data-dir ./data --after 100 --limit 20 --json
    """
    app = open_lifecycle(settings_for(data_dir))
    try:
        render = event_json if as_json else event_line
        for event in app.read_log(after=after, limit=limit):
            click.echo(render(event))
    finally:
        app.close()


@click.command()
@data_dir_option
def expire(data_dir: Path) -> None:
    """Record `Expired` for every card past its end, and abandon personalisations that
    reported nothing for 30 minutes (idempotent; run it daily, or more often).

    \b
    Example:
      zorgid expire --data-dir ./data
    """
    app = open_lifecycle(settings_for(data_dir))
    try:
        expired = app.expire_cards(Actor.system("expiry-job"))
        abandoned = app.abandon_stale_personalisations(Actor.system("expiry-job"))
    finally:
        app.close()
    click.echo(f"{len(expired)} card(s) expired")
    if abandoned:
        click.echo(f"{len(abandoned)} personalisation(s) abandoned: no result in "
                   f"{PERSONALISATION_TIMEOUT.seconds // 60} minutes")


@click.command()
@data_dir_option
def notify(data_dir: Path) -> None:
    """Send the reminders that are due (R17): 90, 30 and 7 days before a card ends, one
    e-mail each to its holder and the managers of its linked practices who left an address.
    Each is recorded before and after the sending, so a second run (or one after a crash)
    never sends one twice. Run it daily, after `zorgid expire`. Needs ZORGID_SMTP_URL.

    \b
    Example:
      ZORGID_SMTP_URL=smtp://zorgid@mail.example:587?starttls=required \\
        zorgid notify --data-dir ./data
    """
    from adapters.bootstrap.tools import send_due_reminders

    outcome = send_due_reminders(settings_for(data_dir))
    click.echo(f"{outcome.sent} reminder(s) sent, {outcome.failed} not accepted by the mail "
               f"server (tried again next run), {outcome.already} sent before")
    for unconfirmed in outcome.unconfirmed:
        click.echo(f"unconfirmed (a run stopped while sending; not sent again): {unconfirmed}",
                   err=True)
