"""Server-rendered portal pages for practice managers and employees (Dutch by default,
English with ?lang=en): the texts (`texts.py`), the page (`pages.py`), the buttons'
actions (`actions.py`) and, with `zorgid serve --dev` only, a clearly marked login
with demo identities (`dev_login.py`)."""

from fastapi import APIRouter

from adapters.http.portal import actions, dev_login, pages
from adapters.http.portal.pages import error_page
from adapters.http.portal.texts import ERRORS_NL, TEXTS

__all__ = ["ERRORS_NL", "TEXTS", "error_page", "router"]

router = APIRouter(include_in_schema=False)
for part in (pages.router, actions.router, dev_login.router):
    router.include_router(part)
