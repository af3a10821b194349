"""Tracing of the HTTP requests, when ``settings.tracing`` is on
(docs/tracing.md, kernel/tracing.py): a server span for each request, with
the SQL and outgoing httpx calls it makes as child spans.

Nothing of OpenTelemetry is imported here until tracing is on: the app
starts without the ``tracing`` extra installed as long as it is off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.request_context import current_request_id
from kernel.settings import Settings
from kernel.tracing import REQUEST_ID_ATTRIBUTE, start_tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

# Probes and scrapes, every few seconds each: spans that say nothing.
UNTRACED_PATHS = ("/healthz", "/readyz", "/metrics")


def instrument_app(app: Starlette, engine: AsyncEngine, settings: Settings) -> None:
    """Trace ``app``'s requests and ``engine``'s statements when tracing is
    on; ``app.state.tracer_provider`` is the provider (None when off), where
    more span processors can be added."""
    provider = start_tracing(settings, engine)
    app.state.tracer_provider = provider
    if provider is None:
        return
    # The server span starts outside RequestIds, before the request has an
    # id: the innermost layer puts it on the span.
    app.user_middleware.append(Middleware(_stamping_request_id))
    build_stack = app.build_middleware_stack

    def build_traced_stack() -> ASGIApp:
        # Around Starlette's whole stack, its ServerErrorMiddleware too, so
        # that the 500 of an unhandled error is on the span.
        return _traced(build_stack(), provider)

    # Starlette builds its stack on the first call; no hook for the layer
    # outside ServerErrorMiddleware but this (as opentelemetry's own
    # Starlette instrumentation does).
    app.build_middleware_stack = build_traced_stack  # type: ignore[method-assign]


def _traced(app: ASGIApp, provider: TracerProvider) -> ASGIApp:
    """``app`` with a server span for each request, but for the probes and
    scrapes, which run with all instrumentation off: their SQL would
    otherwise be traces of their own, every few seconds."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    # One span per request: not one more per chunk sent or received.
    spanned = OpenTelemetryMiddleware(
        app, tracer_provider=provider, exclude_spans=["receive", "send"]
    )

    async def traced(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in UNTRACED_PATHS:
            with suppress_instrumentation():
                await app(scope, receive, send)
        else:
            await spanned(scope, receive, send)

    return traced


def _stamping_request_id(app: ASGIApp) -> ASGIApp:
    """``app`` with the request's id set on the current span (the server
    span: no other is current at this layer)."""
    from opentelemetry import trace

    async def stamped(scope: Scope, receive: Receive, send: Send) -> None:
        request_id = current_request_id()
        if request_id is not None:
            trace.get_current_span().set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
        await app(scope, receive, send)

    return stamped
