"""One id per HTTP request (``X-Request-ID``), for the audit log, the logs,
the jobs a request starts and the reference a masked error shows.

asgi-correlation-id keeps the id in a context variable for the request's
whole task and echoes it in the response. An id sent by the client is taken
only from a trusted proxy (``settings.trusted_proxies``, the balancer that
already stamped it): anyone else could make their requests look like
someone else's in the log, so theirs is replaced by a fresh one.
"""

from __future__ import annotations

import re
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.request_context import request_scope

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
# Short enough for the audit log's column, and nothing a log line could be
# forged with (no spaces, quotes or line breaks).
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _valid(value: str) -> bool:
    return _VALID.fullmatch(value) is not None


def _handing_down(app: ASGIApp) -> ASGIApp:
    """``app`` run with the request's id handed to the layers below, which
    know nothing of HTTP (jobs, the outbox, logs)."""

    async def handed(scope: Scope, receive: Receive, send: Send) -> None:
        with request_scope(correlation_id.get()):
            await app(scope, receive, send)

    return handed


class RequestIds:
    """ASGI middleware: a request id for every HTTP request."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]) -> None:
        self.trusted = set(trusted_proxies)
        self.inner: Any = CorrelationIdMiddleware(
            _handing_down(app), header_name=HEADER, validator=_valid
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._trusted(scope):
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != _HEADER_KEY]
        await self.inner(scope, receive, send)

    def _trusted(self, scope: Scope) -> bool:
        client = scope.get("client")
        return client is not None and client[0] in self.trusted
