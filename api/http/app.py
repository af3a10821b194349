"""The ASGI application: ``/graphql`` (with GraphiQL), ``/healthz`` and
``/readyz`` (api/http/health.py), the payment callback, the ``/exports/...``
downloads and the web client under ``/app/`` (static files that speak only to
``/graphql`` and ``/exports/``)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

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
from api.graphql.unavailable import RETRY_AFTER_S, database_unavailable, unavailable_body
from api.handlers import load_job_handlers
from api.http.access_log import AccessLog
from api.http.downloads import export_routes
from api.http.health import health_routes
from api.http.metrics import metrics_route
from api.http.network_downloads import network_export_routes
from api.http.request_ids import RequestIds
from api.http.supplier_downloads import supplier_export_routes
from api.http.tracing import instrument_app
from api.http.wechatpay_notify import wechatpay_notify
from api.http.wechatpay_refund_notify import wechatpay_refund_notify
from api.wechatpay_client import close_wechatpay, install_wechatpay
from kernel.db import create_sessionmaker
from kernel.engines import engine_for
from kernel.jobs.queue import JobQueue, build_queue
from kernel.logs import configure_from
from kernel.settings import Settings, get_settings, refuse_unsafe_production
from kernel.sqlite import READ_ONLY_OPTION
from kernel.wechatpay.models import REFUND_NOTIFY_PATH, TRANSACTION_NOTIFY_PATH

log = logging.getLogger("tuangou.api")


WEB_DIR = Path(__file__).parents[1] / "web"


# GraphiQL's page, loading React and GraphiQL from /app/vendor/ rather than
# strawberry's CDN links, so that it works offline (api/web/vendor/README.md).
GRAPHIQL_PAGE = WEB_DIR / "vendor" / "graphiql.html"


class _GraphQLView(GraphQL[Context, None]):
    """strawberry's view, answering 503 JSON while the database is away
    before any operation ran (the bearer-token lookup needs it first)."""

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().run(request, *args, **kwargs)
        except Exception as exc:
            if not (isinstance(request, Request) and database_unavailable(exc)):
                raise
            log.warning("database unavailable: %s", type(exc).__name__)
            return JSONResponse(
                unavailable_body(), 503, headers={"Retry-After": str(RETRY_AFTER_S)}
            )


def _auth_engine(engine: AsyncEngine, settings: Settings) -> AsyncEngine:
    """The bearer-token lookup's engine: one SELECT on a bare connection, on
    PostgreSQL without a transaction around it (no BEGIN and ROLLBACK round
    trips per request)."""
    if settings.is_sqlite:
        return engine.execution_options(**{READ_ONLY_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _lifespan(
    queue: JobQueue, engine: AsyncEngine, freeze_startup_heap: bool
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
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
            await close_wechatpay(app.state)
            await engine.dispose()

    return lifespan


def create_app(settings: Settings | None = None, *, freeze_startup_heap: bool = False) -> Starlette:
    """Build the app for ``settings`` (from the environment by default); the
    database must already be migrated (``tuangou serve`` does that).

    ``freeze_startup_heap``: for a process that serves only this app (see
    ``serve_app``)."""
    settings = settings or get_settings()
    refuse_unsafe_production(settings)
    config: Settings = settings
    load_job_handlers()
    engine = engine_for(settings)
    sessions = create_sessionmaker(engine)
    read_sessions = create_sessionmaker(engine, read_only=True)
    auth_engine = _auth_engine(engine, settings)
    # On PostgreSQL the auth engine is the autocommit one (in_one_statement).
    statement_sessions = None if settings.is_sqlite else create_sessionmaker(auth_engine)
    queue = build_queue(settings, sessions)

    class GraphQLApp(_GraphQLView):
        async def get_context(
            self, request: Request | WebSocket, response: Response | WebSocket
        ) -> Context:
            viewer, refusal = await request_auth(request, auth_engine, config.token_secret)
            return Context(
                settings=config,
                engine=engine,
                sessions=sessions,
                read_sessions=read_sessions,
                statement_sessions=statement_sessions,
                queue=queue,
                viewer=viewer,
                token_refused=refusal is not None,
                refusal=refusal,
                request=request,
                response=response,
            )

        async def render_graphql_ide(self, request: Request) -> Response:
            return HTMLResponse(GRAPHIQL_PAGE.read_text(encoding="utf-8"))

    graphql = GraphQLApp(
        build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None
    )

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *health_routes(engine, settings),
            metrics_route(graphql.schema),
            Route(TRANSACTION_NOTIFY_PATH, wechatpay_notify, methods=["POST"]),
            Route(REFUND_NOTIFY_PATH, wechatpay_refund_notify, methods=["POST"]),
            *export_routes(),
            *supplier_export_routes(),
            *network_export_routes(),
            Mount("/app", StaticFiles(directory=WEB_DIR, html=True), name="app"),
        ],
        lifespan=_lifespan(queue, engine, freeze_startup_heap),
        # The request id first: the access log line carries it.
        middleware=[
            Middleware(RequestIds, trusted_proxies=settings.trusted_proxies),
            Middleware(AccessLog),
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.read_sessions = read_sessions
    app.state.auth_engine = auth_engine
    app.state.queue = queue
    install_wechatpay(app.state, settings)
    instrument_app(app, engine, settings)
    return app


def serve_app() -> Starlette:
    """The app as ``tuangou serve`` runs it in each worker process (a
    process of its own: it sets up its own logging)."""
    settings = get_settings()
    configure_from(settings)
    return create_app(settings, freeze_startup_heap=True)
