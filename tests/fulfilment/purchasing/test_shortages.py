"""Supplier confirmation, receiving and shortage allocation: the latest-paid
lines are shorted first, refunds are exact, and re-running changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fulfilment.orders.models import OrderPickup, PickupMethod
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.errors import PurchasingErrorCode
from fulfilment.purchasing.receiving import close_receiving, confirm, record_receipt
from fulfilment.purchasing.shortages import allocate_shortages
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import open_shop


async def day_with_orders(db: Any, quantities: list[int], case_pack_units: int = 12):
    """A shop whose single product was bought in ``quantities`` by as many
    customers, paid in that order; cut off and consolidated."""
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290}])
    orders = []
    for quantity in quantities:
        customer, _ = await db.user(Role.CUSTOMER)
        orders.append(await order(db, shop, customer, {0: quantity}, pay=True))
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    return shop, po.id, orders


async def shortfalls(db: Any) -> dict[int, int]:
    """Shorted units per order, from the shortfall rows."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT l.order_id, sum(s.quantity) FROM order_line_shortfalls s "
                "JOIN order_lines l ON l.id = s.order_line_id GROUP BY l.order_id"
            )
        )
        return {order_id: int(units) for order_id, units in rows.all()}


async def test_a_short_confirmation_shorts_the_latest_paid_lines_first(db):
    shop, po_id, orders = await day_with_orders(db, [3, 4, 5])  # 12 units, one case
    async with unit_of_work(db.sessions) as session:
        _, summary = await confirm(
            session, po_id, shop.extra["supplier_id"], {shop_product(shop): 6}, utcnow()
        )
    # 6 short: the last order (5) whole, then 1 of the middle one.
    assert summary.units == 6 and summary.lines == 2 and summary.refund_fen == 6 * 990
    assert await shortfalls(db) == {orders[2].id: 5, orders[1].id: 1}
    refunds = await db.scalar("SELECT sum(amount_fen) FROM refunds WHERE reason = 'shortage'")
    assert refunds == 6 * 990

    # Allocating again changes nothing.
    async with unit_of_work(db.sessions) as session:
        again = await allocate_shortages(session, po_id, utcnow())
    assert again.units == 0
    assert await shortfalls(db) == {orders[2].id: 5, orders[1].id: 1}


async def test_a_late_shortage_passes_over_orders_already_collected(db):
    shop, po_id, orders = await day_with_orders(db, [3, 4, 5])
    # The latest-paid order was handed out before the short confirmation.
    async with unit_of_work(db.sessions) as session:
        session.add(
            OrderPickup(
                order_id=orders[2].id,
                pickup_point_id=shop.pickup_point_id,
                method=PickupMethod.AUTO,
                picked_up_at=utcnow(),
            )
        )
    async with unit_of_work(db.sessions) as session:
        _, summary = await confirm(
            session, po_id, shop.extra["supplier_id"], {shop_product(shop): 6}, utcnow()
        )
    # 6 short, but the 5 collected units are not: the middle order's 4, then
    # 2 of the first.
    assert await shortfalls(db) == {orders[1].id: 4, orders[0].id: 2}
    assert summary.units == 6 and summary.refund_fen == 6 * 990


async def test_receiving_across_deliveries_then_closing_shorts_what_failed_qc(db):
    shop, po_id, orders = await day_with_orders(db, [7, 6])  # 13 units: 2 cases, 24 bought
    operator = shop.operator
    product = shop_product(shop)
    async with unit_of_work(db.sessions) as session:
        await record_receipt(
            session,
            po_id,
            product,
            received=12,
            accepted=12,
            delivery_ref="D1",
            by=operator,
            now=utcnow(),
        )
        await record_receipt(
            session,
            po_id,
            product,
            received=12,
            accepted=0,
            delivery_ref="D2",
            by=operator,
            now=utcnow(),
        )
    async with unit_of_work(db.sessions) as session:
        _, summary = await close_receiving(session, po_id, utcnow())
    # 12 accepted for 13 ordered: 1 short, taken from the later order.
    assert (summary.units, summary.lines) == (1, 1)
    assert await shortfalls(db) == {orders[1].id: 1}
    with pytest.raises(DomainError) as closed:
        async with unit_of_work(db.sessions) as session:
            await record_receipt(
                session,
                po_id,
                product,
                received=1,
                accepted=1,
                delivery_ref="late",
                by=operator,
                now=utcnow(),
            )
    assert closed.value.code is PurchasingErrorCode.RECEIVING_CLOSED


async def test_surplus_from_case_rounding_absorbs_a_shortage(db):
    shop, po_id, _ = await day_with_orders(db, [5, 4])  # 9 ordered, 12 bought
    async with unit_of_work(db.sessions) as session:
        _, summary = await confirm(
            session, po_id, shop.extra["supplier_id"], {shop_product(shop): 10}, utcnow()
        )
    assert summary.units == 0
    assert await db.scalar("SELECT count(*) FROM refunds") == 0


async def test_suppliers_confirm_only_their_own_lines_within_what_was_bought(db):
    shop, po_id, _ = await day_with_orders(db, [3])
    with pytest.raises(DomainError) as too_many:
        async with unit_of_work(db.sessions) as session:
            await confirm(
                session, po_id, shop.extra["supplier_id"], {shop_product(shop): 13}, utcnow()
            )
    assert too_many.value.code is PurchasingErrorCode.INVALID_UNITS
    with pytest.raises(DomainError) as not_theirs:
        async with unit_of_work(db.sessions) as session:
            await confirm(
                session, po_id, shop.extra["supplier_id"] + 999, {shop_product(shop): 1}, utcnow()
            )
    assert not_theirs.value.code.value == "NOT_FOUND"
    assert (
        await db.scalar(
            "SELECT count(*) FROM purchase_order_lines WHERE confirmed_units IS NOT NULL"
        )
        == 0
    )


def shop_product(shop: Any) -> int:
    return int(shop.extra["product_id"])


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    quantities=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    available_share=st.floats(0, 1),
)
def test_allocation_properties(sqlite_template, tmp_path_factory, quantities, available_share):
    """For any orders and any shortage: allocated + shorted = ordered, no line
    shorted beyond its quantity, refunds = shorted × price, and a second run
    changes nothing."""
    import asyncio
    import shutil

    from kernel.db import create_engine, create_sessionmaker
    from tests.conftest import TestDB, test_settings

    path = tmp_path_factory.mktemp("prop") / f"{uuid.uuid4().hex}.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def run() -> None:
        engine = create_engine(url)
        db = TestDB("sqlite", url, test_settings(url), engine, create_sessionmaker(engine))
        try:
            shop, po_id, orders = await day_with_orders(db, quantities)
            ordered = sum(quantities)
            available = int(ordered * available_share)
            async with unit_of_work(db.sessions) as session:
                await confirm(
                    session,
                    po_id,
                    shop.extra["supplier_id"],
                    {shop_product(shop): available},
                    utcnow(),
                )
            shorted = await shortfalls(db)
            assert sum(shorted.values()) == ordered - available
            for placed in orders:
                assert shorted.get(placed.id, 0) <= placed.total_fen // 990
            refunds = await db.scalar("SELECT coalesce(sum(amount_fen), 0) FROM refunds")
            assert refunds == (ordered - available) * 990
            # Latest paid first: a shorted order is never followed by an untouched one.
            touched = [shorted.get(o.id, 0) > 0 for o in orders]
            assert touched == sorted(touched)
            async with unit_of_work(db.sessions) as session:
                assert (await allocate_shortages(session, po_id, utcnow())).units == 0
            assert await shortfalls(db) == shorted
        finally:
            await engine.dispose()

    asyncio.run(run())


async def test_the_allocation_job_reruns_a_whole_day_safely(db):
    from api.graphql.ids import encode
    from tests.conftest import app_client
    from tests.fulfilment.purchasing.test_purchase_orders_api import finished

    shop, po_id, orders = await day_with_orders(db, [3, 4, 5])
    async with unit_of_work(db.sessions) as session:
        await confirm(session, po_id, shop.extra["supplier_id"], {shop_product(shop): 10}, utcnow())
    query = (
        "mutation($w: ID!, $d: Date!) { shortagesAllocate(input: {warehouseId: $w, "
        "deliveryDate: $d}) { job { id } userErrors { code } } }"
    )
    variables = {"w": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()}
    async with app_client(db.url, jobs_mode="inline") as gql:
        started = await gql(query, variables, token=shop.operator_token)
        job = await finished(
            gql, shop.operator_token, started["data"]["shortagesAllocate"]["job"]["id"]
        )
    assert job["status"] == "SUCCEEDED"
    assert job["result"] == {"purchase_orders": 1, "shorted_units": 0, "refund_fen": 0}
    assert await shortfalls(db) == {orders[2].id: 2}
