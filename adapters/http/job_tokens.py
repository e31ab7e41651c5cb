"""Personalisation job tokens: an HMAC of the job id under the deployment's job secret,
derived when needed and never stored."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


def job_token(secret: bytes, job_id: UUID) -> str:
    """The remote reader agent's bearer token for one job, derived, never stored."""
    return hmac.new(secret, str(job_id).encode(), hashlib.sha256).hexdigest()
