"""The id of the request a piece of work belongs to, below the HTTP layer.

The API sets it for each HTTP request (``api/http/request_ids.py``); a job
remembers the id of the request that queued it and runs under it, and so do
the outbox events and webhook deliveries that work writes. Logs carry it. It
is a context variable: each asyncio task sees its own request's id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("tuangou_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this work belongs to, if any."""
    return _request_id.get()


@contextmanager
def request_scope(request_id: str | None) -> Iterator[None]:
    """Run a block as part of request ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)
