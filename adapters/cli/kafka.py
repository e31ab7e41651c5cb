"""`zorgid kafka`: publish the event stream, and consume it elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import click

from adapters.bootstrap import streams
from adapters.bootstrap.streams import CONNECT_ATTEMPTS, DEFAULT_TOPIC, PAGE_SIZE
from adapters.cli.options import Stopper, data_dir_option, settings_for


def bootstrap_option(f):
    f = click.option("--connect-attempts", type=click.IntRange(min=1),
                     default=CONNECT_ATTEMPTS, show_default=True,
                     help="Tries to reach the broker, with backoff, before giving up.")(f)
    f = click.option("--topic", default=DEFAULT_TOPIC, show_default=True)(f)
    return click.option("--bootstrap", required=True, envvar="ZORGID_KAFKA_BOOTSTRAP",
                        show_envvar=True, help="HOST:PORT[,HOST:PORT...] of the cluster.")(f)


@click.group()
def kafka() -> None:
    """Publish every event to Kafka, and build read models from it elsewhere.

    \b
    Example:
      zorgid kafka relay --data-dir ./data --bootstrap kafka1:9092 --until-caught-up
    """


@kafka.command()
@data_dir_option
@bootstrap_option
@click.option("--until-caught-up", is_flag=True,
              help="Publish up to the current head, exit 0 once Kafka acknowledged all.")
@click.option("--personal-data", is_flag=True,
              help="This topic may carry names and UZI numbers (otherwise left out).")
@click.option("--partitions", type=click.IntRange(min=1), default=6, show_default=True,
              help="For a topic that does not exist yet.")
@click.option("--replication-factor", type=click.IntRange(min=1), default=1, show_default=True,
              help="For a topic that does not exist yet (3 on a production cluster).")
@click.option("--page-size", type=click.IntRange(min=1), default=PAGE_SIZE, show_default=True)
@click.option("--poll", type=click.FloatRange(min=0.01), default=0.5, show_default=True)
def relay(data_dir: Path, bootstrap: str, topic: str, connect_attempts: int,
          until_caught_up: bool, personal_data: bool, partitions: int,
          replication_factor: int, page_size: int, poll: float) -> None:
    """Follow the event log and publish every event (at least once, in order per aggregate).

    \b
    Example:
      zorgid kafka relay --data-dir ./data --bootstrap 127.0.0.1:9092 --topic zorgid.events
    """
    settings = settings_for(data_dir)
    stopper = Stopper()
    if streams.ensure_topic(bootstrap, topic, partitions, replication_factor,
                            connect_attempts):
        click.echo(f"created topic {topic} ({partitions} partitions, "
                   f"replication factor {replication_factor})", err=True)
    stats = streams.relay_to_topic(settings, bootstrap, topic, connect_attempts, personal_data,
                                   page_size, until_caught_up, poll, stopper)
    click.echo(f"published {stats.published} event(s) to {topic}; acknowledged up to "
               f"position {stats.position}")


@kafka.command("project")
@data_dir_option
@bootstrap_option
@click.option("--group", required=True, help="Consumer group: one per copy of the views.")
@click.option("--follow", is_flag=True, help="Keep consuming until interrupted.")
def kafka_project(data_dir: Path, bootstrap: str, topic: str, connect_attempts: int, group: str,
                  follow: bool) -> None:
    """Build the read models from the topic instead of the local log.

    The topic must carry personal data (relay --personal-data): the views hold names.

    \b
    Example:
      zorgid kafka project --data-dir ./replica --bootstrap kafka1:9092 --group views-dc2
    """
    stopper = Stopper()
    position = streams.project_from_topic(settings_for(data_dir), bootstrap, topic,
                                          connect_attempts, group, follow, stopper)
    click.echo(f"views at position {position} from {topic}")


@kafka.command("billing-totals")
@bootstrap_option
@click.option("--group", default="billing-totals", show_default=True)
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="SQLite file for the totals.")
@click.option("--idle", type=click.FloatRange(min=0.5), default=3.0, show_default=True,
              help="Stop after this many quiet seconds.")
def billing_totals(bootstrap: str, topic: str, connect_attempts: int, group: str, state: Path,
                   idle: float) -> None:
    """An example billing consumer: invoice totals per practice, in integer cents.

    \b
    Example:
      zorgid kafka billing-totals --bootstrap kafka1:9092 --state totals.sqlite3
    """
    totals = streams.billing_totals(bootstrap, topic, connect_attempts, group, state, idle)
    for ura, figures in totals.items():
        click.echo(json.dumps({"ura": ura, **figures}))


@kafka.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("docs/events"), show_default=True)
def schemas(out: Path) -> None:
    """Write the JSON Schema of every published event type.

    \b
    Example:
      zorgid kafka schemas --out docs/events
    """
    for path in streams.write_schemas(out):
        click.echo(str(path))



