"""The reader agent of a remote workstation: one personalisation job through the API.

It needs no store and no master secret: the job (reached with its bearer token)
gives the card's serial and its two management keys; the card's public keys go to
the API, the certificates come back; the outcome is reported. PIN and PUK only
travel to the card."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.reader.apdu import ApduConnection, Transport
from adapters.reader.personalise import (
    DEFAULT_CARD_KEY_TYPE,
    CardIdentity,
    PersonalisationError,
    identify,
    seal_card,
    write_card,
)
from adapters.reader.piv import KeyAlgorithm, PivSession, pad_pin


class RemoteError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RemoteResult:
    serial: str
    sealed: bool
    expires_at: dt.datetime | None = None  # the card's end, as its certificates say


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
            raise RemoteError(body.get("code", "http_error"), body.get("message", ""))
        except ValueError:
            raise RemoteError("http_error", f"HTTP {response.status_code}") from None
    return response.json() if response.content else None


def _call(send: Any) -> Any:
    try:
        return _check(send())
    except httpx.TransportError:
        raise RemoteError("api_unreachable", "the ZORG-ID server does not answer; check the "
                          "internet connection and try again") from None


def open_job(client: httpx.Client, job_id: UUID, token: str) -> dict[str, Any]:
    """The job, checked before anything else: the API answers, the token is the job's,
    and the job can still write a card."""
    headers = {"Authorization": f"Bearer {token}"}
    job: dict[str, Any] = _call(lambda: client.get(f"/v1/personalisation-jobs/{job_id}",
                                                   headers=headers))
    if "management_keys" not in job:
        raise RemoteError("job_not_running", f"this job is {job['status']}")
    return job


def check_card(piv: PivSession, job: dict[str, Any]) -> CardIdentity:
    """The card in the reader is the job's blank card (its chip or its serial)."""
    identity = identify(piv)
    serial = job["serial"]
    if (job.get("chip_id") and identity.chip_id != job["chip_id"]) \
            or (not job.get("chip_id") and identity.serial != serial):
        found = identity.serial or identity.chip_id
        raise PersonalisationError("wrong_card", f"this is card {found}; the job is for "
                                   f"card {serial}", "wrong_card")
    return identity


def checked_card(client: httpx.Client, job: dict[str, Any], token: str,
                 piv: PivSession) -> CardIdentity:
    """`check_card`, with a refused card reported as the job's failure (so the portal
    says it too)."""
    try:
        return check_card(piv, job)
    except PersonalisationError as error:
        report_failure(client, job, token, failed_step(error), error.detail)
        raise


def write_job(client: httpx.Client, job: dict[str, Any], token: str, piv: PivSession,
              identity: CardIdentity, pin: str, puk: str,
              progress: Callable[[str], None] | None = None) -> RemoteResult:
    """Write the checked card for the opened job and report the outcome; a failure of
    the card or the reader is reported as the job's failure and raised again."""
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/v1/personalisation-jobs/{job['job_id']}"
    keys = job["management_keys"]
    serial = job["serial"]

    def issue(*publics: Any) -> list[x509.Certificate]:
        pem = serialization.Encoding.PEM
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        slots = ("9A", "9C", "9D")
        answer = _call(lambda: client.post(f"{base}/public-keys", headers=headers, json={
            slot: key.public_bytes(pem, spki).decode()
            for slot, key in zip(slots, publics, strict=True)}))
        return [x509.load_pem_x509_certificate(answer[slot].encode())
                for slot in slots if slot in answer]

    try:
        try:
            written = write_card(piv, serial, bytes.fromhex(keys["blank"]), issue,
                                 UUID(job["card_id"]),
                                 pin, puk, guid=identity.supplier_guid, fresh=identity.fresh,
                                 key_algorithm=KeyAlgorithm[keys.get("algorithm", "AES128")],
                                 card_key_type=job.get("card_key_type", DEFAULT_CARD_KEY_TYPE),
                                 progress=progress)
        except PersonalisationError as error:
            if isinstance(error.__cause__, RemoteError):  # the API went away mid-way
                raise error.__cause__ from None
            raise
    except PersonalisationError as error:
        report_failure(client, job, token, failed_step(error), error.detail)
        raise
    if progress is not None:
        progress("activate")
    _call(lambda: client.post(f"{base}/result", headers=headers,
                              json={"outcome": "activated"}))
    ends = written.authentication.not_valid_after_utc
    try:
        seal_card(piv, bytes.fromhex(keys["personalised"]))
        return RemoteResult(serial, True, ends)
    except PersonalisationError:
        return RemoteResult(serial, False, ends)


def taken_out(error: BaseException) -> bool:
    """The reader's word for a card taken out (pyscard's, through adapters.reader.pcsc,
    or a test's transport): told by name, so no module needs pyscard to ask."""
    return type(error).__name__ in ("CardRemoved", "NoCard")


def pulled_out(error: PersonalisationError) -> bool:
    """The card was taken out while this step ran."""
    return error.__cause__ is not None and taken_out(error.__cause__)


def failed_step(error: PersonalisationError) -> str:
    """The step a failure is recorded at: a card taken out is what the person did (and
    what the portal then tells them), whichever step it cut short."""
    return "card_removed" if pulled_out(error) else error.step


def report_failure(client: httpx.Client, job: dict[str, Any], token: str, step: str,
                   detail: str) -> None:
    """Tell the API the job failed at `step` (best effort: it may be the API that is
    gone; the job is then abandoned by the store's own timeout)."""
    with contextlib.suppress(httpx.TransportError, RemoteError):
        _check(client.post(f"/v1/personalisation-jobs/{job['job_id']}/result",
                           headers={"Authorization": f"Bearer {token}"},
                           json={"outcome": "failed", "step": step, "detail": detail[:500]}))


def run_job(client: httpx.Client, job_id: UUID, token: str, transport: Transport, pin: str,
            puk: str) -> RemoteResult:
    """`client` is an httpx.Client with the API as base URL."""
    try:
        pad_pin(pin)
        pad_pin(puk)
    except ValueError:
        raise PersonalisationError("choose_pin", "PIN and PUK are 6 to 8 digits") from None
    job = open_job(client, job_id, token)
    piv = PivSession(ApduConnection(transport))
    identity = checked_card(client, job, token, piv)
    return write_job(client, job, token, piv, identity, pin, puk)
