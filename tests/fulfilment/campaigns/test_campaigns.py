"""Campaigns, their items, which campaign a pickup point sees, the warehouse
serving a pickup point, and leaders' share codes, through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.geo import LatLon
from leaders.points.models import LeaderStatus
from tests.support.commerce import (
    close_campaign,
    codes,
    gid,
    make_product,
    make_warehouse,
    ok,
    snapshot,
    user_errors,
)
from tests.support.factories import (
    ORDER_CREATE,
    approved_pickup_point,
    delivery_day,
    open_shop,
    order_input,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


ITEM_FIELDS = """
  id groupPriceFen listPriceFen cap perCustomerLimit groupThreshold reserved remaining soldOut
  product { id name }
"""


CAMPAIGN_CREATE = f"""
mutation($input: CampaignCreateInput!) {{
  campaignCreate(input: $input) {{
    campaign {{
      id deliveryDate opensAt cutoffAt status pickupWindow {{ start end }}
      warehouse {{ id name }}
      items {{ {ITEM_FIELDS} }}
    }}
    userErrors {{ field code message }}
  }}
}}
"""


ITEMS_ADD = f"""
mutation($input: CampaignItemsAddInput!) {{
  campaignItemsAdd(input: $input) {{
    items {{ {ITEM_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""


OPEN_CAMPAIGN = f"""
query($p: ID!) {{
  openCampaign(pickupPointId: $p) {{
    id status deliveryDate
    items {{ {ITEM_FIELDS} }}
  }}
}}
"""


async def setup(db: Any) -> tuple[Any, str, int, list[int]]:
    """An operator (user, token), a warehouse and two products."""
    user, token = await db.user(Role.OPERATOR, "运营")
    warehouse_id = await make_warehouse(db, user, name="望城仓")
    products = [await make_product(db, name="赣南脐橙"), await make_product(db, name="砀山梨")]
    return user, token, warehouse_id, products


def item(product_id: int, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "productId": gid("Product", product_id),
        "groupPriceFen": 990,
        "listPriceFen": 1290,
    }
    out.update(changes)
    return out


def campaign_input(
    warehouse_id: int, items: list[dict[str, Any]], **changes: Any
) -> dict[str, Any]:
    now = utcnow()
    value: dict[str, Any] = {
        "warehouseId": gid("Warehouse", warehouse_id),
        "deliveryDate": delivery_day().isoformat(),
        "opensAt": (now - timedelta(hours=1)).isoformat(),
        "cutoffAt": (now + timedelta(hours=1)).isoformat(),
        "pickupWindow": {"start": "14:00", "end": "20:00"},
        "items": items,
    }
    value.update(changes)
    return {"input": value}


def delivery_midnight() -> datetime:
    """The start of the delivery date in the platform's zone."""
    return datetime.combine(delivery_day(), time(0), SHANGHAI)


async def test_operator_creates_campaign_with_items(db, gql):
    _, token, warehouse_id, (orange, pear) = await setup(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(
            warehouse_id,
            [
                item(
                    orange,
                    groupPriceFen=1990,
                    listPriceFen=2990,
                    cap=100,
                    perCustomerLimit=3,
                    groupThreshold=20,
                ),
                item(pear, groupPriceFen=500, listPriceFen=500),
            ],
        ),
        token=token,
    )
    campaign = ok(body, "campaignCreate")["campaign"]
    assert campaign["deliveryDate"] == delivery_day().isoformat()
    assert campaign["status"] == "OPEN"
    assert campaign["pickupWindow"] == {"start": "14:00:00", "end": "20:00:00"}
    assert campaign["warehouse"]["name"] == "望城仓"
    first, second = campaign["items"]
    assert first["product"]["name"] == "赣南脐橙"
    assert {k: first[k] for k in first if k not in ("id", "product")} == {
        "groupPriceFen": 1990,
        "listPriceFen": 2990,
        "cap": 100,
        "perCustomerLimit": 3,
        "groupThreshold": 20,
        "reserved": 0,
        "remaining": 100,
        "soldOut": False,
    }
    assert second["product"]["name"] == "砀山梨"
    assert (second["cap"], second["perCustomerLimit"], second["groupThreshold"]) == (
        None,
        None,
        None,
    )
    assert second["remaining"] is None
    assert second["soldOut"] is False
    assert await db.scalar("SELECT count(*) FROM campaign_items") == 2

    listed = await gql("{ campaigns { nodes { id status items { id } } } }", token=token)
    assert [c["id"] for c in listed["data"]["campaigns"]["nodes"]] == [campaign["id"]]


async def test_times_with_offset_are_kept_as_the_same_instant(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    now = utcnow().replace(microsecond=0)
    opens = (now - timedelta(hours=1)).astimezone(SHANGHAI)
    cutoff = (now + timedelta(hours=1)).astimezone(ZoneInfo("America/New_York"))
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(
            warehouse_id, [item(orange)], opensAt=opens.isoformat(), cutoffAt=cutoff.isoformat()
        ),
        token=token,
    )
    campaign = ok(body, "campaignCreate")["campaign"]
    assert datetime.fromisoformat(campaign["opensAt"]) == opens
    assert datetime.fromisoformat(campaign["cutoffAt"]) == cutoff


async def test_cutoff_may_be_the_start_of_the_delivery_date(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(warehouse_id, [item(orange)], cutoffAt=delivery_midnight().isoformat()),
        token=token,
    )
    campaign = ok(body, "campaignCreate")["campaign"]
    assert datetime.fromisoformat(campaign["cutoffAt"]) == delivery_midnight()


def bad_times(now: datetime) -> dict[str, dict[str, str]]:
    midnight_utc = datetime.combine(delivery_day() - timedelta(days=1), time(23, 30), UTC)
    return {
        "cutoff before opens": {
            "opensAt": (now + timedelta(hours=2)).isoformat(),
            "cutoffAt": (now + timedelta(hours=1)).isoformat(),
        },
        "cutoff equals opens": {
            "opensAt": (now + timedelta(hours=1)).isoformat(),
            "cutoffAt": (now + timedelta(hours=1)).isoformat(),
        },
        "cutoff after the delivery date starts": {
            "cutoffAt": (delivery_midnight() + timedelta(minutes=1)).isoformat()
        },
        # 23:30 UTC the day before is 07:30 on the delivery date in Shanghai.
        "cutoff on the delivery date in Shanghai": {"cutoffAt": midnight_utc.isoformat()},
        "cutoff already past": {
            "opensAt": (now - timedelta(hours=3)).isoformat(),
            "cutoffAt": (now - timedelta(minutes=1)).isoformat(),
        },
    }


async def test_bad_times_are_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    for case, times in bad_times(utcnow()).items():
        body = await gql(
            CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange)], **times), token=token
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TIMES", ["cutoffAt"])], case
        assert body["data"]["campaignCreate"]["campaign"] is None, case
        assert await snapshot(db) == before, case


async def test_pickup_window_must_start_before_it_ends(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(
            warehouse_id, [item(orange)], pickupWindow={"start": "20:00", "end": "14:00"}
        ),
        token=token,
    )
    assert codes(body, "campaignCreate") == ["INVALID_TIMES"]
    assert await snapshot(db) == before


async def test_naive_datetime_is_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    now = utcnow()
    naive = {
        "opensAt": (now - timedelta(hours=1)).replace(tzinfo=None).isoformat(),
        "cutoffAt": (now + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
    }
    for field, value in naive.items():
        body = await gql(
            CAMPAIGN_CREATE,
            campaign_input(warehouse_id, [item(orange)], **{field: value}),
            token=token,
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", [field])]
        assert await snapshot(db) == before


async def test_second_campaign_for_same_warehouse_and_date_is_refused(db, gql):
    operator, token, warehouse_id, (orange, pear) = await setup(db)
    ok(
        await gql(CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange)]), token=token),
        "campaignCreate",
    )
    before = await snapshot(db)
    body = await gql(CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(pear)]), token=token)
    assert codes(body, "campaignCreate") == ["CAMPAIGN_EXISTS"]
    assert await snapshot(db) == before
    # Another warehouse may sell on the same date.
    other = await make_warehouse(db, operator, name="雨花仓")
    ok(
        await gql(CAMPAIGN_CREATE, campaign_input(other, [item(orange)]), token=token),
        "campaignCreate",
    )


BAD_ITEMS = [
    ({"groupPriceFen": 1300, "listPriceFen": 1290}, "INVALID_PRICE", ["items", "1"]),
    ({"groupPriceFen": 0, "listPriceFen": 1290}, "INVALID_PRICE", ["items", "1"]),
    ({"groupPriceFen": -5, "listPriceFen": 1290}, "INVALID_PRICE", ["items", "1"]),
    ({"cap": 0}, "INVALID", ["items", "1", "cap"]),
    ({"cap": -3}, "INVALID", ["items", "1", "cap"]),
    ({"perCustomerLimit": 0}, "INVALID", ["items", "1", "perCustomerLimit"]),
    ({"groupThreshold": -1}, "INVALID", ["items", "1", "groupThreshold"]),
]


async def test_bad_item_refuses_the_whole_campaign(db, gql):
    _, token, warehouse_id, (orange, pear) = await setup(db)
    before = await snapshot(db)
    for changes, code, field in BAD_ITEMS:
        body = await gql(
            CAMPAIGN_CREATE,
            campaign_input(warehouse_id, [item(orange), item(pear, **changes)]),
            token=token,
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], changes
        assert await snapshot(db) == before, changes


async def test_same_product_twice_is_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(warehouse_id, [item(orange), item(orange, groupPriceFen=800)]),
        token=token,
    )
    assert codes(body, "campaignCreate") == ["DUPLICATE_ITEM"]
    assert await snapshot(db) == before


async def test_unknown_product_is_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    body = await gql(
        CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange), item(9999)]), token=token
    )
    errors = user_errors(body, "campaignCreate")
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["items", "1", "productId"])]
    assert await snapshot(db) == before


async def test_only_operators_create_campaigns(db, gql):
    _, _, warehouse_id, (orange, _) = await setup(db)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    before = await snapshot(db)
    body = await gql(CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange)]), token=customer)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await snapshot(db) == before


async def test_items_are_added_to_an_open_campaign(db, gql):
    shop = await open_shop(db)
    pear = await make_product(db, name="砀山梨")
    body = await gql(
        ITEMS_ADD,
        {"input": {"campaignId": shop.campaign_gid, "items": [item(pear, cap=30)]}},
        token=shop.operator_token,
    )
    added = ok(body, "campaignItemsAdd")["items"]
    assert [(i["product"]["name"], i["cap"], i["remaining"]) for i in added] == [("砀山梨", 30, 30)]
    _, customer = await db.user(Role.CUSTOMER, "居民")
    seen = await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer)
    names = [i["product"]["name"] for i in seen["data"]["openCampaign"]["items"]]
    assert names == ["商品0", "砀山梨"]


async def test_adding_a_product_already_in_the_campaign_is_refused(db, gql):
    shop = await open_shop(db)
    product_id = await db.scalar(
        "SELECT product_id FROM campaign_items WHERE id = :i", i=shop.item_ids[0]
    )
    pear = await make_product(db, name="砀山梨")
    before = await snapshot(db)
    body = await gql(
        ITEMS_ADD,
        {"input": {"campaignId": shop.campaign_gid, "items": [item(pear), item(product_id)]}},
        token=shop.operator_token,
    )
    assert codes(body, "campaignItemsAdd") == ["DUPLICATE_ITEM"]
    assert body["data"]["campaignItemsAdd"]["items"] == []
    assert await snapshot(db) == before


async def test_items_cannot_be_added_after_the_cutoff(db, gql):
    shop = await open_shop(db)
    await close_campaign(db, shop.campaign_id)
    pear = await make_product(db, name="砀山梨")
    before = await snapshot(db)
    body = await gql(
        ITEMS_ADD,
        {"input": {"campaignId": shop.campaign_gid, "items": [item(pear)]}},
        token=shop.operator_token,
    )
    assert codes(body, "campaignItemsAdd") == ["CAMPAIGN_STARTED"]
    assert await snapshot(db) == before


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


LEADER_APPLY = """
mutation($input: LeaderApplyInput!) {
  leaderApply(input: $input) { leader { id } userErrors { code } }
}
"""


LEADER_APPROVE = """
mutation($id: ID!) {
  leaderApprove(input: {id: $id}) {
    leader { status pickupPoint { id warehouse { name } } }
    userErrors { code }
  }
}
"""


ASSIGN = """
mutation($p: ID!, $w: ID!) {
  pickupPointAssignWarehouse(input: {pickupPointId: $p, warehouseId: $w}) {
    pickupPoint { id warehouse { name } }
    userErrors { field code }
  }
}
"""


POINT_WAREHOUSE = "query($id: ID!) { node(id: $id) { ... on PickupPoint { warehouse { name } } } }"


async def apply_at(gql: Any, token: str, lat: float, lon: float) -> str:
    body = await gql(
        LEADER_APPLY,
        {
            "input": {
                "pickupPoint": {
                    "name": "梅溪湖自提点",
                    "address": "长沙市岳麓区梅溪湖",
                    "receivingWindow": {"start": "07:00", "end": "11:00"},
                    "contactPhone": "13800138000",
                    "location": {"lat": lat, "lon": lon},
                }
            }
        },
        token=token,
    )
    leader_id: str = ok(body, "leaderApply")["leader"]["id"]
    return leader_id


async def test_approval_assigns_the_nearest_warehouse_and_operator_can_change_it(db, gql):
    operator, token = await db.user(Role.OPERATOR, "运营")
    await make_warehouse(db, operator, LatLon(28.35, 112.82), name="望城仓")  # ~15 km
    await make_warehouse(db, operator, LatLon(28.20, 112.90), name="岳麓仓")  # ~3 km
    await make_warehouse(db, operator, LatLon(31.23, 121.47), name="上海仓")
    _, applicant = await db.user(Role.CUSTOMER, "申请人")
    leader_id = await apply_at(gql, applicant, 28.2282, 112.9388)

    approved = ok(await gql(LEADER_APPROVE, {"id": leader_id}, token=token), "leaderApprove")
    assert approved["leader"]["status"] == "APPROVED"
    point = approved["leader"]["pickupPoint"]
    assert point["warehouse"] == {"name": "岳麓仓"}
    seen = await gql(POINT_WAREHOUSE, {"id": point["id"]}, token=token)
    assert seen["data"]["node"]["warehouse"] == {"name": "岳麓仓"}

    wangcheng = await db.scalar("SELECT id FROM warehouses WHERE name = '望城仓'")
    moved = ok(
        await gql(ASSIGN, {"p": point["id"], "w": gid("Warehouse", wangcheng)}, token=token),
        "pickupPointAssignWarehouse",
    )
    assert moved["pickupPoint"]["warehouse"] == {"name": "望城仓"}
    seen = await gql(POINT_WAREHOUSE, {"id": point["id"]}, token=token)
    assert seen["data"]["node"]["warehouse"] == {"name": "望城仓"}
    assert await db.scalar("SELECT count(*) FROM service_areas") == 1


async def test_assigning_an_unknown_warehouse_is_refused(db, gql):
    shop = await open_shop(db)
    before = await snapshot(db)
    body = await gql(
        ASSIGN,
        {"p": shop.pickup_point_gid, "w": gid("Warehouse", 9999)},
        token=shop.operator_token,
    )
    errors = user_errors(body, "pickupPointAssignWarehouse")
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["warehouseId"])]
    assert await snapshot(db) == before


async def test_reassigned_pickup_point_sees_the_new_warehouses_campaign(db, gql):
    shop = await open_shop(db)
    other = await open_shop(db)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    ok(
        await gql(
            ASSIGN,
            {"p": shop.pickup_point_gid, "w": gid("Warehouse", other.warehouse_id)},
            token=shop.operator_token,
        ),
        "pickupPointAssignWarehouse",
    )
    body = await gql(OPEN_CAMPAIGN, {"p": shop.pickup_point_gid}, token=customer)
    assert body["data"]["openCampaign"]["id"] == other.campaign_gid


MY_SHARE_CODE = "{ viewer { leader { pickupPoint { id shareCode } } } }"


BY_CODE = "query($c: String!) { pickupPointByShareCode(code: $c) { id name orderable } }"


async def test_share_code_finds_the_leaders_pickup_point(db, gql):
    operator, _ = await db.user(Role.OPERATOR, "运营")
    point_id, _, leader_token = await approved_pickup_point(db, operator, None)
    mine = await gql(MY_SHARE_CODE, token=leader_token)
    point = mine["data"]["viewer"]["leader"]["pickupPoint"]
    code = point["shareCode"]
    assert point["id"] == gid("PickupPoint", point_id)
    assert len(code) == 8
    assert code.isalnum()
    assert code == code.upper()

    _, customer = await db.user(Role.CUSTOMER, "居民")
    for typed in (code, code.lower(), f"  {code.lower()} "):
        body = await gql(BY_CODE, {"c": typed}, token=customer)
        assert body["data"]["pickupPointByShareCode"] == {
            "id": point["id"],
            "name": "幸福小区",
            "orderable": True,
        }


async def test_each_approved_leader_gets_their_own_code(db, gql):
    operator, _ = await db.user(Role.OPERATOR, "运营")
    seen = set()
    for _ in range(3):
        _, _, leader_token = await approved_pickup_point(db, operator, None)
        body = await gql(MY_SHARE_CODE, token=leader_token)
        seen.add(body["data"]["viewer"]["leader"]["pickupPoint"]["shareCode"])
    assert len(seen) == 3


async def test_garbage_share_code_finds_nothing(db, gql):
    operator, _ = await db.user(Role.OPERATOR, "运营")
    await approved_pickup_point(db, operator, None)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    for code in ["", "   ", "ZZZZZZZZ", "not a code", "x" * 200, "' OR 1=1 --", "%"]:
        body = await gql(BY_CODE, {"c": code}, token=customer)
        assert "errors" not in body, body
        assert body["data"]["pickupPointByShareCode"] is None, code


async def test_suspended_leaders_code_finds_nothing(db, gql):
    operator, _ = await db.user(Role.OPERATOR, "运营")
    point_id, _, _ = await approved_pickup_point(db, operator, None, status=LeaderStatus.SUSPENDED)
    code = await db.scalar("SELECT share_code FROM pickup_points WHERE id = :i", i=point_id)
    assert code
    _, customer = await db.user(Role.CUSTOMER, "居民")
    body = await gql(BY_CODE, {"c": code}, token=customer)
    assert "errors" not in body, body
    assert body["data"]["pickupPointByShareCode"] is None
