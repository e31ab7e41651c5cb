"""Request bodies: at most `limit` bytes, and read only from callers that present a
credential.

FastAPI reads and parses a body before it runs the route's dependencies, so without a
gate an anonymous client makes the server hold whatever it sends (100 MB raised the
server's memory from 80 to 380 MB). This middleware runs first: a body from a caller
with no credential at all is refused unread (401), a declared length over the limit is
refused unread (413), and a body without a declared length is read only up to the
limit. Who the credential belongs to is still decided by the route's own dependency."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024


class BodyGate:
    def __init__(self, app: Any, credential_headers: tuple[str, ...],
                 limit: int = MAX_BODY_BYTES, open_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.limit = limit
        self.credentials = tuple(h.lower().encode() for h in credential_headers)
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            await _refuse(send, 400, "malformed", "the Content-Length header is not a number")
            return
        if length == 0:
            await self.app(scope, receive, send)
            return
        if scope["path"] not in self.open_paths and \
                not any(headers.get(name) for name in self.credentials):
            if scope["path"].startswith("/portal"):  # a person: the page that says how to log in
                await _see_other(send, "/portal")
            else:
                await _refuse(send, 401, "no_credential",
                              "log in with your UZI pass or ZORG-ID card")
            return
        if length is not None and length > self.limit:
            await _refuse(send, 413, "body_too_large", self._too_large())
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await _refuse(send, 413, "body_too_large", self._too_large())
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.limit // 1024} KB"


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # what follows the body: a disconnect

    return replayed


async def _see_other(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0"),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": b""})


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"code": code, "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
