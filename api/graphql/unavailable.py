"""A database that cannot be reached is an answer the client can act on (try
again shortly), not an internal error: HTTP 503 with a GraphQL error whose
``extensions.code`` is UNAVAILABLE and ``retryAfterSeconds`` says when, and
a ``Retry-After`` header. It happens during a PostgreSQL restart or failover,
or while every pooled connection is busy past its timeout."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exc as sa_exc

RETRY_AFTER_S = 5
MESSAGE = "The service is briefly unavailable; try again in a few seconds."


# Server-side words for "not now" (PostgreSQL shutting down or starting,
# a connection cut; SQLite's file busy): other OperationalErrors, such as
# SQLite's "no such table", are faults in our code and stay internal errors.
_AWAY = re.compile(
    r"database is locked|unable to open database|connection|terminating|shutting down|"
    r"starting up|server closed|could not connect",
    re.IGNORECASE,
)
_DRIVER_AWAY = frozenset(
    {
        "PostgresConnectionError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "ConnectionDoesNotExistError",
    }
)


def _unavailable_one(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OSError | TimeoutError | sa_exc.TimeoutError):
        return True
    if any(cls.__name__ in _DRIVER_AWAY for cls in type(error).__mro__):
        return True
    return isinstance(error, sa_exc.OperationalError) and bool(_AWAY.search(str(error.orig)))


def database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) means the database is out of
    reach or busy, rather than a fault in our code."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _unavailable_one(current):
            return True
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return False


def unavailable_extensions() -> dict[str, Any]:
    return {"code": "UNAVAILABLE", "retryAfterSeconds": RETRY_AFTER_S}


def unavailable_body() -> dict[str, Any]:
    """A whole GraphQL response saying so, for when no operation ran."""
    return {"data": None, "errors": [{"message": MESSAGE, "extensions": unavailable_extensions()}]}
