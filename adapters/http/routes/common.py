"""What the routers share: request bodies, and the read-side authorisation checks."""

from __future__ import annotations

from sqlite_utils import Database

from adapters.http.auth import Principal
from domain.errors import NotAllowed
from projections import practices


def is_manager(db: Database, caller: Principal, ura: str) -> bool:
    return caller.uzi_pass is not None and ura in practices.roles_of(db, caller.uzi_pass.uzi_number)


def require_manager(db: Database, caller: Principal, ura: str, auditor_too: bool = False) -> None:
    if auditor_too and caller.kind == "service" and caller.role == "auditor":
        return
    if not is_manager(db, caller, ura):
        raise NotAllowed("not_manager",
                         "only an administrator or beheerder of this practice may see this")
