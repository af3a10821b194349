"""Payments racing on PostgreSQL: against cancelling and expiry, one
notification delivered many times, several payments of one order; each
fen booked once. The notifications are genuine WeChat Pay v3 ones (the
sandbox's keys, envelope and signature) posted to the v3 callback."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from fulfilment.orders.expiry import expire_unpaid
from fulfilment.orders.models import Order
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB as Database
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.order_races import api_client, customers, holding_units, payload, reserved, rows
from tests.support.paying import NOTIFY, sandbox_keys, v3_notification, wechatpay_overrides

pytestmark = pytest.mark.postgres_only

KEYS = sandbox_keys()


ORDER_CANCEL = """
mutation($id: ID!) { orderCancel(input: {id: $id}) { order { status } userErrors { code } } }
"""


async def load_order(db: Database, number: str) -> Order:
    async with db.sessions() as session:
        return (await session.execute(select(Order).where(Order.number == number))).scalar_one()


async def notify(http: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> int:
    response = await http.post(NOTIFY, content=body, headers=headers)
    return response.status_code


def note(order: Order, transaction_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The v3 notification of paying ``order`` in full."""
    return v3_notification(KEYS, order.number, order.total_fen, transaction_id)


async def test_payment_cancel_and_expiry_racing_book_each_fen_once(pg, tmp_path):
    """Every order is paid, most are cancelled by their customer, and all are
    swept by the expiry job, at the same moment. Whatever wins, a closed order that was paid is
    refunded exactly once, and a paid order keeps its units."""
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 500}])
    buyers = await customers(pg, 30)
    async with api_client(pg, **wechatpay_overrides(KEYS, tmp_path)) as gql:
        created = [
            payload(await gql(ORDER_CREATE, order_input(shop, {0: 2}), token=token))["order"]
            for _, token in buyers
        ]
        notes = [note(await load_order(pg, o["number"])) for o in created]

        async def sweep(head_start: int) -> int:
            for _ in range(head_start):  # let some requests get going first
                await asyncio.sleep(0)
            async with unit_of_work(pg.sessions) as session:
                return await expire_unpaid(session, utcnow() + timedelta(days=1))

        jobs: list[Any] = []
        for n, (order, (_, token), (body, headers)) in enumerate(
            zip(created, buyers, notes, strict=True)
        ):
            jobs.append(notify(gql.http, body, headers))
            if n % 3:  # every third customer does not cancel
                jobs.append(gql(ORDER_CANCEL, {"id": order["id"]}, token=token))
        sweeps = [sweep(n) for n in (20, 60, 200)]
        *results, _, _, _ = await asyncio.gather(*jobs, *sweeps)
    assert all(r == 204 for r in results if isinstance(r, int)), results
    for answer in results:
        if isinstance(answer, dict):
            errors = answer["data"]["orderCancel"]["userErrors"]
            assert [e["code"] for e in errors] in ([], ["NOT_CANCELLABLE"]), answer

    async with pg.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT order_id, count(*), sum(amount_fen) FROM refunds GROUP BY order_id")
        )
        refunded = {order_id: (int(n), int(total)) for order_id, n, total in rows}
    held = 0
    for order in created:
        stored = await load_order(pg, order["number"])
        assert stored.payment_transaction_id is not None  # every payment was recorded
        if stored.status.value == "paid":
            assert stored.id not in refunded
            held += 2
        else:
            # Closed (cancelled or expired) and paid, whichever came first:
            # refunded whole, so it reads REFUNDED.
            assert stored.status.value == "refunded"
            assert stored.closed_at is not None
            assert refunded[stored.id] == (1, stored.total_fen)
    assert set(refunded) <= {(await load_order(pg, o["number"])).id for o in created}
    assert await reserved(pg, shop.item_ids[0]) == held
    assert await holding_units(pg, shop.item_ids[0]) == held


async def test_one_notification_delivered_10_times_at_once_pays_once(pg, tmp_path):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    [(_, token)] = await customers(pg, 1)
    async with api_client(pg, **wechatpay_overrides(KEYS, tmp_path)) as gql:
        order = payload(await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token))["order"]
        body, headers = note(await load_order(pg, order["number"]))
        codes = await asyncio.gather(*(notify(gql.http, body, headers) for _ in range(10)))
    assert codes == [204] * 10
    assert (await load_order(pg, order["number"])).status.value == "paid"
    outcomes = Counter(r[0] for r in await rows(pg, "SELECT outcome FROM payment_notifications"))
    assert outcomes == {"accepted": 1, "duplicate": 9}
    assert await pg.scalar("SELECT count(*) FROM refunds") == 0


async def test_five_different_payments_at_once_keep_one_and_refund_four(pg, tmp_path):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    [(_, token)] = await customers(pg, 1)
    async with api_client(pg, **wechatpay_overrides(KEYS, tmp_path)) as gql:
        order = payload(await gql(ORDER_CREATE, order_input(shop, {0: 2}), token=token))["order"]
        stored = await load_order(pg, order["number"])
        notes = [note(stored, f"TX-{n}") for n in range(5)]
        codes = await asyncio.gather(*(notify(gql.http, b, h) for b, h in notes))
        # And the provider retries all five.
        codes += await asyncio.gather(*(notify(gql.http, b, h) for b, h in notes))
    assert codes == [204] * 10
    after = await load_order(pg, order["number"])
    assert after.status.value == "paid"
    assert after.payment_transaction_id in {f"TX-{n}" for n in range(5)}
    refunds = await rows(pg, "SELECT amount_fen, reason FROM refunds")
    assert sorted(refunds) == [(1980, "double_payment")] * 4
