"""The reader agent of a remote workstation: one personalisation job through the API.

It needs no store and no master secret: the job (reached with its bearer token)
gives the card's serial and its two management keys; the card's public keys go to
the API, the certificates come back; the outcome is reported. PIN and PUK only
travel to the card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.reader.apdu import ApduConnection, Transport
from adapters.reader.personalise import (
    DEFAULT_CARD_KEY_TYPE,
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


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
            raise RemoteError(body.get("code", "http_error"), body.get("message", ""))
        except ValueError:
            raise RemoteError("http_error", f"HTTP {response.status_code}") from None
    return response.json() if response.content else None


def run_job(client: httpx.Client, job_id: UUID, token: str, transport: Transport, pin: str,
            puk: str) -> RemoteResult:
    """`client` is an httpx.Client with the API as base URL."""
    try:
        pad_pin(pin)
        pad_pin(puk)
    except ValueError:
        raise PersonalisationError("choose_pin", "PIN and PUK are 6 to 8 digits") from None
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/v1/personalisation-jobs/{job_id}"
    job = _check(client.get(base, headers=headers))
    if "management_keys" not in job:
        raise RemoteError("job_not_running", f"this job is {job['status']}")
    keys = job["management_keys"]

    def report_failure(error: PersonalisationError) -> None:
        _check(client.post(f"{base}/result", headers=headers, json={
            "outcome": "failed", "step": error.step, "detail": error.detail[:500]}))

    piv = PivSession(ApduConnection(transport))
    try:
        identity = identify(piv)
        serial = job["serial"]
        if (job.get("chip_id") and identity.chip_id != job["chip_id"]) \
                or (not job.get("chip_id") and identity.serial != serial):
            found = identity.serial or identity.chip_id
            raise PersonalisationError("wrong_card", f"this is card {found}; the job is for "
                                       f"card {serial}", "wrong_card")

        def issue(*publics: Any) -> list[x509.Certificate]:
            pem = serialization.Encoding.PEM
            spki = serialization.PublicFormat.SubjectPublicKeyInfo
            slots = ("9A", "9C", "9D")
            answer = _check(client.post(f"{base}/public-keys", headers=headers, json={
                slot: key.public_bytes(pem, spki).decode()
                for slot, key in zip(slots, publics, strict=True)}))
            return [x509.load_pem_x509_certificate(answer[slot].encode())
                    for slot in slots if slot in answer]

        write_card(piv, serial, bytes.fromhex(keys["blank"]), issue, UUID(job["card_id"]),
                   pin, puk, guid=identity.supplier_guid, fresh=identity.fresh,
                   key_algorithm=KeyAlgorithm[keys.get("algorithm", "AES128")],
                   card_key_type=job.get("card_key_type", DEFAULT_CARD_KEY_TYPE))
    except PersonalisationError as error:
        report_failure(error)
        raise
    _check(client.post(f"{base}/result", headers=headers, json={"outcome": "activated"}))
    try:
        seal_card(piv, bytes.fromhex(keys["personalised"]))
        return RemoteResult(serial, True)
    except PersonalisationError:
        return RemoteResult(serial, False)
