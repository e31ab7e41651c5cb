"""The HTTP app's dependencies and their `Annotated` aliases: who is calling, the read
models, the application. Routers and the portal import from here, never from the module
that builds the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import Principal, authenticate
from adapters.http.dev_login import dev_identity
from domain.application import CardLifecycle
from domain.errors import NotAllowed
from projections import certificates

# The dependencies below are coroutines on purpose: FastAPI runs a plain function
# dependency in the thread pool, one hand-over per dependency per request, which cost
# more than their work. They do little: a lookup on a pooled connection, a cached
# certificate verdict. Only waiting for the views, when another node wrote to the store
# a moment ago, goes to a worker thread. Reads never project (views.py).

async def views(request: Request) -> AsyncIterator[Database]:
    state = request.app.state.views
    if state.behind():
        await run_in_threadpool(state.wait_until_current)
    with state.reader() as db:
        yield db


def principal(request: Request) -> Principal:
    """Who is calling, from the request alone (also used by the portal's pages)."""
    state = request.app.state

    def revoked(serial: str) -> str | None:
        """Why this ZORG-ID card certificate may not log in, from the row OCSP and the CRL
        answer from (a card revoked a moment ago logs in no more); None when it may."""
        with state.views.current() as db:
            row = certificates.certificate_status(db, serial)
        if row is None:
            return "card_certificate_unknown"
        return None if row["status"] == "active" else "card_revoked"

    if state.dev:
        identity = dev_identity(request)
        if identity is not None:
            return Principal("person", uzi_pass=identity)
    return authenticate(request, state.auth, state.tokens, revoked)


async def authenticated(request: Request) -> Principal:
    return principal(request)


async def person(caller: Annotated[Principal, Depends(authenticated)]) -> Principal:
    if caller.kind != "person" or caller.uzi_pass is None:
        raise NotAllowed("person_required", "this is for people logged in with their card")
    return caller


def service_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(caller: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if caller.kind != "service" or caller.role not in roles:
            raise NotAllowed("service_token_required",
                             f"this needs a service token ({', '.join(roles)})")
        return caller
    return check


ViewsDb = Annotated[Database, Depends(views)]
Caller = Annotated[Principal, Depends(authenticated)]
PersonCaller = Annotated[Principal, Depends(person)]


def lifecycle(request: Request) -> CardLifecycle:
    return request.app.state.lifecycle
