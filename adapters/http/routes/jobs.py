"""/v1/personalisation-jobs: the remote reader agent's side of a card creation.

The agent holds the job's bearer token (from POST /v1/cards). It learns the card's
serial and per-card management keys, sends the public keys the card generated and
receives the certificates, and reports the outcome."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, Header, Request, Response
from pydantic import AwareDatetime, ConfigDict, Field

from adapters.http.auth import require_bearer
from adapters.http.deps import ViewsDb, lifecycle
from adapters.http.errors import Unavailable
from adapters.http.job_tokens import (
    job_token,
    normal_code,
    pairing_code,
    pin_service_token,
)
from adapters.http.schemas import ERRORS, Answer, IssuedCertificates, Job, RequestBody
from domain.card import MANAGEMENT_KEY_ALGORITHMS, PAIRING_TIMEOUT
from domain.errors import InvalidValue, NotFound
from domain.personalisation import READER_AGENT, WORKSTATION_HELPER
from projections import jobs, pin_services
from projections.base import ts

router = APIRouter(prefix="/v1/personalisation-jobs", tags=["personalisation"],
                   responses=ERRORS)
pairings = APIRouter(prefix="/v1/pairings", tags=["personalisation"], responses=ERRORS)
AGENT = READER_AGENT
HELPER = WORKSTATION_HELPER


class PairingRequest(RequestBody):
    code: str = Field(max_length=32, description="the code the portal showed, as typed")
    workstation: str = Field(default="werkplek", max_length=64,
                             description="what the helper calls itself (its host name)")


class Pairing(Answer):
    kind: Literal["personalisation", "pin_unblock"] = Field(
        default="personalisation",
        description="what the code was for: a card creation (job_id is its job), or a PIN "
                    "unblock the holder started (job_id is the PIN service)")
    job_id: UUID
    job_token: str = Field(description="the job's (or PIN service's) bearer token: keep it "
                                       "out of URLs and logs")
    card_id: UUID
    serial: str = Field(description="the blank card the job is for")
    holder_name: str
    holder_uzi_number: str
    started_at: AwareDatetime


@pairings.post("", response_model=Pairing)
def pair(body: PairingRequest, request: Request, db: ViewsDb) -> dict[str, Any]:
    """The workstation helper exchanges the pairing code the portal showed for the job,
    once: the job is then claimed by that helper (Card.JobClaimed)."""
    code = normal_code(body.code)
    if code is None:
        raise InvalidValue("invalid_pairing_code", "a pairing code is 8 letters and digits, "
                           "as ABCD-EFGH")
    app = lifecycle(request)
    since = ts(app.clock.now() - PAIRING_TIMEOUT)
    secret = request.app.state.job_secret
    found, kind = None, ""
    candidates = [("personalisation", UUID(c["job_id"]), c)
                  for c in jobs.pairable(db, since or "")]
    candidates += [("pin_unblock", UUID(c["service_id"]), c)
                   for c in pin_services.pairable(db, since or "")]
    for candidate_kind, candidate_id, candidate in candidates:
        # every candidate is compared, in constant time: no timing says how close a guess was
        if hmac.compare_digest(pairing_code(secret, candidate_id), code):
            found, kind = candidate, candidate_kind
    if found is None:
        raise NotFound("pairing_code_unknown", "nothing waits for this code; check it, or "
                       "ask for a new code in the portal")
    if kind == "pin_unblock":
        return _pair_pin_service(app, found, body.workstation, secret)
    card_id, job_id = UUID(found["card_id"]), UUID(found["job_id"])
    app.claim_personalisation_job(card_id, job_id, body.workstation, HELPER)
    card = app.get_card(card_id)
    holder = card.card_holder
    assert holder is not None
    return {"job_id": job_id, "job_token": job_token(secret, job_id), "card_id": card_id,
            "serial": card.serial, "holder_name": holder.name,
            "holder_uzi_number": holder.uzi_number, "started_at": found["started_at"]}


def _pair_pin_service(app: Any, found: dict[str, Any], workstation: str,
                      secret: bytes) -> dict[str, Any]:
    card_id, service_id = UUID(found["card_id"]), UUID(found["service_id"])
    app.claim_pin_service(card_id, service_id, workstation, HELPER)
    card = app.get_card(card_id)
    holder = card.card_holder
    assert holder is not None
    return {"kind": "pin_unblock", "job_id": service_id,
            "job_token": pin_service_token(secret, service_id), "card_id": card_id,
            "serial": card.serial, "holder_name": holder.name,
            "holder_uzi_number": holder.uzi_number, "started_at": found["started_at"]}


class PublicKeys(RequestBody):
    """The public keys the card generated, PEM. 9D (confidentiality) is optional: an agent
    from before it existed sends 9A and 9C, and its card gets two certificates."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    authentication: str = Field(alias="9A", max_length=4096)
    signature: str = Field(alias="9C", max_length=4096)
    confidentiality: str | None = Field(default=None, alias="9D", max_length=4096)


class Result(RequestBody):
    outcome: Literal["activated", "failed"]
    step: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", max_length=500)


def _job(job_id: UUID, request: Request, db: Any, authorization: str | None) -> dict[str, Any]:
    require_bearer(authorization, job_token(request.app.state.job_secret, job_id),
                   "this is not the token of that job")
    found = jobs.job(db, str(job_id))
    if found is None:
        raise NotFound("job_not_found", "there is no such personalisation job")
    return found


def _workshop(request: Request) -> Any:
    workshop = request.app.state.workshop
    if workshop is None or workshop.master_secret is None:
        raise Unavailable("card_ca_unavailable",
                          "this server does not hold the card CA and master secret")
    return workshop


@router.get("/{job_id}", response_model=Job, response_model_exclude_unset=True)
def get_job(job_id: UUID, request: Request, db: ViewsDb,
            authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    found = _job(job_id, request, db, authorization)
    card = lifecycle(request).get_card(UUID(found["card_id"]))
    answer = {**found, "serial": card.serial,
              "card_key_type": request.app.state.settings.card_key_type}
    if card.chip_id is not None:
        answer["chip_id"] = card.chip_id
    if found["status"] in ("started", "certificates_issued"):
        algorithm = card.management_key_algorithm or "AES128"
        blank, personalised = _workshop(request).keys(card.serial,
                                                      MANAGEMENT_KEY_ALGORITHMS[algorithm])
        answer["management_keys"] = {"algorithm": algorithm, "blank": blank.hex(),
                                     "personalised": personalised.hex()}
    return answer


@router.post("/{job_id}/public-keys", response_model=IssuedCertificates,
             response_model_exclude_none=True)
def public_keys(job_id: UUID, body: PublicKeys, request: Request, db: ViewsDb,
                authorization: Annotated[str | None, Header()] = None) -> dict[str, str]:
    found = _job(job_id, request, db, authorization)
    workshop = _workshop(request)
    pems = (body.authentication, body.signature, body.confidentiality)
    try:
        keys = [serialization.load_pem_public_key(pem.encode()) if pem is not None else None
                for pem in pems]
    except (ValueError, TypeError):
        raise InvalidValue("invalid_public_key", "the public keys must be PEM") from None
    if not all(isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) for key in keys
               if key is not None):
        raise InvalidValue("invalid_public_key", "the public keys must be RSA or EC keys")
    issued = workshop.personalisation(lifecycle(request)).certify(
        UUID(found["card_id"]), job_id, *keys)
    pem = serialization.Encoding.PEM
    answer = {"9A": issued.authentication.public_bytes(pem).decode(),
              "9C": issued.signature.public_bytes(pem).decode()}
    if issued.confidentiality is not None:
        answer["9D"] = issued.confidentiality.public_bytes(pem).decode()
    return answer


@router.post("/{job_id}/result", status_code=204)
def result(job_id: UUID, body: Result, request: Request, db: ViewsDb,
           authorization: Annotated[str | None, Header()] = None) -> Response:
    found = _job(job_id, request, db, authorization)
    app = lifecycle(request)
    card_id = UUID(found["card_id"])
    if body.outcome == "activated":
        app.activate_card(card_id, job_id, AGENT)
    else:
        app.record_personalisation_failure(card_id, job_id, body.step or "unknown",
                                           body.detail, AGENT)
    return Response(status_code=204)
