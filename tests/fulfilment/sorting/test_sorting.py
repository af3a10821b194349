"""Sorting: pick lists per pickup point and customer, warehouse totals, and
tote counts, net of every shortfall."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.receiving import confirm
from fulfilment.sorting.sorting import pick_list, sort_day, warehouse_totals
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import app_client, error_codes
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.fulfilment.purchasing.test_purchase_orders_api import finished
from tests.support.factories import approved_pickup_point, open_shop


async def sorted_day(db: Any):
    """Two products; alice 3 + 1, bob 2 of the first; a short confirmation of
    the first product takes 1 unit from bob (the later payer)."""
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290},
            {"group_price_fen": 350, "list_price_fen": 400},
        ],
    )
    alice, _ = await db.user(Role.CUSTOMER, "爱丽丝")
    bob, _ = await db.user(Role.CUSTOMER, "鲍勃")
    await order(db, shop, alice, {0: 3, 1: 1}, pay=True)
    await order(db, shop, bob, {0: 2}, pay=True)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        await confirm(
            session, po.id, shop.extra["supplier_id"], {shop.extra["product_id"]: 4}, utcnow()
        )
    return shop, alice, bob


async def test_pick_lists_and_totals_are_net_of_shortfalls(db):
    shop, alice, bob = await sorted_day(db)
    first, second = shop.extra["product_id"], shop.extra["product_id"] + 1
    async with db.sessions() as session:
        products, customers = await pick_list(
            session, shop.warehouse_id, shop.delivery_date, shop.pickup_point_id
        )
        totals = await warehouse_totals(session, shop.warehouse_id, shop.delivery_date)
    assert [(p.product_id, p.units) for p in products] == [(first, 4), (second, 1)]
    assert sorted((c.customer_id, c.product_id, c.units) for c in customers) == sorted(
        [(alice.id, first, 3), (alice.id, second, 1), (bob.id, first, 1)]
    )
    assert [(t.product_id, t.units) for t in totals] == [(first, 4), (second, 1)]


async def test_sorting_counts_totes_per_zone_and_replaces_its_last_run(db):
    shop, _, _ = await sorted_day(db)
    async with unit_of_work(db.sessions) as session:
        summary = await sort_day(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=1_000, now=utcnow()
        )
    # 5 units × 800 ml = 4,000 ml: 4 totes of 1 litre; 5 × 500 g.
    assert (summary.pickup_points, summary.units, summary.totes) == (1, 5, 4)
    async with db.engine.connect() as conn:
        from sqlalchemy import text

        row = (
            await conn.execute(
                text(
                    "SELECT storage_zone, units, weight_g, volume_ml, totes FROM pickup_point_loads"
                )
            )
        ).one()
    assert tuple(row) == ("ambient", 5, 2500, 4000, 4)
    async with unit_of_work(db.sessions) as session:
        again = await sort_day(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=40_000, now=utcnow()
        )
    assert (again.units, again.totes) == (5, 1)
    assert await db.scalar("SELECT count(*) FROM pickup_point_loads") == 1


PICK_LIST = """
query($p: ID!, $d: Date!) { pickList(pickupPointId: $p, deliveryDate: $d) {
  products { units product { name } }
  customers { customerName units product { name } }
  loads { storageZone totes units } } }
"""


async def test_the_leader_reads_their_pick_list_and_nobody_elses(db):
    shop, _, _ = await sorted_day(db)
    other_point, _, other_leader = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    _, supplier = await db.user(Role.SUPPLIER)
    variables = {"p": shop.pickup_point_gid, "d": shop.delivery_date.isoformat()}
    async with app_client(db.url, jobs_mode="inline") as gql:
        run = await gql(
            "mutation($w: ID!, $d: Date!) { sortingRun(input: {warehouseId: $w, "
            "deliveryDate: $d}) { job { id } userErrors { code } } }",
            {"w": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
            token=shop.operator_token,
        )
        job = await finished(gql, shop.operator_token, run["data"]["sortingRun"]["job"]["id"])
        assert job["status"] == "SUCCEEDED" and job["result"]["units"] == 5, job

        mine = (await gql(PICK_LIST, variables, token=shop.leader_token))["data"]["pickList"]
        assert mine["products"] == [
            {"units": 4, "product": {"name": "商品0"}},
            {"units": 1, "product": {"name": "商品1"}},
        ]
        assert {"customerName": "鲍勃", "units": 1, "product": {"name": "商品0"}} in mine[
            "customers"
        ]
        assert mine["loads"] == [{"storageZone": "AMBIENT", "totes": 1, "units": 5}]

        theirs = await gql(PICK_LIST, variables, token=other_leader)
        assert theirs["data"] == {"pickList": None}
        refused = await gql(PICK_LIST, variables, token=supplier)
        assert error_codes(refused) == ["FORBIDDEN"]
    assert other_point != shop.pickup_point_id
