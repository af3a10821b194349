"""The platform's Prometheus metrics (docs/metrics.md): the metric objects,
the small helpers the code that knows a fact calls, and the rendering of
``/metrics`` for one process or, with ``PROMETHEUS_MULTIPROC_DIR`` set, for
every process writing into that directory.

prometheus-client picks its storage when it is first imported: in memory, or
memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` that any process on the
host can read and sum. ``tuangou serve --workers N`` starts gunicorn's master
with the variable set (api/http/serving.py), so each worker writes its own
files and whichever worker answers a scrape reports all of them.

Nothing here touches the database or HTTP: figures read from the database at
scrape time are handed in (``Snapshot``) and rendered by a throwaway collector
that never writes into the shared directory.
"""

from __future__ import annotations

import atexit
import glob
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The *_created series double the output and no dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# orderCreate answers in tens of milliseconds; exports and plans take seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Jobs run from a fraction of a second (a ping) to many minutes (route planning).
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)

REQUESTS = Counter(
    "tuangou_http_requests",
    "HTTP requests answered, by route, GraphQL operation and outcome "
    "(status class, or 'errors' for a GraphQL answer with top-level errors).",
    ["route", "operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "tuangou_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer.",
    ["route", "operation"],
    buckets=REQUEST_BUCKETS,
)
USER_ERRORS = Counter(
    "tuangou_graphql_user_errors",
    "UserErrors answered (a broken business rule or a refused input), by code.",
    ["code"],
)
JOBS = Counter("tuangou_jobs", "Jobs run to an end, by kind and final state.", ["kind", "state"])
JOB_SECONDS = Histogram(
    "tuangou_job_duration_seconds",
    "Time a job's run took, from its claim to its final state.",
    ["kind", "state"],
    buckets=JOB_BUCKETS,
)
ORDERS_PLACED = Counter("tuangou_orders_placed", "Orders placed (idempotent replays not counted).")
ORDERS_PAID = Counter("tuangou_orders_paid", "Orders whose payment was accepted.")
GMV_FEN = Counter("tuangou_gmv_fen", "Paid orders' totals, in fen (1/100 yuan).")
# Per process: with several processes each keeps its own series (a pid
# label), and a process that exits takes its series with it.
POOL_IN_USE = Gauge(
    "tuangou_db_pool_in_use",
    "Database connections checked out of this process's pool.",
    multiprocess_mode="liveall",
)
POOL_SIZE = Gauge(
    "tuangou_db_pool_size",
    "Connections this process's pool keeps (its size, not counting overflow).",
    multiprocess_mode="liveall",
)
POOL_OVERFLOW = Gauge(
    "tuangou_db_pool_overflow",
    "Connections opened beyond the pool's size (db_pool_overflow), now.",
    multiprocess_mode="liveall",
)

# Label lookups take a lock and build a tuple: done once per label set.
_request_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_POOL_SAMPLE_EVERY_S = 1.0
_next_pool_sample = 0.0


def multiprocess_dir() -> str | None:
    """The directory processes share their metrics through, when set."""
    return os.environ.get(MULTIPROC_ENV) or None


if multiprocess_dir():
    # A process that exits normally removes its per-process gauges, so the
    # pool of a worker uvicorn replaced does not linger in the sums.
    atexit.register(multiprocess.mark_process_dead, os.getpid())


def observe_request(route: str, operation: str, outcome: str, seconds: float) -> None:
    """Count one answered HTTP request and its duration."""
    key = (route, operation, outcome)
    children = _request_children.get(key)
    if children is None:
        children = (
            REQUESTS.labels(route, operation, outcome),
            REQUEST_SECONDS.labels(route, operation),
        )
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def sample_pool(pool: Any) -> None:
    """Note ``pool``'s connections in use and overflow, at most once a second
    (a gauge write per request would cost more than it tells)."""
    global _next_pool_sample
    now = time.monotonic()
    if now < _next_pool_sample:
        return
    _next_pool_sample = now + _POOL_SAMPLE_EVERY_S
    # SQLite's pools (static, null) keep no such counts.
    checkedout = getattr(pool, "checkedout", None)
    if checkedout is None:
        return
    POOL_IN_USE.set(checkedout())
    POOL_SIZE.set(pool.size())
    # SQLAlchemy counts overflow from -size: negative until the pool is full.
    POOL_OVERFLOW.set(max(0, pool.overflow()))


def count_user_error(code: str) -> None:
    """Count one UserError of ``code`` sent to a client."""
    USER_ERRORS.labels(code).inc()


def observe_job(kind: str, state: str, seconds: float) -> None:
    """Count one job that reached ``state`` and how long its run took."""
    JOBS.labels(kind, state).inc()
    JOB_SECONDS.labels(kind, state).observe(seconds)


def count_order_placed() -> None:
    """Count one order placed; call after its transaction committed."""
    ORDERS_PLACED.inc()


def count_order_paid(total_fen: int) -> None:
    """Count one order paid and its total; call after the payment committed."""
    ORDERS_PAID.inc()
    GMV_FEN.inc(total_fen)


@dataclass(frozen=True)
class Backlog:
    """Items waiting and the age of the oldest (seconds; 0 when none waits)."""

    count: int
    oldest_age_s: float


@dataclass(frozen=True)
class Snapshot:
    """What ``/metrics`` read from the database for one scrape."""

    queued_jobs: Backlog
    pending_outbox: Backlog
    failed_outbox: int
    # Refunds on their way back (pending or processing), and those WeChat
    # Pay could not return (abnormal or closed: an operator acts).
    waiting_refunds: Backlog = Backlog(0, 0.0)
    stuck_refunds: int = 0


class _SnapshotCollector(Collector):
    """Renders one scrape's database figures; plain metric families, so they
    never reach the multiprocess files (a Gauge object would)."""

    def __init__(self, snapshot: Snapshot | None) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = self.snapshot
        yield GaugeMetricFamily(
            "tuangou_database_up",
            "1 when this scrape could read the database within its timeout, else 0.",
            value=0 if snap is None else 1,
        )
        if snap is None:
            return
        figures = (
            ("tuangou_jobs_queued", "Jobs waiting to run.", snap.queued_jobs.count),
            (
                "tuangou_jobs_queued_oldest_age_seconds",
                "How long the oldest queued job has waited (0 when none).",
                snap.queued_jobs.oldest_age_s,
            ),
            (
                "tuangou_outbox_pending",
                "Webhook messages not yet delivered (still being tried).",
                snap.pending_outbox.count,
            ),
            (
                "tuangou_outbox_pending_oldest_age_seconds",
                "How long the oldest undelivered webhook message has waited (0 when none).",
                snap.pending_outbox.oldest_age_s,
            ),
            (
                "tuangou_outbox_failed",
                "Dead webhook deliveries: messages given up after their last attempt.",
                snap.failed_outbox,
            ),
            (
                "tuangou_refunds_waiting",
                "Refunds booked and not yet back with the payer (pending or processing).",
                snap.waiting_refunds.count,
            ),
            (
                "tuangou_refunds_waiting_oldest_age_seconds",
                "How long the oldest refund still on its way has waited (0 when none).",
                snap.waiting_refunds.oldest_age_s,
            ),
            (
                "tuangou_refunds_stuck",
                "Refunds WeChat Pay could not return (abnormal or closed): an operator acts.",
                snap.stuck_refunds,
            ),
        )
        for name, documentation, value in figures:
            yield GaugeMetricFamily(name, documentation, value=value)


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every process's when they share a directory."""
    if multiprocess_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def render(snapshot: Snapshot | None, *, with_snapshot: bool = True) -> bytes:
    """The Prometheus text exposition: the processes' metrics, then this
    scrape's database figures (``None``: the database did not answer)."""
    body = generate_latest(_process_registry())
    if with_snapshot:
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_SnapshotCollector(snapshot))
        body += generate_latest(scrape)
    return body


def start_exporter(port: int, addr: str = "0.0.0.0") -> None:
    """Serve this process's metrics (every process's sharing its directory)
    on ``addr:port`` from a background thread: for ``tuangou worker``."""
    start_http_server(port, addr=addr, registry=_process_registry())


def clear_multiprocess_directory(path: str) -> None:
    """Make ``path`` ready for a new run: created, and emptied of a dead
    run's files, which would otherwise be summed with the new processes'."""
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
