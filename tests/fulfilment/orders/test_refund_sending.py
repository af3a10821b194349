"""Refunds go back through WeChat Pay (fulfilment/orders/refund_sending.py):
against the sandbox over real HTTP, the app receiving its refund
notifications, on both databases. A refund is sent once, retried when the
provider is down, left for an operator when the provider cannot pay it, and
never paid twice, whatever crashes in between."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.graphql.ids import encode
from api.sandbox.notify import envelope
from fulfilment.orders.jobs import send_refunds
from fulfilment.orders.refund_sending import CLAIM, call_provider, claim_due, send_due_refunds
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.registry import JobContext
from kernel.wechatpay import crypto, provider
from kernel.wechatpay.models import REFUND_NOTIFY_PATH
from tests.conftest import TestDB
from tests.fulfilment.orders.test_provider_check import on_the_sandbox
from tests.support.factories import open_shop
from tests.support.ordering import ORDER_CANCEL
from tests.support.paying import Paying, eventually, place, wechat_customer

REFUNDS = """
query($states: [RefundState!]) {
  refunds(first: 20, states: $states) {
    edges { node { id amountFen reason state providerReason sentAt succeededAt } }
  }
}
"""
ORDER_REFUNDS = """
query($id: ID!) { node(id: $id) { ... on Order { status refunds { amountFen state } } } }
"""
RETRY = """
mutation($id: ID!) {
  refundRetry(input: {refundId: $id}) { refund { state } userErrors { code message } }
}
"""


@pytest.fixture(autouse=True)
def _merchant_restored() -> Iterator[None]:
    before = provider.configured()
    yield
    provider.configure(before)


class Refunding:
    """A paid order at the sandbox, cancelled by its customer: one refund."""

    def __init__(self, app: Paying, order: dict[str, Any], token: str, operator: str) -> None:
        self.app, self.order, self.token, self.operator = app, order, token, operator

    async def refund(self) -> dict[str, Any]:
        """The order's one refund row, as the database has it."""
        async with self.app.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, state, attempts, resend_no, provider_reason, "
                        "provider_refund_id FROM refunds WHERE order_id = :id"
                    ),
                    {"id": self.order["db_id"]},
                )
            ).all()
        assert len(rows) == 1, rows
        return dict(rows[0]._mapping)

    async def state(self) -> str:
        return str((await self.refund())["state"])

    async def answered(self) -> None:
        """Wait until the sandbox has nothing in flight: a notification
        still on its way would take the refund's row lock, and a sender
        running meanwhile skips a locked refund until its next run."""

        async def in_flight() -> int:
            return len(self.app.sandbox.state.tasks)

        await eventually(in_flight, 0)

    def at_sandbox(self) -> list[Any]:
        """The refunds the sandbox holds for this order."""
        return [
            r
            for r in self.app.sandbox.state.refunds.values()
            if r.out_trade_no == self.order["number"]
        ]

    async def gql(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        body = await self.app.gql(query, variables, token=token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@asynccontextmanager
async def refunding(db: TestDB, tmp_path: Path) -> AsyncIterator[Refunding]:
    async with on_the_sandbox(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token, _ = await wechat_customer(db, app.sandbox.state.keys.appid)
        order = await place(app.gql, shop, token)
        assert (await app.pay(order["db_id"], "JSAPI", token))["userErrors"] == []
        app.sandbox.pay(order["number"])
        paid = "SELECT status FROM orders WHERE id = :id"
        await eventually(lambda: db.scalar(paid, id=order["db_id"]), "paid")
        cancelled = await app.gql(ORDER_CANCEL, {"id": order["id"]}, token=token)
        assert cancelled["data"]["orderCancel"]["userErrors"] == [], cancelled
        _, operator = await db.user(Role.OPERATOR, "财务")
        yield Refunding(app, order, token, operator)


async def run(db: TestDB, now: datetime | None = None) -> dict[str, Any]:
    """One run of the sender, as the queue would start it (``now`` moved)."""
    if now is None:
        result = await send_refunds(JobContext(job_id=0, sessions=db.sessions), {})
        assert result is not None
        return result
    async with provider.payment_provider() as client:
        return (await send_due_refunds(db.sessions, client, now)).as_dict()


async def test_a_cancelled_paid_order_is_refunded_at_the_provider(
    db: TestDB, tmp_path: Path
) -> None:
    async with refunding(db, tmp_path) as r:
        assert await r.state() == "pending"
        assert r.at_sandbox() == []

        result = await run(db)

        assert result["sent"] == 1 and result["failed"] == 0
        # The sandbox settles it and says so to the app's refund callback.
        await eventually(r.state, "success")
        (at_sandbox,) = r.at_sandbox()
        row = await r.refund()
        assert at_sandbox.out_refund_no == str(row["id"])
        assert at_sandbox.refund == r.order["totalFen"]
        assert row["provider_refund_id"] == at_sandbox.refund_id
        seen = await r.gql(ORDER_REFUNDS, r.token, id=r.order["id"])
        assert seen["node"]["refunds"] == [{"amountFen": r.order["totalFen"], "state": "SUCCESS"}]
        # Nothing more to do: the next run sends nothing.
        assert (await run(db))["sent"] == 0
        assert len(r.at_sandbox()) == 1


async def test_provider_down_the_refund_waits_and_goes_out_once_later(
    db: TestDB, tmp_path: Path
) -> None:
    async with refunding(db, tmp_path) as r:
        r.app.sandbox.faults(refund_error_status=500)

        result = await run(db)

        assert result["failed"] == 1 and result["provider_down"] is True
        row = await r.refund()
        assert (row["state"], row["attempts"]) == ("pending", 1)
        assert "500" in row["provider_reason"]
        r.app.sandbox.faults(refund_error_status=None)
        # It waits its backoff: a run now sends nothing ...
        assert (await run(db))["sent"] == 0
        # ... and a run after it sends it.
        assert (await run(db, utcnow() + timedelta(minutes=5)))["sent"] == 1
        await eventually(r.state, "success")
        assert len(r.at_sandbox()) == 1


async def test_a_sender_that_died_after_sending_never_pays_twice(
    db: TestDB, tmp_path: Path
) -> None:
    """Claimed and sent, then the worker died before recording: after the
    claim lapses the next run sends it again under the same number, and the
    provider answers the same refund."""
    async with refunding(db, tmp_path) as r:
        now = utcnow()
        async with unit_of_work(db.sessions) as session:
            claimed = await claim_due(session, now)
        assert [d.refund_id for d in claimed] == [(await r.refund())["id"]]
        # Its notification lost too: only sending it again can tell us.
        r.app.sandbox.faults(drop_next_notification=True)
        async with provider.payment_provider() as client:
            assert client is not None
            await call_provider(client, claimed)  # ... and nothing recorded
        assert len(r.at_sandbox()) == 1

        async def paid_back_at_provider() -> str:
            return str(r.at_sandbox()[0].status)

        await eventually(paid_back_at_provider, "SUCCESS")
        assert (await run(db, now + CLAIM / 2))["sent"] == 0  # still claimed

        assert (await run(db, now + CLAIM + timedelta(seconds=1)))["sent"] == 1

        await eventually(r.state, "success")
        assert len(r.at_sandbox()) == 1
        assert (await r.refund())["attempts"] == 2


async def test_an_abnormal_refund_waits_for_an_operator_who_sends_it_again(
    db: TestDB, tmp_path: Path
) -> None:
    async with refunding(db, tmp_path) as r:
        r.app.sandbox.faults(refund_status="ABNORMAL")
        await run(db)
        await eventually(r.state, "abnormal")
        await r.answered()
        stuck = await r.gql(REFUNDS, r.operator, states=["ABNORMAL"])
        (edge,) = stuck["refunds"]["edges"]
        assert "could not take the money back" in edge["node"]["providerReason"]
        assert (await r.gql(REFUNDS, r.operator, states=["PENDING"]))["refunds"]["edges"] == []
        assert (await run(db, utcnow() + timedelta(hours=2)))["sent"] == 0  # nobody resends it

        r.app.sandbox.faults(refund_status=None)
        retried = await r.gql(RETRY, r.operator, id=edge["node"]["id"])
        assert retried["refundRetry"] == {"refund": {"state": "PENDING"}, "userErrors": []}
        assert (await run(db))["sent"] == 1
        await eventually(r.state, "success")

        row = await r.refund()
        by_number = {x.out_refund_no: x.status for x in r.at_sandbox()}
        assert by_number == {str(row["id"]): "ABNORMAL", f"{row['id']}-1": "SUCCESS"}
        again = await r.gql(RETRY, r.operator, id=edge["node"]["id"])
        assert [e["code"] for e in again["refundRetry"]["userErrors"]] == ["REFUND_NOT_RETRYABLE"]


async def test_only_operators_retry_refunds(db: TestDB, tmp_path: Path) -> None:
    async with refunding(db, tmp_path) as r:
        refund_id = encode("Refund", (await r.refund())["id"])
        body = await r.app.gql(RETRY, {"id": refund_id}, token=r.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await r.state() == "pending"


async def test_a_forged_refund_notification_changes_nothing(db: TestDB, tmp_path: Path) -> None:
    async with refunding(db, tmp_path) as r:
        row = await r.refund()
        state = r.app.sandbox.state
        resource = {
            "out_refund_no": str(row["id"]),
            "out_trade_no": r.order["number"],
            "refund_id": "50300000000000000000000000000",
            "refund_status": "SUCCESS",
            "amount": {"refund": r.order["totalFen"], "total": r.order["totalFen"]},
        }
        body = envelope(state, "REFUND.SUCCESS", resource)
        forger = crypto.generate_private_key()
        forged = crypto.signed_headers(forger, state.keys.platform_serial, body, int(time.time()))
        answer = await r.app.gql.http.post(REFUND_NOTIFY_PATH, content=body, headers=forged)
        assert answer.status_code == 401
        # Genuine, but for another amount: refused, logged, nothing booked.
        other = {**resource, "amount": {"refund": 1, "total": r.order["totalFen"]}}
        body = envelope(state, "REFUND.SUCCESS", other)
        signed = crypto.signed_headers(
            state.keys.platform_key, state.keys.platform_serial, body, int(time.time())
        )
        answer = await r.app.gql.http.post(REFUND_NOTIFY_PATH, content=body, headers=signed)
        assert answer.status_code == 400
        assert await r.state() == "pending"
        # The real one is believed.
        body = envelope(state, "REFUND.SUCCESS", resource)
        signed = crypto.signed_headers(
            state.keys.platform_key, state.keys.platform_serial, body, int(time.time())
        )
        answer = await r.app.gql.http.post(REFUND_NOTIFY_PATH, content=body, headers=signed)
        assert answer.status_code == 204
        assert await r.state() == "success"
