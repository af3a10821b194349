"""Rolling campaigns: tomorrow's made from today's (campaignCopy), and a
resident seeing every campaign open at their point (openCampaigns)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from fulfilment.campaigns import campaigns
from fulfilment.campaigns.models import Campaign
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.support.commerce import codes, gid, ok
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input

COPY = """
mutation($input: CampaignCopyInput!) {
  campaignCopy(input: $input) {
    campaign { id deliveryDate opensAt cutoffAt status
               items { groupPriceFen listPriceFen cap perCustomerLimit groupThreshold reserved } }
    userErrors { field code message }
  }
}
"""

MY_ORDERS = "query($d: Date) { myOrders(deliveryDate: $d) { nodes { totalFen deliveryDate } } }"

OPEN_CAMPAIGNS = """
query($p: ID!) {
  openCampaigns(pickupPointId: $p) { id deliveryDate status }
  openCampaign(pickupPointId: $p) { id }
}
"""


async def _first_item(db: TestDB, campaign_id: int) -> int:
    async with unit_of_work(db.sessions) as session:
        return (await campaigns.campaign_items(session, [campaign_id]))[0].id


def _copy(shop: Shop, days: int) -> dict[str, object]:
    day = shop.delivery_date + timedelta(days=days)
    return {"input": {"campaignId": shop.campaign_gid, "deliveryDate": day.isoformat()}}


async def test_copy_moves_the_dates_and_keeps_items_and_limits_with_nothing_sold(db, gql):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": 40, "per_customer_limit": 3},
            {"group_price_fen": 1500, "list_price_fen": 1800, "group_threshold": 10},
        ],
    )
    _, customer = await db.user(Role.CUSTOMER, "居民")
    ok(await gql(ORDER_CREATE, order_input(shop, {0: 2, 1: 1}), token=customer), "orderCreate")

    body = await gql(COPY, _copy(shop, 1), token=shop.operator_token)
    copied = ok(body, "campaignCopy")["campaign"]
    async with unit_of_work(db.sessions) as session:
        source = await session.get(Campaign, shop.campaign_id)
        assert source is not None
    assert copied["deliveryDate"] == (shop.delivery_date + timedelta(days=1)).isoformat()
    assert datetime.fromisoformat(copied["cutoffAt"]) == source.cutoff_at + timedelta(days=1)
    assert datetime.fromisoformat(copied["opensAt"]) == source.opens_at + timedelta(days=1)
    assert copied["status"] == "SCHEDULED"
    assert [
        (i["groupPriceFen"], i["cap"], i["perCustomerLimit"], i["groupThreshold"], i["reserved"])
        for i in copied["items"]
    ] == [(990, 40, 3, None, 0), (1500, None, None, 10, 0)]


async def test_copy_refuses_a_taken_date_a_past_cutoff_and_other_roles(db, gql):
    shop = await open_shop(db)
    same_day = await gql(COPY, _copy(shop, 0), token=shop.operator_token)
    assert codes(same_day, "campaignCopy") == ["CAMPAIGN_EXISTS"]
    past = await gql(COPY, _copy(shop, -5), token=shop.operator_token)
    assert codes(past, "campaignCopy") == ["INVALID_TIMES"]
    unknown = {"input": {"campaignId": gid("Campaign", 987_654), "deliveryDate": "2030-01-01"}}
    assert codes(await gql(COPY, unknown, token=shop.operator_token), "campaignCopy") == [
        "NOT_FOUND"
    ]
    body = await gql(COPY, _copy(shop, 1), token=shop.leader_token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await gql("{ campaigns { nodes { id } } }", token=shop.operator_token)
    assert len(listed["data"]["campaigns"]["nodes"]) == 1


async def test_a_point_sees_every_open_campaign_earliest_delivery_first(db, gql):
    shop = await open_shop(db)
    now = utcnow()
    async with unit_of_work(db.sessions) as session:
        weekend = await campaigns.create_campaign(
            session,
            campaigns.CampaignDraft(
                warehouse_id=shop.warehouse_id,
                delivery_date=shop.delivery_date + timedelta(days=3),
                opens_at=now - timedelta(minutes=5),
                cutoff_at=now + timedelta(days=2),
                pickup_start=time(9),
                pickup_end=time(18),
            ),
            [campaigns.ItemDraft(int(shop.extra["product_id"]), 1990, 2590)],
            created_by=shop.operator,
            zone=db.settings.zone,
            now=now,
        )
        later_id = weekend.id
    _, customer = await db.user(Role.CUSTOMER, "居民")
    body = await gql(OPEN_CAMPAIGNS, {"p": shop.pickup_point_gid}, token=customer)
    seen = body["data"]["openCampaigns"]
    assert [c["id"] for c in seen] == [shop.campaign_gid, gid("Campaign", later_id)]
    assert [c["status"] for c in seen] == ["OPEN", "OPEN"]
    assert body["data"]["openCampaign"]["id"] == shop.campaign_gid
    unknown = await gql(OPEN_CAMPAIGNS, {"p": gid("PickupPoint", 987_654)}, token=customer)
    assert unknown["data"]["openCampaigns"] == []

    # One order for each day; each day's list holds its own.
    weekend_item = await _first_item(db, later_id)
    ok(await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=customer), "orderCreate")
    weekend_order = {
        "input": {
            "pickupPointId": shop.pickup_point_gid,
            "lines": [{"campaignItemId": gid("CampaignItem", weekend_item), "quantity": 2}],
            "idempotencyKey": "weekend",
        }
    }
    ok(await gql(ORDER_CREATE, weekend_order, token=customer), "orderCreate")
    for day, totals in (
        (shop.delivery_date, [990]),
        (shop.delivery_date + timedelta(days=3), [3980]),
    ):
        mine = await gql(MY_ORDERS, {"d": day.isoformat()}, token=customer)
        nodes = mine["data"]["myOrders"]["nodes"]
        assert [(n["totalFen"], n["deliveryDate"]) for n in nodes] == [
            (t, day.isoformat()) for t in totals
        ]
