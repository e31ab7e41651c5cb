"""`zorgid`: the command line, thin over the application.

Every command takes --data-dir (default $ZORGID_DATA_DIR, else ./data). A refused
command prints one line, `zorgid: <code>: <message>`, and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click
from eventsourcing.persistence import MapperDeserialisationError, PersistenceError

from adapters.cli.audit import audit
from adapters.cli.backup import backup, rekey, restore
from adapters.cli.cards import ca, cards, reader_agent, virtual_card, workstation
from adapters.cli.demo import demo
from adapters.cli.kafka import kafka
from adapters.cli.serve import serve, tokens
from adapters.cli.store import events, expire, init, notify
from adapters.cli.uzi import uzi
from adapters.cli.views import billing, project
from domain.errors import DomainError

EXIT_REFUSED = 1


class ZorgidGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as error:
            click.echo(f"zorgid: {error.code}: {error.message}", err=True)
            sys.exit(EXIT_REFUSED)
        except MapperDeserialisationError:
            click.echo(
                "zorgid: undecodable_event: stored events cannot be decrypted or decoded; "
                "is this the key (cipher.key or ZORGID_CIPHER_KEY) they were written with?",
                err=True,
            )
            sys.exit(EXIT_REFUSED)
        except PersistenceError as error:
            # The store is unreachable or unreadable; say which, in one line.
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            click.echo(f"zorgid: store_error: {type(error).__name__}: {first_line}", err=True)
            sys.exit(EXIT_REFUSED)


@click.group(cls=ZorgidGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG to stderr.")
def cli(verbose: bool) -> None:
    """zorgid: lifecycle of the ZORG-ID Smartcard, event-sourced.

    \b
    Example:
      zorgid init --data-dir ./data
      zorgid demo --data-dir ./data --practices 50 --seed 1
      zorgid events --data-dir ./data --json --limit 5
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


cli.add_command(init)
cli.add_command(demo)
cli.add_command(events)
cli.add_command(expire)
cli.add_command(notify)
cli.add_command(project)
cli.add_command(billing)
cli.add_command(audit)
cli.add_command(kafka)
cli.add_command(uzi)
cli.add_command(ca)
cli.add_command(cards)
cli.add_command(virtual_card)
cli.add_command(reader_agent)
cli.add_command(workstation)
cli.add_command(serve)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(rekey)
cli.add_command(tokens)


def main() -> None:
    # Whatever zorgid writes (stores, views, exports, keys) holds personal data or secrets:
    # the owner's only, unless an operator loosens a file on purpose afterwards.
    os.umask(0o077)
    cli(prog_name="zorgid")
