"""The domain's exception tree.

Every refusal carries a stable machine-readable ``code`` (API clients and the CLI
rely on it) and a message a person understands. Adapters map the classes to
their own vocabulary in one place (HTTP status, CLI exit code).
"""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused. Nothing was appended."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidValue(DomainError):
    """A value is malformed (a UZI number of 8 digits, a role code without a dot)."""


class NotFound(DomainError):
    """The command names something that does not exist."""


class NotAllowed(DomainError):
    """The actor may not do this (authorisation, R6 and friends)."""


class RuleViolation(DomainError):
    """A business rule or the current state refuses the command."""


class ConcurrencyConflict(DomainError):
    """Another process kept changing the same aggregate; retries were exhausted."""

    def __init__(self, message: str = "the record was changed by someone else at the same "
                 "moment; please try again") -> None:
        super().__init__("concurrent_modification", message)
