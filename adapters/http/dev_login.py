"""The demo login of `zorgid serve --dev`: a signed cookie naming a demo identity. Without
--dev it is never read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from fastapi import Request

from domain.identity import UziPass

COOKIE = "zorgid_dev"


def _sign(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def dev_cookie(secret: bytes, identity: dict[str, str]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(identity).encode())
    return f"{payload.decode()}.{_sign(secret, payload)}"


def dev_identity(request: Request) -> UziPass | None:
    """The demo identity of the --dev login, if the cookie is ours and --dev is on."""
    if not request.app.state.dev:
        return None
    value = request.cookies.get(COOKIE, "")
    payload, _, signature = value.partition(".")
    if not payload or not hmac.compare_digest(
            signature.encode(), _sign(request.app.state.job_secret, payload.encode()).encode()):
        return None
    data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    now = datetime.now(UTC)
    return UziPass(not_before=now - timedelta(days=1), not_after=now + timedelta(days=1),
                   **data)
