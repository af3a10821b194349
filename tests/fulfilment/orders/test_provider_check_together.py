"""The expiry job and orders paid together (ordersPay, 合单支付): a combined
payment whose notification was lost is found by asking WeChat Pay about
the combined payment and booked order by order; one left unpaid is closed
at WeChat Pay as a whole once its orders expire."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from fulfilment.orders.prepay_together import combine_number
from kernel.accounts import Role
from kernel.wechatpay import provider
from tests.conftest import TestDB
from tests.fulfilment.orders.test_provider_check import (
    _merchant_restored,  # noqa: F401  (autouse: the process's merchant restored)
    dead_url,
    due_in,
    on_the_sandbox,
    order_row,
    prepay_close,
    run_expiry,
)
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.paying import Paying

COMBINED = "/v3/combine-transactions/out-trade-no"
ORDERS_PAY = """mutation($ids: [ID!]!) { ordersPay(input: {orderIds: $ids, channel: NATIVE}) {
  codeUrl userErrors { code } } }"""


async def _paid_together(app: Paying, db: TestDB, count: int) -> tuple[list[dict[str, Any]], str]:
    """``count`` orders of one customer with one combined prepay; its number."""
    shop = await open_shop(db)
    _, token = await db.user(Role.CUSTOMER)
    orders = []
    for _ in range(count):
        body = await app.gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token)
        order = body["data"]["orderCreate"]["order"]
        order["db_id"] = await db.scalar(
            "SELECT id FROM orders WHERE number = :n", n=order["number"]
        )
        orders.append(order)
    answer = await app.gql(ORDERS_PAY, {"ids": [o["id"] for o in orders]}, token=token)
    assert answer["data"]["ordersPay"]["userErrors"] == [], answer
    return orders, combine_number([o["number"] for o in orders])


async def _paid_unheard_and_due(
    app: Paying, db: TestDB, orders: list[dict[str, Any]], number: str
) -> dict[str, str]:
    """The resident pays ``number``, its notification is lost, and its orders
    are due; each order's transaction as WeChat Pay told it."""
    app.sandbox.faults(drop_next_notification=True)
    paid = app.sandbox.pay(number)
    for order in orders:
        await due_in(db, order["db_id"], -timedelta(seconds=1))
    return {s["out_trade_no"]: s["transaction_id"] for s in paid["sub_orders"]}


async def test_a_lost_combined_notification_is_found_and_each_order_booked(
    db: TestDB, tmp_path: Path
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        orders, number = await _paid_together(app, db, 3)
        told = await _paid_unheard_and_due(app, db, orders, number)

        result = await run_expiry(db)

        assert result == {"expired": 0, "found_paid": 3, "closed_at_provider": 0}
        # Asked about once for its three orders.
        assert app.sandbox.state.served[f"GET {COMBINED}/{number}"] == 1
        for order in orders:
            assert await order_row(db, order["db_id"]) == ("paid", told[order["number"]])
        assert await db.scalar("SELECT count(*) FROM refunds") == 0
        assert await run_expiry(db) == {"expired": 0, "found_paid": 0, "closed_at_provider": 0}


async def test_an_unpaid_combined_payment_is_closed_whole_when_its_orders_expire(
    db: TestDB, tmp_path: Path
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        orders, number = await _paid_together(app, db, 2)
        for order in orders:
            await due_in(db, order["db_id"], -timedelta(seconds=1))

        result = await run_expiry(db)

        assert result == {"expired": 2, "found_paid": 0, "closed_at_provider": 2}
        # Asked about before the expiry, and afresh to close it: once each
        # for its two orders, and closed once.
        served = app.sandbox.state.served
        assert served[f"GET {COMBINED}/{number}"] == 2
        assert served[f"POST {COMBINED}/{number}/close"] == 1
        for order in orders:
            assert await order_row(db, order["db_id"]) == ("expired", None)
            assert await prepay_close(db, order["db_id"]) == (True, True)
        combine = app.sandbox.state.combines[number]
        assert {o.trade_state for o in combine.sub_orders} == {"CLOSED"}
        assert app.sandbox.try_pay(number).status_code == 400
        assert await run_expiry(db) == {"expired": 0, "found_paid": 0, "closed_at_provider": 0}


async def test_a_combined_payment_taken_after_its_orders_expired_is_booked_and_refunded(
    db: TestDB, tmp_path: Path
) -> None:
    async with on_the_sandbox(db, tmp_path) as app:
        orders, number = await _paid_together(app, db, 3)
        # Paid, its notification lost, and WeChat Pay down when they are due.
        told = await _paid_unheard_and_due(app, db, orders, number)
        merchant = provider.configured()
        assert merchant is not None
        provider.configure(replace(merchant, base_url=dead_url()))
        assert (await run_expiry(db))["expired"] == 3
        provider.configure(merchant)
        served = app.sandbox.state.served
        served.clear()

        again = await run_expiry(db)

        # The close answered ORDERPAID once for the three orders; one fresh
        # query found the money, booked on each expired order and refunded.
        assert again == {"expired": 0, "found_paid": 0, "closed_at_provider": 3}
        assert served[f"POST {COMBINED}/{number}/close"] == 1
        assert served[f"GET {COMBINED}/{number}"] == 2  # to close it, then after ORDERPAID
        for order in orders:
            status, tx = await order_row(db, order["db_id"])
            assert tx == told[order["number"]] and status != "paid"
            assert await prepay_close(db, order["db_id"]) == (True, True)
        refunded = await db.scalar("SELECT count(*) FROM refunds WHERE reason = 'paid_after_close'")
        assert refunded == 3
        assert await run_expiry(db) == {"expired": 0, "found_paid": 0, "closed_at_provider": 0}
