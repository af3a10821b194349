"""Suppliers are told of new and revised purchase orders by signed webhooks,
retried with backoff; a failing endpoint never blocks consolidation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import text

from api.graphql.ids import encode
from fulfilment.orders.cancelling import cancel_order
from fulfilment.purchasing.consolidation import consolidate
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.outbox import MAX_ATTEMPTS, SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver_due, sign
from tests.conftest import app_client
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import open_shop
from tests.support.geo import closed_port


@dataclass
class Receiver:
    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/po"


@contextmanager
def receiver(status: int = 200) -> Iterator[Receiver]:
    """A real HTTP endpoint on 127.0.0.1 recording what it is sent."""
    state = Receiver(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers), body))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


async def set_webhook(db: Any, shop: Any, url: str) -> str:
    async with app_client(db.url) as gql:
        body = await gql(
            "mutation($s: ID!, $u: String!) { supplierWebhookSet(input: {supplierId: $s, "
            "url: $u}) { secret userErrors { code field } } }",
            {"s": encode("Supplier", shop.extra["supplier_id"]), "u": url},
            token=shop.operator_token,
        )
    result = body["data"]["supplierWebhookSet"]
    assert result["userErrors"] == [], result
    return str(result["secret"])


async def consolidated_day(db: Any, url: str) -> tuple[Any, str, Any]:
    shop = await open_shop(db)
    secret = await set_webhook(db, shop, url)
    customer, _ = await db.user(Role.CUSTOMER)
    placed = await order(db, shop, customer, {0: 5}, pay=True)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    return shop, secret, placed


async def outbox(db: Any) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT status, attempts, last_error FROM outbox_messages ORDER BY id")
        )
        return [tuple(r) for r in rows.all()]


async def test_a_new_purchase_order_reaches_the_supplier_signed(db):
    with receiver() as hook:
        shop, secret, placed = await consolidated_day(db, hook.url)
        assert await outbox(db) == [("pending", 0, None)]
        report = await deliver_due(db.sessions)
        assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)

        ((headers, body),) = hook.received
        assert headers[SIGNATURE_HEADER] == sign(secret, headers[TIMESTAMP_HEADER], body)
        message = json.loads(body)
        assert message["topic"] == "purchase_order.published"
        assert message["data"]["revision"] == 1
        assert message["data"]["lines"] == [
            {"productId": shop.extra["product_id"], "orderedUnits": 5, "casePack": 12, "cases": 1}
        ]
        assert await outbox(db) == [("delivered", 1, None)]

        # Delivering again sends nothing more; a revision is a new message.
        assert (await deliver_due(db.sessions)).delivered == 0
        async with unit_of_work(db.sessions) as session:
            await cancel_order(session, placed.id, shop.operator, now=utcnow())
        async with unit_of_work(db.sessions) as session:
            await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        assert (await deliver_due(db.sessions)).delivered == 1
        assert json.loads(hook.received[1][1])["data"]["revision"] == 2


async def test_a_failing_endpoint_is_retried_then_given_up_never_blocking(db):
    with receiver(status=500) as hook:
        await consolidated_day(db, hook.url)
        report = await deliver_due(db.sessions)
        assert (report.delivered, report.retrying) == (0, 1)
        status, attempts, error = (await outbox(db))[0]
        assert (status, attempts, error) == ("pending", 1, "HTTP 500")
        # Not due again until its backoff has passed.
        assert (await deliver_due(db.sessions)).retrying == 0
        for _ in range(MAX_ATTEMPTS - 1):
            async with db.engine.begin() as conn:
                await conn.execute(text("UPDATE outbox_messages SET next_attempt_at = created_at"))
            await deliver_due(db.sessions)
        assert (await outbox(db))[0][:2] == ("failed", MAX_ATTEMPTS)
        assert len(hook.received) == MAX_ATTEMPTS
    # The purchase order itself was never held up.
    assert await db.scalar("SELECT count(*) FROM purchase_orders") == 1


async def test_an_unreachable_endpoint_is_retried(db):
    await consolidated_day(db, f"http://127.0.0.1:{closed_port()}/hook")
    report = await deliver_due(db.sessions)
    assert report.retrying == 1
    status, attempts, error = (await outbox(db))[0]
    assert (status, attempts) == ("pending", 1) and "ConnectError" in error


async def test_only_http_urls_are_accepted(db):
    shop = await open_shop(db)
    async with app_client(db.url) as gql:
        body = await gql(
            "mutation($s: ID!, $u: String!) { supplierWebhookSet(input: {supplierId: $s, "
            "url: $u}) { secret userErrors { code field } } }",
            {"s": encode("Supplier", shop.extra["supplier_id"]), "u": "ftp://x"},
            token=shop.operator_token,
        )
    assert body["data"]["supplierWebhookSet"] == {
        "secret": None,
        "userErrors": [{"code": "INVALID", "field": ["url"]}],
    }
