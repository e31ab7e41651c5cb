"""Who is calling: a person from a client certificate (a UZI pass or one of our cards),
forwarded by a trusted TLS proxy, or a service from its bearer token."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote

from cryptography import x509
from fastapi import Request

from adapters.http.tokens import TokenStore
from domain.errors import DomainError
from domain.identity import UziPass

if TYPE_CHECKING:  # the verdict's shape; the checker itself comes from the composition root
    from adapters.pki.uzi import Verdict


class Unauthenticated(DomainError):
    pass


@dataclass(frozen=True)
class Principal:
    kind: str  # "person" or "service"
    uzi_pass: UziPass | None = None
    role: str | None = None  # service role
    via_card: bool = False  # logged in with a ZORG-ID card rather than a UZI pass
    certificate_serial: str | None = None

    @property
    def person(self) -> UziPass:
        """The pass of a caller the `person` dependency let through (PersonCaller)."""
        if self.uzi_pass is None:
            raise Unauthenticated("person_required", "this is for people logged in with "
                                  "their card")
        return self.uzi_pass


class CertificateCheck(Protocol):
    """The verdict on a client certificate at a moment, with the chain it came with
    (the composition root's `CertificateChecker`)."""

    def __call__(self, certificate: x509.Certificate, at: datetime,
                 chain: Sequence[x509.Certificate] = ()) -> Verdict: ...


@dataclass
class AuthSettings:
    header: str
    trusted_proxies: frozenset[str]
    check: CertificateCheck
    # Validating a chain costs milliseconds; a valid verdict is reused for a minute (our
    # own cards' revocation is still looked up on every request), and not at all once
    # the UZI CRLs changed: a pass revoked in a new list is refused on the next request.
    verdicts: dict[str, tuple[float, Verdict]] = field(default_factory=dict)
    lifetime: float = 60.0
    generation: Callable[[], object] = lambda: None
    seen_generation: object = None

    def verdict(self, forwarded: str, at: datetime,
                parse: Callable[[], tuple[x509.Certificate, list[x509.Certificate]]]
                ) -> Verdict:
        generation = self.generation()
        if generation != self.seen_generation:
            self.verdicts.clear()
            self.seen_generation = generation
        key = hashlib.sha256(forwarded.encode()).hexdigest()
        cached = self.verdicts.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.lifetime \
                and cached[1].identity is not None and cached[1].identity.not_after > at:
            return cached[1]
        leaf, chain = parse()
        found = self.check(leaf, at, chain)
        if found.valid:
            if len(self.verdicts) > 10_000:
                self.verdicts.clear()
            self.verdicts[key] = (now, found)
        return found

    @classmethod
    def of(cls, header: str, trusted_proxies: frozenset[str],
           check: CertificateCheck) -> AuthSettings:
        generation = getattr(check, "generation", lambda: None)
        return cls(header, trusted_proxies, check, generation=generation,
                   seen_generation=generation())


def authenticate(request: Request, settings: AuthSettings, tokens: TokenStore,
                 revoked_card_certificate: Callable[[str], str | None]) -> Principal:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        role = tokens.role_of(authorization[7:].strip())
        if role is None:
            raise Unauthenticated("invalid_token", "this token is not known or was withdrawn")
        return Principal("service", role=role)
    forwarded = request.headers.get(settings.header)
    if not forwarded:
        raise Unauthenticated("no_credential",
                              "log in with your UZI pass or ZORG-ID card")
    client = request.client.host if request.client else ""
    if client not in settings.trusted_proxies:
        raise Unauthenticated("untrusted_proxy",
                              "a client certificate is accepted only from the TLS proxy")
    def parse() -> tuple[x509.Certificate, list[x509.Certificate]]:
        try:
            leaf, *chain = x509.load_pem_x509_certificates(unquote(forwarded).encode())
        except ValueError:
            raise Unauthenticated("malformed_certificate",
                                  "the forwarded client certificate cannot be read") from None
        return leaf, chain

    verdict = settings.verdict(forwarded, request.app.state.clock.now(), parse)
    if not verdict.valid or verdict.identity is None:
        raise Unauthenticated(f"certificate_{verdict.reason}",
                              f"your certificate is not accepted: {verdict.detail}")
    via_card = verdict.by_card_ca  # from the verified issuer, not the OID it claims
    refusal = revoked_card_certificate(verdict.identity.serial_number) if via_card else None
    if refusal == "card_certificate_unknown":
        raise Unauthenticated(refusal, "our card CA has no record of this certificate")
    if refusal is not None:
        raise Unauthenticated("card_revoked", "this ZORG-ID card is revoked or suspended")
    return Principal("person", uzi_pass=verdict.identity.to_pass(zorgid_card=via_card),
                     via_card=via_card,
                     certificate_serial=verdict.identity.serial_number)


def require_bearer(authorization: str | None, expected: str, message: str) -> None:
    """The request's bearer token is `expected` (a job's or a PIN service's, derived),
    compared in constant time; else `invalid_job_token` with `message`."""
    given = authorization or ""
    token = given[7:].strip() if given.lower().startswith("bearer ") else ""
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthenticated("invalid_job_token", message)
