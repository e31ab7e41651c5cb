"""`zorgid uzi`: UZI pass certificates."""

from __future__ import annotations

import json
from pathlib import Path

import click

from adapters.bootstrap import certificate_inspector, load_certificates
from adapters.cli.options import data_dir_option
from domain.clock import SystemClock, parse_timestamp
from domain.errors import InvalidValue

UZI_CARD_TYPES = ("Z", "N", "M", "S")  # the card types a UZI pass has


@click.group()
def uzi() -> None:
    """UZI pass certificates.

    \b
    Example:
      zorgid uzi inspect pass.pem --trust uzi-roots.pem --json
    """


@uzi.command()
@data_dir_option
@click.argument("certificate", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--trust", "trust", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="PEM file with the trust anchors (root certificates).")
@click.option("--crl", "crls", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A CRL to check revocation against (repeatable).")
@click.option("--at", "at_text", default=None, help="Moment to judge at (default: now).")
@click.option("--ca-oid", "ca_oids", multiple=True, metavar="TYPE=OID",
              help="Accept OID as CA OID for card TYPE, besides production (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def inspect(data_dir: Path, certificate: Path, trust: Path | None, crls: tuple[Path, ...],
            at_text: str | None, ca_oids: tuple[str, ...], as_json: bool) -> None:
    """Print the identity on a UZI certificate and whether it is valid; exit 0 only then.

    CERTIFICATE is a PEM file (the certificate, then any intermediates) or DER.

    \b
    Example:
      zorgid uzi inspect pass.pem --trust roots.pem --crl ca.crl --at 2026-11-28T12:00:00Z
    """
    at = parse_timestamp(at_text) if at_text else SystemClock().now()
    leaf, *chain = load_certificates(certificate)
    extra: dict[str, set[str]] = {}
    for item in ca_oids:
        card_type, _, oid = item.partition("=")
        if card_type.upper() not in UZI_CARD_TYPES or not oid:
            raise InvalidValue("invalid_ca_oid", f"{item!r} is not TYPE=OID (Z=2.16...)")
        extra.setdefault(card_type.upper(), set()).add(oid)
    verdict = certificate_inspector(trust, chain, crls, extra).check(leaf, at)
    identity = verdict.identity
    record = {
        "uzi_number": identity.uzi_number if identity else None,
        "card_type": identity.card_type if identity else None,
        "ura": identity.ura if identity else None,
        "role": identity.role if identity else None,
        "agb": identity.agb if identity else None,
        "ca_oid": identity.ca_oid if identity else None,
        "name": identity.name if identity else None,
        "not_before": identity.not_before.isoformat() if identity else None,
        "not_after": identity.not_after.isoformat() if identity else None,
        "serial_number": identity.serial_number if identity else None,
        "at": at.isoformat(),
        "valid": verdict.valid,
        "reason": verdict.reason,
        "detail": verdict.detail,
    }
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        if identity:
            click.echo(f"{identity.name}, UZI {identity.uzi_number}, card type "
                       f"{identity.card_type}, URA {identity.ura}, role {identity.role}, "
                       f"AGB {identity.agb}")
            click.echo(f"CA OID {identity.ca_oid}; valid {identity.not_before.isoformat()} "
                       f"to {identity.not_after.isoformat()}")
        click.echo(f"{'VALID' if verdict.valid else 'NOT VALID'}: {verdict.reason}: "
                   f"{verdict.detail}")
    if not verdict.valid:
        raise SystemExit(1)
