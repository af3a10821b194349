"""Leaders' share codes: one per approved leader, found however typed, and
nothing for garbage or a suspended leader."""

from __future__ import annotations

from kernel.accounts import Role
from leaders.points.models import LeaderStatus
from tests.support.commerce import gid
from tests.support.factories import approved_pickup_point

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
    for code in ["", "   ", "ZZZZZZZZ", "not a code", "x" * 32, "' OR 1=1 --", "%"]:
        body = await gql(BY_CODE, {"c": code}, token=customer)
        assert "errors" not in body, body
        assert body["data"]["pickupPointByShareCode"] is None, code
    # Longer than any code: refused at the edge, naming the argument.
    body = await gql(BY_CODE, {"c": "x" * 200}, token=customer)
    assert [e["extensions"]["field"] for e in body["errors"]] == [["code"]]


async def test_suspended_leaders_code_finds_nothing(db, gql):
    operator, _ = await db.user(Role.OPERATOR, "运营")
    point_id, _, _ = await approved_pickup_point(db, operator, None, status=LeaderStatus.SUSPENDED)
    code = await db.scalar("SELECT share_code FROM pickup_points WHERE id = :i", i=point_id)
    assert code
    _, customer = await db.user(Role.CUSTOMER, "居民")
    body = await gql(BY_CODE, {"c": code}, token=customer)
    assert "errors" not in body, body
    assert body["data"]["pickupPointByShareCode"] is None
