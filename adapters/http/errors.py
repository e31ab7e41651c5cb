"""Errors map to HTTP in one place: a status per error class, and `{code, message}`
for every refusal, unknown routes, wrong methods and invalid bodies included. Under
/portal a person gets a page instead, in their language (`state.error_page`)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.http.auth import Unauthenticated
from adapters.settings import ConfigurationError
from domain.errors import (
    ConcurrencyConflict,
    DomainError,
    InvalidValue,
    NotAllowed,
    NotFound,
    RuleViolation,
)


class Unavailable(DomainError):
    """This server is not set up for the request (no card CA, no master secret)."""


STATUS = [(Unauthenticated, 401), (NotAllowed, 403), (NotFound, 404), (InvalidValue, 422),
          (RuleViolation, 409), (ConcurrencyConflict, 409), (ConfigurationError, 503),
          (Unavailable, 503)]

HTTP_ERRORS = {
    404: ("not_found", "there is nothing at this address; see /docs for the API's routes"),
    405: ("method_not_allowed", "this address does not take that method; see /docs"),
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


# A page for people instead of the API's JSON, for the portal's paths (the portal sets it).
ErrorPage = Callable[[Request, int, str, str], Response]


def _answer(request: Request, status: int, code: str, message: str) -> Response:
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if page is not None and request.url.path.startswith("/portal"):
        return page(request, status, code, message)
    return error_response(status, code, message)


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: Request, error: DomainError) -> Response:
        status = next((s for kind, s in STATUS if isinstance(error, kind)), 409)
        return _answer(request, status, error.code, error.message)

    @api.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> Response:
        """Unknown routes and wrong methods answer in the API's own shape, too."""
        code, message = HTTP_ERRORS.get(error.status_code, ("http_error", str(error.detail)))
        response = _answer(request, error.status_code, code, message)
        if error.headers:
            response.headers.update(error.headers)
        return response

    @api.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = error.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return _answer(request, 400, "malformed", "the request body is not valid JSON")
        fields = ", ".join(".".join(str(x) for x in p.get("loc", ())[1:]) or "body"
                           for p in problems)
        return _answer(request, 422, "invalid_field", f"check these fields: {fields}")
