"""Units to hand out: a pickup point's totals and its pick list count the same
units (threshold misses and shortages left out), and pickup's own reading of
a line's refunds agrees with them until the hand-out; after-sale refunds
later change neither."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from fulfilment.after_sale.models import AfterSaleReason
from fulfilment.after_sale.requests import approve_after_sale, request_after_sale
from fulfilment.campaigns.models import Campaign
from fulfilment.orders.hand_out import lines_to_hand_out
from fulfilment.orders.models import Order, OrderLine, OrderStatus, Refund
from fulfilment.orders.queries import pickup_point_totals
from fulfilment.pickup.rules import refunded
from fulfilment.pickup.verification import Verified
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.receiving import confirm
from fulfilment.sorting.sorting import pick_list
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import open_shop
from tests.support.pickup import code_of, counter_day, rows, signed_with_missing, verify

TOTALS_AND_PICK_LIST = """
query($p: ID!, $d: Date!) {
  pickupPointTotals(deliveryDate: $d) {
    byCustomer { customerName orders units totalFen }
    byItem { units totalFen product { name } campaignItem { status refundedUnits } }
  }
  pickList(pickupPointId: $p, deliveryDate: $d) {
    products { units product { name } }
    customers { customerName units product { name } }
  }
}
"""


async def test_totals_and_the_pick_list_count_the_same_units(db: TestDB, gql: Any) -> None:
    # 商品0 needs 5 paid units and gets 3: cancelled at cutoff, all refunded.
    # 商品1 is confirmed one short: bob, the later payer, loses one unit.
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "group_threshold": 5},
            {"group_price_fen": 350, "list_price_fen": 400},
            {"group_price_fen": 500, "list_price_fen": 600},
        ],
    )
    alice, _ = await db.user(Role.CUSTOMER, "爱丽丝")
    bob, _ = await db.user(Role.CUSTOMER, "鲍勃")
    await order(db, shop, alice, {0: 2, 1: 3, 2: 1}, pay=True)
    await order(db, shop, bob, {0: 1, 1: 2}, pay=True)
    summary = await cut_off(db, shop)
    assert summary.cancelled_items == 1
    second = shop.extra["product_id"] + 1
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        await confirm(session, po.id, shop.extra["supplier_id"], {second: 4}, utcnow())

    body = await gql(
        TOTALS_AND_PICK_LIST,
        {"p": shop.pickup_point_gid, "d": shop.delivery_date.isoformat()},
        token=shop.leader_token,
    )
    assert "errors" not in body, body
    totals, picks = body["data"]["pickupPointTotals"], body["data"]["pickList"]
    assert totals["byItem"] == [
        {
            "units": 4,
            "totalFen": 4 * 350,
            "product": {"name": "商品1"},
            "campaignItem": {"status": "CLOSED", "refundedUnits": 1},
        },
        {
            "units": 1,
            "totalFen": 500,
            "product": {"name": "商品2"},
            "campaignItem": {"status": "CLOSED", "refundedUnits": 0},
        },
    ]
    assert totals["byCustomer"] == [
        {"customerName": "爱丽丝", "orders": 1, "units": 4, "totalFen": 3 * 350 + 500},
        {"customerName": "鲍勃", "orders": 1, "units": 1, "totalFen": 350},
    ]
    assert picks["products"] == [
        {"units": 4, "product": {"name": "商品1"}},
        {"units": 1, "product": {"name": "商品2"}},
    ]
    assert picks["customers"] == [
        {"customerName": "爱丽丝", "units": 3, "product": {"name": "商品1"}},
        {"customerName": "爱丽丝", "units": 1, "product": {"name": "商品2"}},
        {"customerName": "鲍勃", "units": 1, "product": {"name": "商品1"}},
    ]
    # The same units per item and per customer, read either way.
    assert {i["product"]["name"]: i["units"] for i in totals["byItem"]} == {
        p["product"]["name"]: p["units"] for p in picks["products"]
    }
    per_customer: Tally[str] = Tally()
    for line in picks["customers"]:
        per_customer[line["customerName"]] += line["units"]
    assert {c["customerName"]: c["units"] for c in totals["byCustomer"]} == per_customer


async def _open_units_by_pickup_rule(db: TestDB, delivery_date: Any) -> dict[int, int]:
    """Units not refunded per paid line, as pickup reads them (every refund
    of the line), lines with none left out."""
    left = OrderLine.quantity - refunded(Refund.quantity)
    async with db.sessions() as session:
        found = await session.execute(
            select(OrderLine.id, left)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Campaign, Campaign.id == Order.campaign_id)
            .where(Order.status == OrderStatus.PAID, Campaign.delivery_date == delivery_date)
        )
        return {line: int(units) for line, units in found.all() if units > 0}


async def _units_to_hand_out(db: TestDB, delivery_date: Any) -> dict[int, int]:
    async with db.sessions() as session:
        found = await session.execute(
            lines_to_hand_out(OrderLine.id)
            .join(Campaign, Campaign.id == Order.campaign_id)
            .where(Order.status == OrderStatus.PAID, Campaign.delivery_date == delivery_date)
        )
        return {line: int(units) for line, units in found.all()}


async def _reads(db: TestDB, shop: Any) -> tuple[Any, Any]:
    async with db.sessions() as session:
        picks = await pick_list(
            session, shop.warehouse_id, shop.delivery_date, shop.pickup_point_id
        )
        totals = await pickup_point_totals(
            session, shop.pickup_point_id, shop.delivery_date, [OrderStatus.PAID]
        )
    return picks, totals


async def test_pickup_agrees_until_the_hand_out_and_after_sale_changes_no_count(
    db: TestDB,
) -> None:
    counter = await counter_day(db)  # alice 3 A + 1 B, then bob 2 A, at the shop's point
    shop, day = counter.shop, counter.shop.delivery_date
    await signed_with_missing(counter, db, 1)  # one A missing: bob's, the later payer
    to_hand_out = await _units_to_hand_out(db, day)
    assert to_hand_out == await _open_units_by_pickup_rule(db, day)
    assert sorted(to_hand_out.values()) == [1, 1, 1, 3, 4]  # bob 1 A; alice 3 A, 1 B; …
    before = await _reads(db, shop)

    at = counter.at(15)
    alice = counter.orders["alice"]
    handed = await verify(db, shop.leader_user, at, code=await code_of(db, alice))
    assert isinstance(handed, Verified)
    async with unit_of_work(db.sessions) as session:
        asked = await request_after_sale(
            session,
            counter.day.alice.id,
            order_id=alice,
            product_id=counter.day.product_a,
            quantity=1,
            reason=AfterSaleReason.QUALITY,
            note="烂了",
            now=at,
            window=timedelta(hours=db.settings.after_sale_window_hours),
        )
        await approve_after_sale(session, asked.id, decided_by_id=None, now=at)

    # The pick list and the totals still say what was handed out, and so do
    # the pickup's own lines; only pickup's reading of the refunds moved on.
    assert await _reads(db, shop) == before
    assert await _units_to_hand_out(db, day) == to_hand_out
    handed_out = dict(await rows(db, "SELECT order_line_id, quantity FROM pickup_lines"))
    assert handed_out == {line: to_hand_out[line] for line in handed_out}
    assert await _open_units_by_pickup_rule(db, day) != to_hand_out
