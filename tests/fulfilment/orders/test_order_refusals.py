"""orderCreate refuses, changing nothing: a campaign not open, a pickup point
not taking orders or not served, unknown, mixed and malformed IDs."""

from __future__ import annotations

from datetime import timedelta

from api.graphql.ids import encode
from kernel.clock import utcnow
from leaders.points.models import LeaderStatus
from tests.support.commerce import close_campaign, snapshot
from tests.support.factories import approved_pickup_point, open_shop, order_input
from tests.support.ordering import customer, lines_input, refused


async def test_scheduled_campaign_takes_no_orders(db, gql):
    now = utcnow()
    shop = await open_shop(
        db, opens_at=now + timedelta(hours=1), cutoff_at=now + timedelta(hours=2)
    )
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 1}), buyer)
    assert [e["code"] for e in errors] == ["CAMPAIGN_CLOSED"]
    assert await snapshot(db) == before


async def test_campaign_past_its_cutoff_takes_no_orders(db, gql):
    shop = await open_shop(db)
    await close_campaign(db, shop.campaign_id)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 1}), buyer)
    assert [e["code"] for e in errors] == ["CAMPAIGN_CLOSED"]
    assert await snapshot(db) == before


async def test_pickup_point_of_suspended_or_pending_leader_takes_no_orders(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    for status in (LeaderStatus.SUSPENDED, LeaderStatus.PENDING):
        point, _, _ = await approved_pickup_point(
            db, shop.operator, shop.warehouse_id, status=status
        )
        before = await snapshot(db)
        errors = await refused(
            gql, lines_input(encode("PickupPoint", point), [(shop.item_gid(0), 1)]), token
        )
        assert [(e["code"], e["field"]) for e in errors] == [
            ("PICKUP_POINT_INACTIVE", ["pickupPointId"])
        ], status
        assert await snapshot(db) == before, status


async def test_unknown_item_is_refused(db, gql):
    shop = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql,
        lines_input(
            shop.pickup_point_gid, [(shop.item_gid(0), 1), (encode("CampaignItem", 9999), 1)]
        ),
        buyer,
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("ITEM_NOT_FOUND", ["lines", "1", "campaignItemId"])
    ]
    assert await snapshot(db) == before


async def test_unknown_pickup_point_is_refused(db, gql):
    shop = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql, lines_input(encode("PickupPoint", 9999), [(shop.item_gid(0), 1)]), buyer
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["pickupPointId"])]
    assert await snapshot(db) == before


async def test_items_of_two_campaigns_are_refused(db, gql):
    shop = await open_shop(db)
    other = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 1), (other.item_gid(0), 1)]),
        buyer,
    )
    assert [e["code"] for e in errors] == ["MIXED_CAMPAIGNS"]
    assert await snapshot(db) == before


async def test_pickup_point_of_another_warehouse_is_refused(db, gql):
    shop = await open_shop(db)
    other = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, lines_input(other.pickup_point_gid, [(shop.item_gid(0), 1)]), buyer)
    assert [(e["code"], e["field"]) for e in errors] == [
        ("PICKUP_POINT_NOT_SERVED", ["pickupPointId"])
    ]
    assert await snapshot(db) == before


async def test_malformed_ids_are_refused(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    product_id = await db.scalar(
        "SELECT product_id FROM campaign_items WHERE id = :i", i=shop.item_ids[0]
    )
    before = await snapshot(db)
    for bad in ("garbage", "", encode("Product", product_id), encode("CampaignItem", -1)):
        errors = await refused(gql, lines_input(shop.pickup_point_gid, [(bad, 1)]), token)
        assert [(e["code"], e["field"]) for e in errors] == [
            ("INVALID_ID", ["lines", "0", "campaignItemId"])
        ], bad
    errors = await refused(gql, lines_input("garbage", [(shop.item_gid(0), 1)]), token)
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_ID", ["pickupPointId"])]
    assert await snapshot(db) == before
