"""Random baskets paid together (ordersPay, 合单支付) or alone, against the
sandbox over real HTTP: notifications sent once, twice, or lost and found by
the expiry job. However it goes, every order is paid once and exactly its
total, each by a transaction of its own, and the platform's money equals
what WeChat Pay took."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fulfilment.orders.prepay_together import combine_number
from kernel.accounts import Role
from tests.conftest import TestDB
from tests.fulfilment.orders.test_provider_check import due_in, run_expiry
from tests.fulfilment.orders.test_refund_properties import sandboxed
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.paying import Paying, eventually

ORDERS_PAY = """mutation($ids: [ID!]!) { ordersPay(input: {orderIds: $ids, channel: NATIVE}) {
  codeUrl userErrors { code } } }"""
ORDER_PAY = """mutation($id: ID!) { orderPay(input: {orderId: $id, channel: NATIVE}) {
  codeUrl userErrors { code } } }"""

# A basket: each payment's quantities (one order each); a payment of one
# order is paid alone. How its notification travels: once, twice, or lost.
baskets = st.lists(
    st.tuples(
        st.lists(st.integers(1, 3), min_size=1, max_size=4),
        st.sampled_from(["once", "twice", "lost"]),
    ),
    min_size=1,
    max_size=3,
)


@pytest.fixture
async def app(db: TestDB, tmp_path: Path) -> AsyncIterator[Paying]:
    async with sandboxed(db, tmp_path) as paying:
        yield paying


async def _payment(app: Paying, shop: Any, token: str, quantities: list[int]) -> list[Any]:
    """Orders of ``quantities``, opened as one payment: [the number the
    payer pays, the orders]."""
    orders = []
    for quantity in quantities:
        body = await app.gql(ORDER_CREATE, order_input(shop, {0: quantity}), token=token)
        orders.append(body["data"]["orderCreate"]["order"])
    if len(orders) == 1:
        body = await app.gql(ORDER_PAY, {"id": orders[0]["id"]}, token=token)
        assert body["data"]["orderPay"]["userErrors"] == [], body
        return [orders[0]["number"], orders]
    body = await app.gql(ORDERS_PAY, {"ids": [o["id"] for o in orders]}, token=token)
    assert body["data"]["ordersPay"]["userErrors"] == [], body
    return [combine_number([o["number"] for o in orders]), orders]


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(basket=baskets)
async def test_every_order_is_paid_once_and_exactly_whatever_the_notifications_do(
    app: Paying, basket: list[tuple[list[int], str]]
) -> None:
    db = app.db
    shop = await open_shop(db)
    _, token = await db.user(Role.CUSTOMER)
    lost = []
    for quantities, travel in basket:
        number, orders = await _payment(app, shop, token, quantities)
        app.sandbox.faults(
            drop_next_notification=travel == "lost", duplicate_next_notification=travel == "twice"
        )
        app.sandbox.pay(number)
        if travel == "lost":
            lost += orders
    for order in lost:
        by_number = "SELECT id FROM orders WHERE number = :n"
        await due_in(db, await db.scalar(by_number, n=order["number"]), -timedelta(seconds=1))
    if lost:
        assert (await run_expiry(db))["found_paid"] == len(lost)

    by_campaign = "SELECT number FROM orders WHERE campaign_id = :c"
    numbers = [number for (number,) in await db.rows(by_campaign, c=shop.campaign_id)]
    count = sum(len(q) for q, _ in basket)
    assert len(numbers) == count

    async def paid_rows() -> list[tuple[Any, ...]]:
        return await db.rows(
            "SELECT number, status, paid_fen, total_fen, payment_transaction_id FROM orders "
            "WHERE campaign_id = :c ORDER BY number",
            c=shop.campaign_id,
        )

    async def all_paid() -> bool:
        return all(status == "paid" for _, status, *_ in await paid_rows())

    await eventually(all_paid, True)
    rows = await paid_rows()
    assert all(paid == total for _, _, paid, total, _ in rows)
    assert len({tx for *_, tx in rows}) == count  # a transaction of its own each
    taken = {
        n: o.total
        for n, o in app.sandbox.state.orders.items()
        if n in numbers and o.transaction_id is not None
    }
    assert taken == {number: total for number, _, _, total, _ in rows}
    assert {n: app.sandbox.state.orders[n].transaction_id for n in numbers} == {
        number: tx for number, *_, tx in rows
    }
    refunds = (
        "SELECT count(*) FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.campaign_id = :c"
    )
    assert await db.scalar(refunds, c=shop.campaign_id) == 0
