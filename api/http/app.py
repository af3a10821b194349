"""The ASGI application: ``/graphql`` (with GraphiQL), ``/healthz``, the
payment callback, the ``/exports/...`` downloads and the web client under
``/app/`` (static files that speak only to ``/graphql`` and ``/exports/``)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.graphql.context import Context, request_auth
from api.graphql.schema import build_schema
from api.handlers import load_job_handlers
from api.http.downloads import export_routes
from api.http.payments import wechat_notify
from api.http.request_ids import RequestIds, current_request_id
from kernel.db import READ_ONLY_OPTION, create_engine, create_sessionmaker
from kernel.jobs.queue import build_queue
from kernel.settings import Settings, get_settings

log = logging.getLogger("tuangou.api")


WEB_DIR = Path(__file__).parents[1] / "web"


# GraphiQL's page, loading React and GraphiQL from /app/vendor/ rather than
# strawberry's CDN links, so that it works offline (api/web/vendor/README.md).
GRAPHIQL_PAGE = WEB_DIR / "vendor" / "graphiql.html"


def _engine(settings: Settings) -> AsyncEngine:
    """The process's engine: SQLite's own, or a PostgreSQL pool sized by the settings."""
    if settings.is_sqlite:
        return create_engine(settings.database_url)
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_overflow,
        pool_timeout=settings.db_pool_timeout_s,
    )


def _healthz(engine: AsyncEngine) -> Callable[[Request], Awaitable[Response]]:
    async def healthz(_: Request) -> Response:
        try:
            async with asyncio.timeout(3), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to reach the database is "unhealthy"
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return healthz


def _auth_engine(engine: AsyncEngine, settings: Settings) -> AsyncEngine:
    """The bearer-token lookup's engine: one SELECT on a bare connection, on
    PostgreSQL without a transaction around it (no BEGIN and ROLLBACK round
    trips per request)."""
    if settings.is_sqlite:
        return engine.execution_options(**{READ_ONLY_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_app(settings: Settings | None = None, *, freeze_startup_heap: bool = False) -> Starlette:
    """Build the app for ``settings`` (from the environment by default); the
    database must already be migrated (``tuangou serve`` does that).

    ``freeze_startup_heap``: for a process that serves only this app (see
    ``serve_app``)."""
    settings = settings or get_settings()
    config: Settings = settings
    load_job_handlers()
    engine = _engine(settings)
    sessions = create_sessionmaker(engine)
    read_sessions = create_sessionmaker(engine, read_only=True)
    auth_engine = _auth_engine(engine, settings)
    queue = build_queue(settings, sessions)

    class GraphQLApp(GraphQL[Context, None]):
        async def get_context(
            self, request: Request | WebSocket, response: Response | WebSocket
        ) -> Context:
            viewer, refusal = await request_auth(request, auth_engine, config.token_secret)
            return Context(
                settings=config,
                engine=engine,
                sessions=sessions,
                read_sessions=read_sessions,
                queue=queue,
                viewer=viewer,
                token_refused=refusal is not None,
                refusal=refusal,
                request=request,
                request_id=current_request_id(),
            )

        async def render_graphql_ide(self, request: Request) -> Response:
            return HTMLResponse(GRAPHIQL_PAGE.read_text(encoding="utf-8"))

    graphql = GraphQLApp(
        build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await queue.start()
        if freeze_startup_heap:
            # The schema, the mappers and the libraries are some 200,000
            # objects that live as long as the process. Each full pass of the
            # garbage collector walked them all: a 120-250 ms stall of every
            # request in flight, every two seconds under load. Frozen, the
            # full passes walk only what requests have made since.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await queue.stop()
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", _healthz(engine)),
            Route("/payments/wechat/notify", wechat_notify, methods=["POST"]),
            *export_routes(),
            Mount("/app", StaticFiles(directory=WEB_DIR, html=True), name="app"),
        ],
        lifespan=lifespan,
        middleware=[Middleware(RequestIds, trusted_proxies=settings.trusted_proxies)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.read_sessions = read_sessions
    app.state.auth_engine = auth_engine
    app.state.queue = queue
    return app


def serve_app() -> Starlette:
    """The app as ``tuangou serve`` runs it in each worker process."""
    return create_app(freeze_startup_heap=True)
