"""PIN services and the card check, for the workstation helper (R16).

    POST /v1/cards/{card_id}/pin-services    the holder asks to unblock the PIN: a
                                             pairing code for the helper
    POST /v1/pin-services/{id}/result        the helper says how it went: unblocked, or
                                             the PUK is blocked too (the card is revoked)
    POST /v1/card-checks                     which card this is and how it stands, from
                                             its authentication certificate (public)

A PIN change needs none of these: it happens between the helper and the card alone.
Neither the PUK nor any PIN ever reaches this side."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Header, Request, Response
from pydantic import AwareDatetime, Field

from adapters.http.auth import require_bearer
from adapters.http.deps import PersonCaller, ViewsDb, lifecycle
from adapters.http.job_tokens import pairing_code, pin_service_token
from adapters.http.schemas import ERRORS, Answer, RequestBody
from domain.card import PAIRING_TIMEOUT
from domain.errors import InvalidValue, NotFound
from domain.personalisation import WORKSTATION_HELPER
from projections import cards, certificates, pin_services

router = APIRouter(tags=["pin services"], responses=ERRORS)
HELPER = WORKSTATION_HELPER


class PinServiceStarted(Answer):
    service_id: UUID
    pairing_code: str = Field(description="what the holder types into the workstation "
                                          "helper, as ABCD-EFGH")
    expires_at: AwareDatetime = Field(description="until when the code can be typed in")


class PinServiceResult(RequestBody):
    outcome: Literal["unblocked", "puk_blocked"] = Field(
        description="`unblocked`: the PUK was right and a new PIN chosen; `puk_blocked`: "
                    "the card refused the PUK as blocked, so the card is revoked")


class CardCheckRequest(RequestBody):
    certificate: str = Field(max_length=8192,
                             description="the card's authentication certificate (9A), PEM")


class CardCheck(Answer):
    card_id: UUID
    serial: str
    status: str = Field(description="active, suspended, revoked or expired, as it holds now")
    holder_name: str | None
    expires_at: AwareDatetime | None
    days_left: int | None = Field(description="whole days until it ends; 0 on its last day")
    revocation_reason: str | None = None
    suspension_reason: str | None = None


@router.post("/v1/cards/{card_id}/pin-services", status_code=201,
             response_model=PinServiceStarted)
def start_pin_service(card_id: UUID, caller: PersonCaller, request: Request) -> dict[str, Any]:
    app = lifecycle(request)
    service_id = app.start_pin_service(card_id, caller.person)
    return {"service_id": service_id,
            "pairing_code": pairing_code(request.app.state.job_secret, service_id),
            "expires_at": app.clock.now() + PAIRING_TIMEOUT}


@router.post("/v1/pin-services/{service_id}/result", status_code=204)
def pin_service_result(service_id: UUID, body: PinServiceResult, request: Request, db: ViewsDb,
           authorization: Annotated[str | None, Header()] = None) -> Response:
    require_bearer(authorization, pin_service_token(request.app.state.job_secret, service_id),
                   "this is not the token of that service")
    found = pin_services.service(db, str(service_id))
    if found is None:
        raise NotFound("pin_service_not_found", "there is no such PIN service")
    app = lifecycle(request)
    card_id = UUID(found["card_id"])
    if body.outcome == "unblocked":
        app.record_pin_unblock(card_id, service_id, HELPER)
    else:
        app.record_puk_blocked(card_id, service_id, HELPER)
    return Response(status_code=204)


@router.post("/v1/card-checks", response_model=CardCheck, response_model_exclude_none=True)
def check_card(body: CardCheckRequest, request: Request, db: ViewsDb) -> dict[str, Any]:
    """Only a certificate our card CA issued, byte for byte as recorded, is answered:
    what it tells is what the certificate and OCSP already tell anyone who holds it."""
    try:
        certificate = x509.load_pem_x509_certificate(body.certificate.encode())
    except ValueError:
        raise InvalidValue("malformed_certificate", "the certificate must be PEM") from None
    unknown = NotFound("card_certificate_unknown", "our card CA has no record of this "
                       "certificate")
    row = certificates.certificate_status(db, format(certificate.serial_number, "x"))
    if row is None:
        raise unknown
    app = lifecycle(request)
    card = app.get_card(UUID(row["card_id"]))
    fingerprint = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    if not any(c["sha256"] == fingerprint for c in card.certificates):
        raise unknown
    now = app.clock.now()
    found = cards.card(db, str(card.id), now)
    if found is None:
        raise unknown
    return {**found, "days_left": _days_left(found["expires_at"], now)}


def _days_left(expires_at: str | None, now: datetime) -> int | None:
    """Whole days from now to the end: 0 within its last 24 hours and after it."""
    if expires_at is None:
        return None
    return max(0, (datetime.fromisoformat(expires_at) - now).days)
