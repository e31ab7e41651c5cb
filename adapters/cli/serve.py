"""`zorgid serve` (the HTTP API) and `zorgid tokens` (service tokens)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from adapters.bootstrap import SERVICE_ROLES, ConfigurationError
from adapters.cli.options import data_dir_option, settings_for


@click.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--dev", is_flag=True,
              help="Demo mode: demo data on first start and a marked demo login page.")
@click.option("--allow-plaintext", is_flag=True,
              help="Serve a store without an encryption key (names and UZI numbers then lie "
                   "on disk in the clear). Refused without this flag.")
def serve(data_dir: Path, host: str, port: int, dev: bool, allow_plaintext: bool) -> None:
    """Serve the HTTP API and the portal (behind a TLS proxy that forwards client
    certificates).

    \b
    Examples:
      ZORGID_TRUSTED_PROXIES=127.0.0.1 zorgid serve --data-dir ./data --port 8000
      zorgid serve --dev --data-dir ./demo     # then open http://127.0.0.1:8000/portal
    """
    import uvicorn

    from adapters.bootstrap.server import server_app
    from adapters.bootstrap.tools import server_demo_data

    settings = settings_for(data_dir)
    if dev:
        server_demo_data(settings, click.echo)
    if settings.resolved_cipher_key() is None:
        if not allow_plaintext:
            raise ConfigurationError(
                f"the store of {data_dir} has no encryption key, so names and UZI numbers "
                f"would be stored in the clear; run zorgid init --data-dir {data_dir} before "
                "the first event, or pass --allow-plaintext for a store that is meant to be so")
        click.echo("WARNING: serving a store WITHOUT ENCRYPTION: names and UZI numbers are "
                   "stored in the clear (--allow-plaintext)", err=True)
    app = server_app(settings, dev)
    if dev:
        click.echo(f"DEMO: open http://{host}:{port}/portal and pick a demo identity; "
                   f"the API is at http://{host}:{port}/docs")
    # proxy_headers off: the trusted-proxy check must see the real peer, never an address
    # a client wrote into X-Forwarded-For
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


@click.group()
def tokens() -> None:
    """Service tokens for fulfilment, billing, auditors and operators (/metrics).

    \b
    Example:
      zorgid tokens create --data-dir ./data --role billing
    """


@tokens.command("create")
@data_dir_option
@click.option("--role", type=click.Choice(SERVICE_ROLES), required=True,
              help="fulfilment ships orders, billing reads invoices, auditor reads the event "
                   "log, operator scrapes /metrics.")
@click.option("--label", default="", help="What the token is for, shown by tokens list.")
def tokens_create(data_dir: Path, role: str, label: str) -> None:
    """Create a token and print it alone on stdout (it is stored hashed; keep it safe).

    \b
    Example:
      zorgid tokens create --data-dir ./data --role fulfilment --label webshop > fulfilment.token
    """
    from adapters.bootstrap.server import create_token

    click.echo(create_token(settings_for(data_dir), role, label))


@tokens.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per token.")
def tokens_list(data_dir: Path, as_json: bool) -> None:
    """The service tokens: id, role, label, created, last used (never the token itself).

    \b
    Example:
      zorgid tokens list --data-dir ./data
    """
    from adapters.bootstrap.server import token_store

    entries = token_store(settings_for(data_dir)).entries()
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry))
        return
    if not entries:
        click.echo("no service tokens; create one with: zorgid tokens create --role ...")
        return
    click.echo(f"{'id':12}  {'role':10}  {'created':16}  {'last used':16}  label")
    for e in entries:
        click.echo(f"{e['id']:12}  {e['role']:10}  {e['created'][:16]:16}  "
                   f"{(e['last_used'] or 'never')[:16]:16}  {e['label']}")


@tokens.command("withdraw")
@data_dir_option
@click.argument("token_id")
def tokens_withdraw(data_dir: Path, token_id: str) -> None:
    """Withdraw a token by its id (from tokens list): it logs in no more, at once.

    \b
    Example:
      zorgid tokens withdraw --data-dir ./data 3f2a9c41d0b7
    """
    from adapters.bootstrap.server import token_store

    gone = token_store(settings_for(data_dir)).withdraw(token_id)
    click.echo(f"withdrew token {gone['id']} ({gone['role']}"
               + (f", {gone['label']}" if gone["label"] else "") + ")")
