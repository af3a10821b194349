"""``GET /metrics``: Prometheus's text format (docs/metrics.md), and the one
observation per request the access log makes (``observe``).

Unauthenticated, like the health probes, but answered only to the addresses
in ``metrics_allow`` (loopback and the private ranges by default): anyone
else gets the same 404 as for a path that does not exist.

The queue and outbox figures are read from the database at scrape time, on a
connection of their own and within ``SCRAPE_DB_TIMEOUT_S``; when the database
does not answer, the scrape still succeeds and says so with
``tuangou_database_up 0``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from graphql import GraphQLSchema
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from fulfilment.orders.models import Refund, RefundState
from kernel import health, metrics
from kernel.clock import as_utc, utcnow
from kernel.outbox import OutboxMessage, OutboxStatus
from kernel.wechatpay.models import REFUND_NOTIFY_PATH, TRANSACTION_NOTIFY_PATH

log = logging.getLogger("tuangou.api")

# Well inside Prometheus's default scrape timeout (10 s): a slow database
# shows as down rather than as a failed scrape.
SCRAPE_DB_TIMEOUT_S = 2.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Paths as metric labels: the app's routes, never a client's arbitrary path.
_EXACT_ROUTES = frozenset(
    {"/graphql", "/healthz", "/readyz", "/metrics", TRANSACTION_NOTIFY_PATH, REFUND_NOTIFY_PATH}
)
_PREFIX_ROUTES = ("/exports", "/app")

# Operation names come from clients: only the schema's root fields are kept
# as labels (matched as written or with a capital first letter, the usual
# way of naming an operation after its field), anything else is "other".
_operations: dict[str, str] = {}


def register_operations(schema: Any) -> None:
    """Allow ``schema``'s root field names (queries, mutations,
    subscriptions) as operation labels."""
    graphql_schema: GraphQLSchema = getattr(schema, "_schema", schema)
    roots = (
        graphql_schema.query_type,
        graphql_schema.mutation_type,
        graphql_schema.subscription_type,
    )
    for root in roots:
        for name in root.fields if root is not None else ():
            _operations[name] = name
            _operations[name[:1].upper() + name[1:]] = name


def operation_label(name: str | None) -> str:
    """A client's operation name as a bounded label; "unknown" when the
    request never reached execution (a document that does not validate,
    GraphiQL's page)."""
    if name is None:
        return "unknown"
    return _operations.get(name, "other")


def route_label(path: str) -> str:
    """The route a path belongs to."""
    if path in _EXACT_ROUTES:
        return path
    for prefix in _PREFIX_ROUTES:
        if path.startswith(prefix):
            return prefix
    return "other"


def outcome_label(status: int, graphql_errors: bool) -> str:
    """The status class, or "errors" for a successful answer carrying
    GraphQL top-level errors."""
    if graphql_errors and 200 <= status < 300:
        return "errors"
    return f"{status // 100}xx"


def observe(scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
    """Count one answered request (called by the access log, which measured it)."""
    route = route_label(scope["path"])
    operation = operation_label(state.get("graphql_operation")) if route == "/graphql" else ""
    outcome = outcome_label(status, bool(state.get("graphql_errors")))
    metrics.observe_request(route, operation, outcome, seconds)
    engine = getattr(getattr(scope.get("app"), "state", None), "engine", None)
    if engine is not None:
        metrics.sample_pool(engine.pool)


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowed)


def client_allowed(host: str | None, allowed: list[str]) -> bool:
    """Whether a client at ``host`` may read the metrics. No address (a
    Unix socket) is a local client."""
    if host is None:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(allowed)))


async def _snapshot(engine: AsyncEngine) -> metrics.Snapshot:
    now = utcnow()
    pending = OutboxMessage.status == OutboxStatus.PENDING
    async with engine.connect() as conn:
        jobs = await health.queued_jobs(conn, now)
        row = (
            await conn.execute(
                select(
                    func.count().filter(pending),
                    func.min(OutboxMessage.created_at).filter(pending),
                    func.count().filter(OutboxMessage.status == OutboxStatus.FAILED),
                ).where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
            )
        ).one()
        refunds = (await conn.execute(_REFUNDS)).one()
    return metrics.Snapshot(
        queued_jobs=metrics.Backlog(jobs.count, jobs.oldest_age_s or 0.0),
        pending_outbox=metrics.Backlog(int(row[0]), _age(now, row[1])),
        failed_outbox=int(row[2]),
        waiting_refunds=metrics.Backlog(int(refunds[0]), _age(now, refunds[1])),
        stuck_refunds=int(refunds[2]),
    )


def _age(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else max(0.0, (now - as_utc(since)).total_seconds())


_WAITING = Refund.state.in_([RefundState.PENDING, RefundState.PROCESSING])
# By state, through the sender's index: a scrape never reads settled refunds.
_REFUNDS = select(
    func.count().filter(_WAITING),
    func.min(Refund.created_at).filter(_WAITING),
    func.count().filter(~_WAITING),
).where(Refund.state.in_([s for s in RefundState if s is not RefundState.SUCCESS]))


async def database_snapshot(engine: AsyncEngine) -> metrics.Snapshot | None:
    """The scrape's database figures, or None when the database did not
    answer within ``SCRAPE_DB_TIMEOUT_S``."""
    try:
        async with asyncio.timeout(SCRAPE_DB_TIMEOUT_S):
            return await _snapshot(engine)
    except Exception as exc:  # an outage is a figure here, never a failed scrape
        log.warning("metrics: database figures unavailable: %s", type(exc).__name__)
        return None


async def metrics_endpoint(request: Request) -> Response:
    """The metrics, or 404 for a client outside ``metrics_allow``."""
    state: Any = request.app.state
    host = request.client.host if request.client else None
    if not client_allowed(host, state.settings.metrics_allow):
        return PlainTextResponse("Not Found", status_code=404)
    snapshot = await database_snapshot(state.engine)
    return Response(metrics.render(snapshot), media_type=CONTENT_TYPE_LATEST)


def metrics_route(schema: Any) -> Route:
    """The ``/metrics`` route; ``schema``'s root fields become the operation
    labels."""
    register_operations(schema)
    return Route("/metrics", metrics_endpoint, methods=["GET"])
