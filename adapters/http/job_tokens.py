"""Personalisation job tokens, PIN service tokens and pairing codes: HMACs of the job's
or service's id under the deployment's job secret, derived when needed and never stored.

The pairing code is what the portal shows and the employee types into the workstation
helper, which exchanges it once (POST /v1/pairings) for the job (or PIN service) and its
token: eight
characters of Crockford's base32 (no I, L, O, U: nothing to misread), 40 bits, valid while
the job is new and unclaimed."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


def job_token(secret: bytes, job_id: UUID) -> str:
    """The remote reader agent's bearer token for one job, derived, never stored."""
    return hmac.new(secret, str(job_id).encode(), hashlib.sha256).hexdigest()


def pin_service_token(secret: bytes, service_id: UUID) -> str:
    """The workstation helper's bearer token for one PIN service: a domain of its own,
    so it is never also the token of a job (nor the other way round)."""
    return hmac.new(secret, b"pin-service\0" + service_id.bytes, hashlib.sha256).hexdigest()


ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
PAIRING_LENGTH = 8


def pairing_code(secret: bytes, job_id: UUID) -> str:
    """The job's pairing code, as shown: two groups of four (ABCD-EFGH)."""
    digest = hmac.new(secret, b"pairing\0" + job_id.bytes, hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")
    characters = "".join(ALPHABET[(number >> (5 * i)) & 31]
                         for i in reversed(range(PAIRING_LENGTH)))
    return f"{characters[:4]}-{characters[4:]}"


def normal_code(typed: str) -> str | None:
    """What was typed, as a code (case, spaces and dashes ignored, O read as 0 and I, L
    as 1); None when it cannot be one."""
    cleaned = "".join(typed.split()).replace("-", "").upper()
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != PAIRING_LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"
