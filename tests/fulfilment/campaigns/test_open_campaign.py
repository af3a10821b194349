"""openCampaign: the campaign a pickup point sees, with what is left of each
item; none before it opens or for a point its warehouse does not serve."""

from __future__ import annotations

from datetime import timedelta

from kernel.accounts import Role
from kernel.clock import utcnow
from tests.support.campaigns import OPEN_CAMPAIGN
from tests.support.commerce import gid, make_warehouse, ok
from tests.support.factories import ORDER_CREATE, approved_pickup_point, open_shop, order_input


async def test_customer_sees_the_open_campaign_and_what_is_left(db, gql):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": 10},
            {"group_price_fen": 1500, "list_price_fen": 1800},
        ],
    )
    _, customer = await db.user(Role.CUSTOMER, "居民")
    body = await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer)
    campaign = body["data"]["openCampaign"]
    assert campaign["id"] == shop.campaign_gid
    assert campaign["status"] == "OPEN"
    assert campaign["deliveryDate"] == shop.delivery_date.isoformat()
    capped, uncapped = campaign["items"]
    assert (capped["groupPriceFen"], capped["remaining"], capped["soldOut"]) == (990, 10, False)
    assert (uncapped["groupPriceFen"], uncapped["remaining"], uncapped["soldOut"]) == (
        1500,
        None,
        False,
    )

    ok(await gql(ORDER_CREATE, order_input(shop, {0: 4, 1: 7}), token=customer), "orderCreate")
    after = (await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer))["data"]
    capped, uncapped = after["openCampaign"]["items"]
    assert (capped["reserved"], capped["remaining"], capped["soldOut"]) == (4, 6, False)
    assert (uncapped["reserved"], uncapped["remaining"], uncapped["soldOut"]) == (7, None, False)

    ok(await gql(ORDER_CREATE, order_input(shop, {0: 6}), token=customer), "orderCreate")
    last = (await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer))["data"]
    capped = last["openCampaign"]["items"][0]
    assert (capped["remaining"], capped["soldOut"]) == (0, True)


async def test_scheduled_campaign_is_not_shown(db, gql):
    now = utcnow()
    shop = await open_shop(
        db, opens_at=now + timedelta(hours=1), cutoff_at=now + timedelta(hours=2)
    )
    _, customer = await db.user(Role.CUSTOMER, "居民")
    body = await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer)
    assert "errors" not in body, body
    assert body["data"]["openCampaign"] is None
    listed = await gql("{ campaigns { nodes { status } } }", token=shop.operator_token)
    assert listed["data"]["campaigns"]["nodes"] == [{"status": "SCHEDULED"}]


async def test_pickup_point_served_by_another_warehouse_sees_no_campaign(db, gql):
    shop = await open_shop(db)
    other = await make_warehouse(db, shop.operator, name="雨花仓")
    elsewhere, _, _ = await approved_pickup_point(db, shop.operator, other)
    unserved, _, _ = await approved_pickup_point(db, shop.operator, None)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    for point in (elsewhere, unserved):
        body = await gql(OPEN_CAMPAIGN, {"p": gid("PickupPoint", point)}, token=customer)
        assert "errors" not in body, body
        assert body["data"]["openCampaign"] is None
    # The shop's own point still sees it.
    body = await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer)
    assert body["data"]["openCampaign"]["id"] == shop.campaign_gid
