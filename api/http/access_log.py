"""One access-log line per HTTP request: method, path, status, duration,
and for GraphQL the operation's name and the viewer's role.

A plain ASGI middleware (starlette's BaseHTTPMiddleware costs a task and a
stream per request). The GraphQL layer writes what it knows into the
request's ``state`` (``AccessFacts`` in api/graphql/schema.py): only it knows
the operation and who asked.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.metrics import observe
from kernel.logs import log_direct

log = logging.getLogger("tuangou.access")

# Probes come every few seconds from the balancer and the orchestrator.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class AccessLog:
    """ASGI middleware writing the access log (logger ``tuangou.access``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering
        state: dict[str, Any] = scope.setdefault("state", {})

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            observe(scope, state, status, time.perf_counter() - started)
            path = scope["path"]
            level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
            if log.isEnabledFor(level):
                event = f"{scope['method']} {path} {status}"
                log_direct(log, level, event, _facts(scope, state, status, started))


def _facts(scope: Scope, state: dict[str, Any], status: int, started: float) -> dict[str, Any]:
    client = scope.get("client")
    return {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "operation": state.get("graphql_operation"),
        "role": state.get("viewer_role"),
        "client": client[0] if client else None,
    }
