"""The message box of the portal's page says only what the portal itself said: an action
redirects back with its refusal signed (itsdangerous, under the deployment's job secret,
for five minutes), so a link from elsewhere cannot put its own words on our page."""

from __future__ import annotations

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "zorgid portal notice"
LIFETIME = 300  # seconds: a notice is shown right after the action, not days later


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.job_secret, salt=SALT)


def sign(request: Request, text: str) -> str:
    return _signer(request).dumps(text)


def read(request: Request, token: str | None) -> str | None:
    """The text of a notice this deployment signed lately; None for anything else."""
    if not token:
        return None
    try:
        text = _signer(request).loads(token, max_age=LIFETIME)
    except BadSignature:  # forged, altered or too old (SignatureExpired is one)
        return None
    return text if isinstance(text, str) else None
