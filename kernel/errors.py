"""Domain errors: a broken business rule, reported to the caller as data."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum


class DomainError(Exception):
    """A business rule said no. Raised before anything is written, or the
    caller's transaction is rolled back; the API turns it into a UserError."""

    def __init__(
        self,
        code: Enum,
        message: str,
        field: Sequence[str] | None = None,
        *,
        remaining: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field else None
        # For SOLD_OUT and LIMIT_EXCEEDED: how many units could still be had.
        self.remaining = remaining


class CommonErrorCode(Enum):
    """Codes any domain may raise."""

    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    INVALID_ID = "INVALID_ID"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    # An edit made from a version of the row that another edit has replaced.
    STALE = "STALE"
    # Refused at the API's edge, before any domain code runs.
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_CHARACTER = "INVALID_CHARACTER"


class NotFound(DomainError):
    """The object does not exist, or the caller may not see it (the two are
    deliberately indistinguishable)."""

    def __init__(self, what: str, field: Sequence[str] | None = None) -> None:
        super().__init__(CommonErrorCode.NOT_FOUND, f"{what} not found.", field)
