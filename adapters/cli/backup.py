"""`zorgid backup`, `zorgid restore` and `zorgid rekey`: copies of a deployment."""

from __future__ import annotations

from pathlib import Path

import click

from adapters.bootstrap.tools import backup as make_backup
from adapters.bootstrap.tools import restore as restore_backup
from adapters.cli.options import data_dir_option, settings_for
from domain.clock import SystemClock


@click.command()
@data_dir_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new, empty directory for the backup.")
def backup(data_dir: Path, out: Path) -> None:
    """Back up a live deployment: the store (SQLite), the audit chain, keys and tokens.

    Safe while servers run: the hash chain is sealed first and the databases are taken
    as one consistent snapshot each. With PostgreSQL, back up the events with pg_dump;
    this then copies the deployment's files.

    \b
    Example:
      zorgid backup --data-dir /var/lib/zorgid --out /backup/zorgid-2026-12-01
    """
    result = make_backup(settings_for(data_dir), out, SystemClock().now())
    if result.position is not None:
        click.echo(f"backed up events 1..{result.position} and {len(result.files) - 1} other "
                   f"file(s) to {out}{' (chain sealed first)' if result.sealed else ''}")
    else:
        click.echo(f"backed up {len(result.files)} file(s) to {out}; the events are in "
                   "PostgreSQL: back them up with pg_dump (docs/operations.md)")
    click.echo(f"keep {out} as secret as the data directory: it holds the keys")


@click.command()
@data_dir_option
@click.option("--from", "source", type=click.Path(file_okay=False, exists=True,
                                                  path_type=Path), required=True,
              help="A directory made by zorgid backup.")
def restore(data_dir: Path, source: Path) -> None:
    """Restore a backup into a new data directory, check it, and build the views.

    \b
    Example:
      zorgid restore --from /backup/zorgid-2026-12-01 --data-dir /var/lib/zorgid
      zorgid audit verify --data-dir /var/lib/zorgid     # then check the chain
    """
    result = restore_backup(source, settings_for(data_dir))
    if result.position is not None:
        click.echo(f"restored events 1..{result.position} (all readable with the restored "
                   f"key) and {len(result.files) - 1} other file(s); views built")
    else:
        click.echo(f"restored {len(result.files)} file(s); views built from PostgreSQL")
    click.echo(f"next: zorgid audit verify --data-dir {data_dir}")


@click.command()
@data_dir_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new, empty data directory for the re-encrypted store.")
@click.option("--to-database-url", default=None,
              help="With PostgreSQL: the new, empty database (or schema) for the store.")
def rekey(data_dir: Path, out: Path, to_database_url: str | None) -> None:
    """Change the cipher key: write every event again, under a new key, into a new store.

    Stop the servers first. The old store is left as it was (keep it, with its audit
    chain, as the archive); the new one gets a new cipher.key, the same ids and the other
    deployment files, and its own chain sealed with the same seal key.

    \b
    Example:
      zorgid rekey --data-dir /var/lib/zorgid --out /var/lib/zorgid-2027
    """
    from adapters.bootstrap.tools import rekey as rewrite

    result = rewrite(settings_for(data_dir), out, to_database_url, SystemClock().now())
    click.echo(f"{result.events} events written under key {result.new_key_id[:8]} (was "
               f"{result.old_key_id[:8]}) into {out}; every one compared with the original")
    if result.sealed:
        click.echo("the new store's audit chain is sealed; give auditors the same seal.pub")
    click.echo(f"next: point the nodes at {out}, copy its cipher.key to each, start them")
