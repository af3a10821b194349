"""A product's cost changes from a date on: purchase orders for days before
it keep the old cost, days from it take the new one, and a change dated in
the past (or on a day already bought) is refused."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select

from api.graphql.ids import encode
from fulfilment.campaigns import campaigns
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.accounts import Role
from kernel.clock import business_date, utcnow
from kernel.db import unit_of_work
from tests.conftest import error_codes
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.commerce import make_product
from tests.support.factories import Shop, open_shop

COST_SET = """
mutation($input: ProductCostSetInput!) { productCostSet(input: $input) {
  product { id version costFen costs { effectiveFrom costFen } }
  userErrors { field code message } } }
"""

HISTORY = """
query($id: ID!) { setupHistory(id: $id) { nodes { version changes { field before after } } } }
"""


def cost_input(product_id: int, cost: int, day: date, version: int) -> dict[str, Any]:
    return {
        "input": {
            "productId": encode("Product", product_id),
            "costFen": cost,
            "effectiveFrom": day.isoformat(),
            "expectedVersion": version,
        }
    }


def errors(body: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"]["productCostSet"]["userErrors"]]


async def next_day(db: Any, shop: Shop) -> Shop:
    """The same product on sale in the same warehouse for the day after."""
    now = utcnow()
    day = shop.delivery_date + timedelta(days=1)
    async with unit_of_work(db.sessions) as session:
        campaign = await campaigns.create_campaign(
            session,
            campaigns.CampaignDraft(
                warehouse_id=shop.warehouse_id,
                delivery_date=day,
                opens_at=now - timedelta(hours=1),
                cutoff_at=now + timedelta(hours=1),
                pickup_start=time(14),
                pickup_end=time(20),
            ),
            [campaigns.ItemDraft(shop.extra["product_id"], 990, 1290)],
            created_by=shop.operator,
            zone=db.settings.zone,
            now=now,
        )
        items = await campaigns.campaign_items(session, [campaign.id])
    return dataclasses.replace(
        shop, campaign_id=campaign.id, item_ids=[i.id for i in items], delivery_date=day
    )


async def bought(db: Any, shop: Shop) -> tuple[int, int]:
    """Consolidate the shop's day: the PO's revision and its line's unit cost."""
    async with unit_of_work(db.sessions) as session:
        [po] = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        line = (
            await session.execute(
                select(PurchaseOrderLine).where(
                    PurchaseOrderLine.purchase_order_id == po.id,
                    PurchaseOrderLine.revision == po.revision,
                )
            )
        ).scalar_one()
        return po.revision, line.unit_cost_fen


async def test_purchase_orders_take_the_cost_in_force_on_their_delivery_date(db, gql):
    shop = await open_shop(db)  # the product costs 600 fen
    product = shop.extra["product_id"]
    later = await next_day(db, shop)
    customer, _ = await db.user(Role.CUSTOMER, f"顾客-{uuid.uuid4().hex[:4]}")
    await order(db, shop, customer, {0: 3}, pay=True)
    await order(db, later, customer, {0: 2}, pay=True)

    body = await gql(
        COST_SET, cost_input(product, 700, later.delivery_date, 1), shop.operator_token
    )

    assert errors(body) == []
    changed = body["data"]["productCostSet"]["product"]
    assert changed["version"] == 2
    assert changed["costFen"] == 600  # today's cost: the change is ahead
    assert changed["costs"] == [
        {"effectiveFrom": "2000-01-01", "costFen": 600},
        {"effectiveFrom": later.delivery_date.isoformat(), "costFen": 700},
    ]
    await cut_off(db, shop)
    await cut_off(db, later)
    assert await bought(db, shop) == (1, 600)
    assert await bought(db, later) == (1, 700)
    history = await gql(HISTORY, {"id": encode("Product", product)}, token=shop.operator_token)
    key = f"cost_fen from {later.delivery_date.isoformat()}"
    assert history["data"]["setupHistory"]["nodes"] == [
        {"version": 2, "changes": [{"field": key, "before": 600, "after": 700}]}
    ]


async def test_a_cost_change_never_reaches_back(db, gql):
    shop = await open_shop(db)
    product = shop.extra["product_id"]
    customer, _ = await db.user(Role.CUSTOMER)
    await order(db, shop, customer, {0: 3}, pay=True)
    await cut_off(db, shop)
    assert await bought(db, shop) == (1, 600)
    today = business_date(utcnow(), db.settings.zone)
    op = shop.operator_token

    yesterday = await gql(COST_SET, cost_input(product, 500, today - timedelta(days=1), 1), op)
    # Today is not in the past, but the supplier has a PO for a later day already.
    on_bought_day = await gql(COST_SET, cost_input(product, 500, shop.delivery_date, 1), op)
    negative = await gql(COST_SET, cost_input(product, -1, today + timedelta(days=9), 1), op)
    stale = await gql(COST_SET, cost_input(product, 500, today + timedelta(days=9), 7), op)

    assert errors(yesterday) == [(["effectiveFrom"], "COST_RETROACTIVE")]
    assert errors(on_bought_day) == [(["effectiveFrom"], "COST_RETROACTIVE")]
    assert errors(negative) == [(["costFen"], "OUT_OF_RANGE")]  # refused at the edge
    assert errors(stale) == [(["expectedVersion"], "STALE")]
    assert await db.scalar("SELECT count(*) FROM product_costs") == 1
    assert await db.scalar("SELECT version FROM products") == 1
    # Consolidating the day again changes nothing on its PO.
    assert await bought(db, shop) == (1, 600)
    async with unit_of_work(db.sessions) as session:
        pos = (await session.execute(select(PurchaseOrder))).scalars().all()
    assert [po.revision for po in pos] == [1]


async def test_a_cost_from_today_is_todays_cost_and_can_be_set_again(db, gql):
    _, op = await db.user(Role.OPERATOR)
    product = await make_product(db)  # 1500 fen
    today = business_date(utcnow(), db.settings.zone)

    first = await gql(COST_SET, cost_input(product, 1600, today, 1), op)
    again = await gql(COST_SET, cost_input(product, 1650, today, 2), op)

    assert errors(first) == [] and errors(again) == []
    product_after = again["data"]["productCostSet"]["product"]
    assert product_after["costFen"] == 1650
    assert product_after["version"] == 3
    assert len(product_after["costs"]) == 2


async def test_only_operators_set_costs(db, gql):
    product = await make_product(db)
    for role in (Role.SUPPLIER, Role.DISPATCHER, Role.CUSTOMER):
        _, token = await db.user(role)
        day = business_date(utcnow(), db.settings.zone) + timedelta(days=3)
        body = await gql(COST_SET, cost_input(product, 1, day, 1), token)
        assert error_codes(body) == ["FORBIDDEN"]
    assert await db.scalar("SELECT count(*) FROM product_costs") == 1
