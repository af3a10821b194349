"""The warehouse serving a pickup point: the nearest on approval, changed by
an operator, and the new warehouse's campaign seen after the change."""

from __future__ import annotations

from typing import Any

from kernel.accounts import Role
from kernel.geo import LatLon
from tests.support.campaigns import OPEN_CAMPAIGN
from tests.support.commerce import gid, make_warehouse, ok, snapshot, user_errors
from tests.support.factories import open_shop

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
