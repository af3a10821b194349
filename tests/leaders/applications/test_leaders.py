"""Becoming a leader, through GraphQL: apply, approve, reject, suspend, reinstate."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from kernel.accounts import Role

LEADER_FIELDS = """
  leader {
    id status statusReason
    pickupPoint {
      id name address contactPhone orderable
      location { lat lon }
      receivingWindow { start end }
    }
  }
  userErrors { field code message }
"""


APPLY = (
    f"mutation($input: LeaderApplyInput!) {{ leaderApply(input: $input) {{ {LEADER_FIELDS} }} }}"
)


APPROVE = f"mutation($id: ID!) {{ leaderApprove(input: {{id: $id}}) {{ {LEADER_FIELDS} }} }}"


REINSTATE = f"mutation($id: ID!) {{ leaderReinstate(input: {{id: $id}}) {{ {LEADER_FIELDS} }} }}"


REJECT = (
    "mutation($id: ID!, $reason: String!) "
    f"{{ leaderReject(input: {{id: $id, reason: $reason}}) {{ {LEADER_FIELDS} }} }}"
)


SUSPEND = (
    "mutation($id: ID!, $reason: String!) "
    f"{{ leaderSuspend(input: {{id: $id, reason: $reason}}) {{ {LEADER_FIELDS} }} }}"
)


PICKUP_POINTS = "{ pickupPoints { nodes { name orderable } } }"


def pickup_point(**changes: Any) -> dict[str, Any]:
    point: dict[str, Any] = {
        "name": "幸福里自提点",
        "address": "长沙市岳麓区幸福里小区 3 栋 101",
        "receivingWindow": {"start": "07:00", "end": "11:00"},
        "contactPhone": "138-0013-8000",
        "location": {"lat": 28.2282, "lon": 112.9388},
    }
    point.update(changes)
    return point


async def apply(gql: Any, token: str, **changes: Any) -> dict[str, Any]:
    body = await gql(APPLY, {"input": {"pickupPoint": pickup_point(**changes)}}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["leaderApply"]
    return payload


async def decide(
    gql: Any, mutation: str, token: str, leader_id: str, reason: str | None = None
) -> dict[str, Any]:
    variables = {"id": leader_id} if reason is None else {"id": leader_id, "reason": reason}
    body = await gql(mutation, variables, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


async def leader_row(db: Any, user_id: int) -> tuple[Any, ...]:
    """Everything a decision would change, as stored."""
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT status, status_reason, decided_at, decided_by_id "
                    "FROM leaders WHERE user_id = :u"
                ),
                {"u": user_id},
            )
        ).one()
    return tuple(row)


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def status_in_db(db: Any, user_id: int) -> str:
    status: str = await db.scalar("SELECT status FROM leaders WHERE user_id = :u", u=user_id)
    return status


async def pending_leader(
    db: Any, gql: Any, user_name: str = "申请人", **changes: Any
) -> tuple[Any, str, str]:
    """A customer with a pending application: (user, token, leader id)."""
    user, token = await db.user(Role.CUSTOMER, user_name)
    payload = await apply(gql, token, **changes)
    assert payload["userErrors"] == []
    return user, token, payload["leader"]["id"]


async def test_application_is_pending_with_the_pickup_point_stored(db, gql):
    user, token = await db.user(Role.CUSTOMER, "王阿姨")

    payload = await apply(gql, token)

    assert payload["userErrors"] == []
    leader = payload["leader"]
    assert leader["status"] == "PENDING"
    assert leader["statusReason"] is None
    point = leader["pickupPoint"]
    assert point["name"] == "幸福里自提点"
    assert point["address"] == "长沙市岳麓区幸福里小区 3 栋 101"
    assert point["location"] == {"lat": pytest.approx(28.2282), "lon": pytest.approx(112.9388)}
    assert point["receivingWindow"] == {"start": "07:00:00", "end": "11:00:00"}
    assert point["contactPhone"] == "13800138000"
    assert point["orderable"] is False

    assert await status_in_db(db, user.id) == "pending"
    assert (
        await db.scalar(
            "SELECT contact_phone FROM pickup_points p JOIN leaders l ON l.id = p.leader_id "
            "WHERE l.user_id = :u",
            u=user.id,
        )
        == "13800138000"
    )
    # The applicant sees the application on their own account, still a customer.
    me = await gql("{ viewer { role leader { id status } } }", token=token)
    assert me["data"]["viewer"] == {
        "role": "CUSTOMER",
        "leader": {"id": leader["id"], "status": "PENDING"},
    }


async def test_approval_makes_the_applicant_a_leader_and_the_point_orderable(db, gql):
    user, token, leader_id = await pending_leader(db, gql)
    _, op = await db.user(Role.OPERATOR)

    payload = await decide(gql, APPROVE, op, leader_id)

    assert payload["userErrors"] == []
    assert payload["leader"]["status"] == "APPROVED"
    assert payload["leader"]["pickupPoint"]["orderable"] is True
    assert await status_in_db(db, user.id) == "approved"
    me = await gql("{ viewer { role leader { status } } }", token=token)
    assert me["data"]["viewer"] == {"role": "LEADER", "leader": {"status": "APPROVED"}}


async def test_rejection_needs_a_reason_and_shows_it(db, gql):
    user, token, leader_id = await pending_leader(db, gql)
    _, op = await db.user(Role.OPERATOR)

    for blank in ("", "   "):
        payload = await decide(gql, REJECT, op, leader_id, reason=blank)
        assert codes(payload) == ["REASON_REQUIRED"]
        assert payload["userErrors"][0]["field"] == ["reason"]
        assert payload["leader"] is None
        assert await status_in_db(db, user.id) == "pending"

    payload = await decide(gql, REJECT, op, leader_id, reason="自提点地址不在服务范围内")

    assert payload["userErrors"] == []
    assert payload["leader"]["status"] == "REJECTED"
    assert payload["leader"]["statusReason"] == "自提点地址不在服务范围内"
    assert await status_in_db(db, user.id) == "rejected"
    me = await gql("{ viewer { role leader { status statusReason } } }", token=token)
    assert me["data"]["viewer"] == {
        "role": "CUSTOMER",
        "leader": {"status": "REJECTED", "statusReason": "自提点地址不在服务范围内"},
    }


async def test_suspend_and_reinstate(db, gql):
    user, _, leader_id = await pending_leader(db, gql)
    _, op = await db.user(Role.OPERATOR)
    assert (await decide(gql, APPROVE, op, leader_id))["userErrors"] == []

    payload = await decide(gql, SUSPEND, op, leader_id, reason="")
    assert codes(payload) == ["REASON_REQUIRED"]
    assert await status_in_db(db, user.id) == "approved"

    payload = await decide(gql, SUSPEND, op, leader_id, reason="多次投诉未处理")
    assert payload["userErrors"] == []
    assert payload["leader"]["status"] == "SUSPENDED"
    assert payload["leader"]["statusReason"] == "多次投诉未处理"
    assert payload["leader"]["pickupPoint"]["orderable"] is False
    assert await status_in_db(db, user.id) == "suspended"

    payload = await decide(gql, REINSTATE, op, leader_id)
    assert payload["userErrors"] == []
    assert payload["leader"]["status"] == "APPROVED"
    assert payload["leader"]["statusReason"] is None
    assert payload["leader"]["pickupPoint"]["orderable"] is True
    assert await status_in_db(db, user.id) == "approved"


async def test_invalid_transitions_are_refused_and_change_nothing(db, gql):
    _, op = await db.user(Role.OPERATOR)
    pending_user, _, pending_id = await pending_leader(db, gql, "待审")
    approved_user, _, approved_id = await pending_leader(db, gql, "已批")
    assert (await decide(gql, APPROVE, op, approved_id))["userErrors"] == []

    attempts = [
        (APPROVE, approved_id, None, approved_user, "approved"),
        (SUSPEND, pending_id, "理由", pending_user, "pending"),
        (REINSTATE, approved_id, None, approved_user, "approved"),
        (REINSTATE, pending_id, None, pending_user, "pending"),
        (REJECT, approved_id, "理由", approved_user, "approved"),
    ]
    for mutation, leader_id, reason, user, status in attempts:
        before = await leader_row(db, user.id)
        payload = await decide(gql, mutation, op, leader_id, reason=reason)
        assert codes(payload) == ["INVALID_STATUS"], mutation
        assert payload["userErrors"][0]["field"] == ["id"]
        assert payload["leader"] is None
        assert await status_in_db(db, user.id) == status, mutation
        assert await leader_row(db, user.id) == before, mutation


async def test_second_application_while_pending_or_approved_is_refused(db, gql):
    user, token, leader_id = await pending_leader(db, gql)
    _, op = await db.user(Role.OPERATOR)

    again = await apply(gql, token, name="另一个自提点")
    assert codes(again) == ["ALREADY_APPLIED"]
    assert again["leader"] is None

    assert (await decide(gql, APPROVE, op, leader_id))["userErrors"] == []
    # Once approved the account is a leader's, and only customers may apply.
    body = await gql(APPLY, {"input": {"pickupPoint": pickup_point(name="第二个")}}, token=token)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]

    assert await db.scalar("SELECT count(*) FROM leaders") == 1
    assert await db.scalar("SELECT count(*) FROM pickup_points") == 1
    assert await db.scalar("SELECT name FROM pickup_points") == "幸福里自提点"
    assert await status_in_db(db, user.id) == "approved"


async def test_rejected_customer_may_apply_again(db, gql):
    user, token, leader_id = await pending_leader(db, gql)
    _, op = await db.user(Role.OPERATOR)
    assert (await decide(gql, REJECT, op, leader_id, reason="电话打不通"))["userErrors"] == []

    payload = await apply(
        gql,
        token,
        name="新家园自提点",
        address="长沙市天心区新家园 1 栋",
        contactPhone="0731 8888 6666",
        receivingWindow={"start": "08:30", "end": "12:00"},
        location={"lat": 28.1, "lon": 112.98},
    )

    assert payload["userErrors"] == []
    leader = payload["leader"]
    assert leader["id"] == leader_id
    assert leader["status"] == "PENDING"
    assert leader["statusReason"] is None
    point = leader["pickupPoint"]
    assert point["name"] == "新家园自提点"
    assert point["address"] == "长沙市天心区新家园 1 栋"
    assert point["contactPhone"] == "073188886666"
    assert point["receivingWindow"] == {"start": "08:30:00", "end": "12:00:00"}
    assert point["location"] == {"lat": pytest.approx(28.1), "lon": pytest.approx(112.98)}
    assert await db.scalar("SELECT count(*) FROM leaders") == 1
    assert await db.scalar("SELECT count(*) FROM pickup_points") == 1
    assert await status_in_db(db, user.id) == "pending"

    # The reopened application can be approved like a first one.
    assert (await decide(gql, APPROVE, op, leader_id))["leader"]["status"] == "APPROVED"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        (
            {"receivingWindow": {"start": "11:00", "end": "07:00"}},
            "INVALID_WINDOW",
            ["pickupPoint", "receivingWindow"],
        ),
        (
            {"receivingWindow": {"start": "09:00", "end": "09:00"}},
            "INVALID_WINDOW",
            ["pickupPoint", "receivingWindow"],
        ),
        ({"contactPhone": "12345"}, "INVALID_PHONE", ["pickupPoint", "contactPhone"]),
        ({"contactPhone": "138001380001"}, "INVALID_PHONE", ["pickupPoint", "contactPhone"]),
        ({"contactPhone": ""}, "INVALID_PHONE", ["pickupPoint", "contactPhone"]),
        ({"name": ""}, "INVALID_NAME", ["pickupPoint", "name"]),
        ({"name": "   "}, "INVALID_NAME", ["pickupPoint", "name"]),
        (
            {"location": {"lat": 91, "lon": 112.9}},
            "INVALID_COORDINATES",
            ["pickupPoint", "location"],
        ),
    ],
)
async def test_invalid_application_saves_nothing(db, gql, changes, code, field):
    _, token = await db.user(Role.CUSTOMER)

    payload = await apply(gql, token, **changes)

    assert payload["leader"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert payload["userErrors"][0]["message"]
    assert await db.scalar("SELECT count(*) FROM leaders") == 0
    assert await db.scalar("SELECT count(*) FROM pickup_points") == 0
    me = await gql("{ viewer { role leader { id } } }", token=token)
    assert me["data"]["viewer"] == {"role": "CUSTOMER", "leader": None}


async def test_invalid_reapplication_keeps_the_rejected_application(db, gql):
    user, token, leader_id = await pending_leader(db, gql)
    _, op = await db.user(Role.OPERATOR)
    await decide(gql, REJECT, op, leader_id, reason="资料不全")

    payload = await apply(gql, token, name="新名字", contactPhone="110")

    assert codes(payload) == ["INVALID_PHONE"]
    assert await status_in_db(db, user.id) == "rejected"
    assert await db.scalar("SELECT name FROM pickup_points") == "幸福里自提点"
    assert await db.scalar("SELECT status_reason FROM leaders") == "资料不全"


async def test_pickup_points_customers_see_only_approved_ones(db, gql):
    _, op = await db.user(Role.OPERATOR)
    _, _, approved = await pending_leader(db, gql, "甲", name="营业自提点")
    _, _, suspended = await pending_leader(db, gql, "乙", name="暂停自提点")
    _, _, rejected = await pending_leader(db, gql, "丙", name="被拒自提点")
    await pending_leader(db, gql, "丁", name="待审自提点")
    await decide(gql, APPROVE, op, approved)
    await decide(gql, APPROVE, op, suspended)
    await decide(gql, SUSPEND, op, suspended, reason="暂停营业")
    await decide(gql, REJECT, op, rejected, reason="不符合条件")
    _, shopper = await db.user(Role.CUSTOMER, "顾客")

    as_customer = await gql(PICKUP_POINTS, token=shopper)
    assert as_customer["data"]["pickupPoints"]["nodes"] == [
        {"name": "营业自提点", "orderable": True}
    ]

    as_operator = await gql(PICKUP_POINTS, token=op)
    assert sorted(
        (n["name"], n["orderable"]) for n in as_operator["data"]["pickupPoints"]["nodes"]
    ) == sorted(
        [
            ("营业自提点", True),
            ("暂停自提点", False),
            ("待审自提点", False),
            ("被拒自提点", False),
        ]
    )


async def test_only_operators_decide(db, gql):
    user, token, leader_id = await pending_leader(db, gql)

    body = await gql(APPROVE, {"id": leader_id}, token=token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await status_in_db(db, user.id) == "pending"
