"""A grid's van delivers to a point the grid serves: the leader signs for
it, and the units reported missing are refunded from the central's orders
at that point by the same latest-paid-first rule as a single-tier day."""

from __future__ import annotations

from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport
from tests.fulfilment.delivery.test_delivery import arrive, refunds, sign
from tests.support.network import grid_of
from tests.support.routing import A_PRICE, sorted_day, store_plan


async def test_missing_units_at_a_grid_point_are_refunded_from_the_central_orders(db):
    day = await sorted_day(db)
    grid = await grid_of(
        db, day.shop.warehouse_id, day.shop.operator, points=[day.shop.pickup_point_id]
    )
    plan = await store_plan(db, grid, day.shop.delivery_date, [[day.shop.pickup_point_id]])
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    await sign(db, day, plan, IssueReport(day.product_a, DeliveryIssueKind.MISSING, 3))
    # Bob paid after alice: his 2 go whole, then 1 of alice's.
    assert await refunds(db) == [
        (day.bob.id, "delivery_missing", 2, 2 * A_PRICE),
        (day.alice.id, "delivery_missing", 1, A_PRICE),
    ]
