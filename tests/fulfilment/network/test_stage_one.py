"""Two-tier sorting, stage one: the central sorts the goods of the points a
grid serves per grid, as full supplier cases and loose units in totes; the
points it serves directly are not in any grid's load; a central without
grids sorts exactly as before."""

from __future__ import annotations

import dataclasses

from api.graphql.ids import encode
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.sorting.grids import sort_for_grids
from fulfilment.sorting.sorting import sort_day
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import Shop, approved_pickup_point, open_shop
from tests.support.network import grid_of

SHIPMENTS = """
query($c: ID!, $d: Date!) { gridShipments(centralId: $c, deliveryDate: $d) {
  grid { warehouse { name } pointCount }
  zones { storageZone units cases looseUnits totes handlingUnits weightG volumeMl }
  pickList { units casePack cases looseUnits product { name } }
} }
"""

# Apples come 4 to a case, milk 6; 500 g and 800 ml a unit (open_shop's products).
ITEMS = [
    {"group_price_fen": 990, "list_price_fen": 1290, "case_pack": 4},
    {"group_price_fen": 350, "list_price_fen": 400, "case_pack": 6},
]


async def _buy(db: TestDB, shop: Shop, point: int, quantities: dict[int, int]) -> int:
    customer, _ = await db.user(Role.CUSTOMER)
    await order(
        db, dataclasses.replace(shop, pickup_point_id=point), customer, quantities, pay=True
    )
    return customer.id


async def sort_both_stages(db: TestDB, shop: Shop) -> tuple[int, int, int]:
    async with unit_of_work(db.sessions) as session:
        now = utcnow()
        await sort_day(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=40_000, now=now
        )
        summary = await sort_for_grids(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=40_000, now=now
        )
    return summary.grids, summary.units, summary.handling_units


async def day_with_a_grid(db: TestDB) -> tuple[Shop, int, list[int]]:
    """A central whose grid serves the shop's point and a second one, a
    third point served directly; four customers paid in this order:
    3 apples + 1 milk and 2 apples at the first point, 4 apples at the
    second, 2 apples + 5 milk at the direct point (their ids, in order)."""
    shop = await open_shop(db, items=ITEMS)
    second, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    direct, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    customers = [
        await _buy(db, shop, shop.pickup_point_id, {0: 3, 1: 1}),
        await _buy(db, shop, shop.pickup_point_id, {0: 2}),
        await _buy(db, shop, second, {0: 4}),
        await _buy(db, shop, direct, {0: 2, 1: 5}),
    ]
    grid = await grid_of(
        db,
        shop.warehouse_id,
        shop.operator,
        name="网格仓-雨花",
        points=[shop.pickup_point_id, second],
    )
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    return shop, grid, customers


async def test_the_central_sorts_per_grid_in_cases_and_totes(db, gql):
    shop, _, _ = await day_with_a_grid(db)
    # 9 apples and 1 milk go to the grid; the direct point's 7 units do not.
    assert await sort_both_stages(db, shop) == (1, 10, 3)
    # Sorting again replaces the loads, never adds to them.
    assert await sort_both_stages(db, shop) == (1, 10, 3)

    body = await gql(
        SHIPMENTS,
        {"c": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
        token=shop.operator_token,
    )
    [shipment] = body["data"]["gridShipments"]
    assert shipment["grid"] == {"warehouse": {"name": "网格仓-雨花"}, "pointCount": 2}
    # Apples: 2 cases of 4 and 1 loose; milk: 1 loose. Both loose units
    # (1,600 ml) share one 40 l tote; the trunk carries 2 cases + 1 tote.
    assert shipment["zones"] == [
        {
            "storageZone": "AMBIENT",
            "units": 10,
            "cases": 2,
            "looseUnits": 2,
            "totes": 1,
            "handlingUnits": 3,
            "weightG": 5_000,
            "volumeMl": 8_000,
        }
    ]
    assert [
        (
            line["product"]["name"],
            line["units"],
            line["casePack"],
            line["cases"],
            line["looseUnits"],
        )
        for line in shipment["pickList"]
    ] == [("商品0", 9, 4, 2, 1), ("商品1", 1, 6, 0, 1)]

    # Warehouse staff read it too; a leader does not.
    refused = await gql(
        SHIPMENTS,
        {"c": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
        token=shop.leader_token,
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_central_without_grids_sorts_as_before(db):
    shop = await open_shop(db, items=ITEMS)
    await _buy(db, shop, shop.pickup_point_id, {0: 5})
    await cut_off(db, shop)
    assert await sort_both_stages(db, shop) == (0, 0, 0)
    assert await db.scalar("SELECT count(*) FROM pickup_point_loads") == 1
