"""Who may log in: the checker of people's client certificates (UZI passes and our own
cards) against the trust anchors, the UZI CA OIDs and the CRLs the settings name; and
the check of the UZI pass an employee creates their card with at a workstation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509

from adapters.pki.uzi import PRODUCTION_CA_OIDS, UziValidator, Verdict
from adapters.settings import ConfigurationError, Settings
from domain.errors import InvalidValue, RuleViolation


def load_certificates(path: Path) -> list[x509.Certificate]:
    """The certificates of a PEM file (in order) or the one of a DER file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidValue("unreadable_file", f"cannot read {path}: {error.strerror}") from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise InvalidValue("invalid_certificate",
                           f"{path} holds no PEM or DER certificate") from None


def load_crls(paths: tuple[Path, ...]) -> list[x509.CertificateRevocationList]:
    crls = []
    for path in paths:
        data = path.read_bytes()
        try:
            crls.append(x509.load_pem_x509_crl(data) if b"-----BEGIN" in data
                        else x509.load_der_x509_crl(data))
        except ValueError:
            raise InvalidValue("invalid_crl", f"{path} holds no CRL") from None
    return crls


def uzi_pass_validator(settings: Settings) -> UziValidator:
    """The check of the UZI-medewerkerspas a card is created with (card type N), against
    the UZI roots at ZORGID_UZI_TRUST and the CRLs of ZORGID_UZI_CRLS."""
    trust = settings.uzi_trust_path
    if not trust.exists():
        raise RuleViolation("uzi_trust_not_configured",
                            f"no UZI trust anchors at {trust}; install the UZI root "
                            "certificates there or set ZORGID_UZI_TRUST")
    return UziValidator(load_certificates(trust), (), load_crls(settings.uzi_crl_files),
                        uzi_ca_oids(settings), ("N",))


def certificate_inspector(anchors_file: Path | None, intermediates: list[x509.Certificate],
                          crl_files: tuple[Path, ...],
                          extra_ca_oids: dict[str, set[str]]) -> UziValidator:
    """`zorgid uzi inspect`'s validator: any UZI card type, production CA OIDs plus the
    given ones; the chain comes with the certificate."""
    mapping: dict[str, set[str]] = {k: {v} for k, v in PRODUCTION_CA_OIDS.items()}
    for card_type, oids in extra_ca_oids.items():
        mapping.setdefault(card_type, set()).update(oids)
    anchors = load_certificates(anchors_file) if anchors_file else []
    return UziValidator(anchors, intermediates, load_crls(crl_files), mapping,
                        ("Z", "N", "M", "S"))


def client_certificate_checker(settings: Settings, card_ca: x509.Certificate | None,
                               card_ca_oid: str,
                               extra_anchors: list[x509.Certificate] | None = None
                               ) -> CertificateChecker:
    """The validator for people's client certificates: the UZI CAs of
    ``ZORGID_TRUST_ANCHORS`` (and any given), our card CA, ``ZORGID_UZI_CRLS``,
    production CA OIDs plus ``ZORGID_UZI_CA_OIDS`` and our own for card type N."""
    anchors = list(extra_anchors or [])
    intermediates: list[x509.Certificate] = []
    bundle = settings.trust_anchors_file
    if bundle and not bundle.is_file():
        raise ConfigurationError(f"ZORGID_TRUST_ANCHORS names {bundle}, which does not exist; "
                                 "give the PEM file of the UZI CA certificates",
                                 "trust_anchors_missing")
    for file in settings.uzi_crl_files:
        if not file.is_file():
            raise ConfigurationError(f"ZORGID_UZI_CRLS names {file}, which does not exist",
                                     "crl_file_missing")
    if bundle:
        # Roots (self-signed) are trust anchors; the CA certificates under them in the
        # bundle complete chains, since a TLS proxy forwards the client's leaf only.
        for certificate in x509.load_pem_x509_certificates(bundle.read_bytes()):
            self_signed = certificate.issuer == certificate.subject
            (anchors if self_signed else intermediates).append(certificate)
    if card_ca is not None:
        anchors.append(card_ca)
    mapping = uzi_ca_oids(settings)
    mapping["N"].add(card_ca_oid)
    crl_files = list(settings.uzi_crl_files)

    def read_crls() -> list[x509.CertificateRevocationList]:
        return load_crls(tuple(crl_files))

    validator = UziValidator(anchors, intermediates, read_crls(), mapping, ("Z", "N"),
                             card_ca=card_ca, card_ca_oid=card_ca_oid if card_ca else None)
    return CertificateChecker(validator, crl_files, read_crls)


def uzi_ca_oids(settings: Settings) -> dict[str, set[str]]:
    """The CA OIDs accepted per card type: production's, and the configured extra ones."""
    mapping: dict[str, set[str]] = {k: {v} for k, v in PRODUCTION_CA_OIDS.items()}
    for card_type, oid in settings.uzi_ca_oids:
        mapping.setdefault(card_type, set()).add(oid)
    return mapping


class CertificateChecker:
    """The verdict on a client certificate, with the CRL files read again whenever they
    changed (a job fetches the UZI-register's lists; one past its nextUpdate refuses
    logins). `generation()` changes with them, so cached verdicts end at once."""

    def __init__(self, validator: UziValidator, crl_files: list[Path],
                 read_crls: Callable[[], list[x509.CertificateRevocationList]]) -> None:
        self.validator = validator
        self.crl_files = crl_files
        self.read_crls = read_crls
        self.seen = self.generation()

    def generation(self) -> tuple[tuple[int, int, int], ...]:
        stamps = []
        for file in self.crl_files:
            try:
                status = file.stat()
            except FileNotFoundError:
                stamps.append((0, 0, 0))
            else:
                stamps.append((status.st_mtime_ns, status.st_size, status.st_ino))
        return tuple(stamps)

    def __call__(self, certificate: x509.Certificate, at: dt.datetime,
                 chain: Sequence[x509.Certificate] = ()) -> Verdict:
        current = self.generation()
        if current != self.seen:
            self.validator.crls, self.seen = self.read_crls(), current
        return self.validator.check(certificate, at, chain)
