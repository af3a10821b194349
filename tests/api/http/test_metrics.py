"""/metrics: requests, user errors, orders and GMV, jobs and backlogs, who may
read it, and the sum over ``tuangou serve --workers 2``'s processes.

Counters live as long as the test process: every check is a difference
between two scrapes."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.http.app import create_app
from fulfilment.orders.models import Refund, RefundReason, RefundState
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.diagnostics import PING
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from kernel.metrics import Backlog, Snapshot, _SnapshotCollector, start_exporter
from kernel.outbox import OutboxMessage, OutboxStatus
from kernel.settings import Settings
from tests.api.test_e2e_server import env_for, free_port, serving
from tests.conftest import TestDB
from tests.conftest import test_settings as settings_for
from tests.fulfilment.orders.test_refund_cap import paid_order
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.paying import paying

DASHBOARD = Path(__file__).parents[3] / "deploy" / "grafana" / "dashboards" / "tuangou.json"

PAY = """
mutation($id: ID!) {
  paymentSimulate(input: {id: $id}) { order { status } userErrors { code } }
}
"""


def value(text: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


def names(text: str) -> set[str]:
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


@asynccontextmanager
async def client(
    settings: Settings, peer: tuple[str, int] = ("127.0.0.1", 40000), lifespan: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to a fresh app, as a client at ``peer``."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=peer)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        if not lifespan:
            yield http
            return
        async with app.router.lifespan_context(app):
            yield http


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def post(http: httpx.AsyncClient, query: str, variables: Any, token: str) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_orders_payments_and_user_errors(db: TestDB, tmp_path: Path) -> None:
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    _, token = await db.user(Role.CUSTOMER, "居民")
    # Paid through the WeChat Pay sandbox: the app is served over HTTP (in
    # this process, so its counters are these), the sandbox notifies it.
    async with paying(db, tmp_path) as app:
        http = app.gql.http
        before = await scrape(http)
        first = order_input(shop, {0: 3})
        created = (await post(http, ORDER_CREATE, first, token))["data"]["orderCreate"]
        assert created["userErrors"] == []
        total = created["order"]["totalFen"]
        paid = await post(http, PAY, {"id": created["order"]["id"]}, token)
        assert paid["data"]["paymentSimulate"]["order"]["status"] == "PAID", paid
        replay = await post(http, ORDER_CREATE, first, token)  # the same key: nothing new
        assert replay["data"]["orderCreate"]["order"]["id"] == created["order"]["id"]
        sold_out = await post(http, ORDER_CREATE, order_input(shop, {0: 3}), token)
        assert sold_out["data"]["orderCreate"]["userErrors"][0]["code"] == "SOLD_OUT"
        broken = await post(http, "{ noSuchField }", {}, token)
        assert broken["errors"]
        after = await scrape(http)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ordered = {"route": "/graphql", "operation": "orderCreate", "outcome": "2xx"}
    assert moved("tuangou_http_requests_total", **ordered) == 3
    assert moved("tuangou_http_request_duration_seconds_count", operation="orderCreate") == 3
    assert moved("tuangou_http_requests_total", operation="paymentSimulate") == 1
    notified = {"route": "/payments/wechatpay/notify", "outcome": "2xx"}
    assert moved("tuangou_http_requests_total", **notified) == 1
    assert moved("tuangou_http_requests_total", route="/graphql", outcome="errors") == 1
    assert moved("tuangou_graphql_user_errors_total", code="SOLD_OUT") == 1
    assert moved("tuangou_orders_placed_total") == 1
    assert moved("tuangou_orders_paid_total") == 1
    assert moved("tuangou_gmv_fen_total") == total == 2970
    assert value(after, "tuangou_database_up") == 1


async def test_backlogs_are_read_at_scrape_time(db: TestDB) -> None:
    old = utcnow() - timedelta(minutes=10)
    async with unit_of_work(db.sessions) as session:
        await enqueue(session, PING, {"steps": 1})
        for status in (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.DELIVERED):
            session.add(
                OutboxMessage(
                    topic="test",
                    url="http://127.0.0.1:9/",
                    secret="s",
                    payload={},
                    status=status,
                    created_at=old,
                )
            )
    # Without the app's lifespan: no inline runner takes the job meanwhile.
    async with client(db.settings, lifespan=False) as http:
        text = await scrape(http)
    assert value(text, "tuangou_database_up") == 1
    assert value(text, "tuangou_jobs_queued") == 1
    assert value(text, "tuangou_outbox_pending") == 1
    assert value(text, "tuangou_outbox_failed") == 1
    assert value(text, "tuangou_outbox_pending_oldest_age_seconds") >= 600
    assert value(text, "tuangou_jobs_queued_oldest_age_seconds") >= 0


async def test_refunds_waiting_and_stuck_are_read_at_scrape_time(db: TestDB) -> None:
    """An operator's alert: money on its way back too long, or stuck."""
    order_id, total = await paid_order(db)
    old = utcnow() - timedelta(minutes=10)
    async with unit_of_work(db.sessions) as session:
        for state in RefundState:
            session.add(
                Refund(
                    order_id=order_id,
                    amount_fen=total // 10,
                    reason=RefundReason.SHORTAGE,
                    created_at=old,
                    state=state,
                )
            )
    async with client(db.settings, lifespan=False) as http:
        text = await scrape(http)
    assert value(text, "tuangou_refunds_waiting") == 2  # pending, processing
    assert value(text, "tuangou_refunds_waiting_oldest_age_seconds") >= 600
    assert value(text, "tuangou_refunds_stuck") == 2  # abnormal, closed


async def test_guard_refusals_are_user_errors(db: TestDB) -> None:
    shop = await open_shop(db)
    _, token = await db.user(Role.CUSTOMER)
    async with client(db.settings) as http:
        before = await scrape(http)
        body = await post(http, ORDER_CREATE, order_input(shop, {0: 1}, key="x" * 500), token)
        errors = body["data"]["orderCreate"]["userErrors"]
        after = await scrape(http)
    code = errors[0]["code"]
    assert value(after, "tuangou_graphql_user_errors_total", code=code) - value(
        before, "tuangou_graphql_user_errors_total", code=code
    ) == len(errors)


async def test_a_job_run_is_counted(db: TestDB) -> None:
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, PING, {"steps": 1})
    async with client(db.settings, lifespan=False) as http:
        before = await scrape(http)
        assert (await run_job(db.sessions, job.id)) is not None
        after = await scrape(http)
    ran = {"kind": PING, "state": "succeeded"}
    assert (
        value(after, "tuangou_jobs_total", **ran) - value(before, "tuangou_jobs_total", **ran) == 1
    )
    seconds = "tuangou_job_duration_seconds_count"
    assert value(after, seconds, **ran) - value(before, seconds, **ran) == 1


async def test_only_allowed_clients_read_the_metrics(tmp_path: Any) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    async with client(settings, peer=("203.0.113.7", 5000), lifespan=False) as http:
        assert (await http.get("/metrics")).status_code == 404
    async with client(settings, peer=("10.1.2.3", 5000), lifespan=False) as http:
        assert (await http.get("/metrics")).status_code == 200
    narrow = settings_for(settings.database_url, metrics_allow=["10.0.0.0/8"])
    async with client(narrow, lifespan=False) as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_a_database_outage_is_a_figure_not_a_failure() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    settings = settings_for("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    async with client(settings, lifespan=False) as http:
        text = await scrape(http)
    assert value(text, "tuangou_database_up") == 0
    assert "tuangou_jobs_queued" not in names(text)


def test_workers_metrics_are_summed(pg: TestDB, tmp_path: Any) -> None:
    env = env_for(pg.url)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve makes its own
    with serving(env, tmp_path, "--workers", "2", "--no-migrate") as base:
        # Counted on /readyz, which nothing else asks: the wait for the server
        # polls /healthz, and on a loaded machine a poll that timed out on
        # our side may still be counted by the server after our first scrape.
        first = httpx.get(f"{base}/metrics", timeout=10).text
        started = value(first, "tuangou_http_requests_total", route="/readyz")
        requests = 40
        for _ in range(requests):
            # A connection each: the kernel spreads them over both workers.
            # Answered either way (no queue worker runs here: 503), and counted.
            assert httpx.get(f"{base}/readyz", timeout=10).status_code in (200, 503)
        for _ in range(4):  # whichever worker answers reports both
            text = httpx.get(f"{base}/metrics", timeout=10).text
            ready = value(text, "tuangou_http_requests_total", route="/readyz")
            assert ready == started + requests
            pids = {
                s.labels["pid"]
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if s.name == "tuangou_db_pool_size"
            }
            assert len(pids) == 2, pids
            assert value(text, "tuangou_database_up") == 1


def test_the_dashboard_names_only_metrics_that_exist() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    snapshot = Snapshot(Backlog(0, 0.0), Backlog(0, 0.0), 0)
    families = [*REGISTRY.collect(), *_SnapshotCollector(snapshot).collect()]
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
    known = {f.name + s for f in families for s in suffixes.get(f.type, [""])}
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(re.findall(r"\btuangou_[a-z_]+", target["expr"]))
            assert used and used <= known, (panel["title"], used - known)


def test_a_worker_exporter_serves_the_process_metrics() -> None:
    port = free_port()
    start_exporter(port, "127.0.0.1")  # a daemon thread, gone with the test process
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert "tuangou_orders_placed_total" in names(text)
