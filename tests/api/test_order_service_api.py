"""The order service through GraphQL: orderSearch (operators only, bad
phones, IDs and page sizes refused as every query refuses them),
orderTimeline by role, and orderCompensate booked, audited and refused."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role, issue_token
from kernel.db import unit_of_work
from tests.conftest import TOKEN_SECRET, TestDB, app_client, error_codes
from tests.support.pickup import counter_day

SEARCH = """
query($filter: OrderSearchFilter, $first: Int) {
  orderSearch(filter: $filter, first: $first) { nodes { id number status } }
}
"""

TIMELINE = """
query($id: ID!) { orderTimeline(orderId: $id) { kind at amountFen detail actorName } }
"""

COMPENSATE = """
mutation($input: OrderCompensateInput!) {
  orderCompensate(input: $input) {
    refund { id amountFen reason state }
    order { id status }
    userErrors { code field remaining }
  }
}
"""


async def test_operators_search_and_nobody_else(db: TestDB, gql: Any) -> None:
    counter = await counter_day(db)
    operator = counter.shop.operator_token
    bob = counter.orders["bob"]
    number = await db.scalar("SELECT number FROM orders WHERE id = :o", o=bob)
    body = await gql(SEARCH, {"filter": {"number": number}}, token=operator)
    assert "errors" not in body, body
    assert [n["id"] for n in body["data"]["orderSearch"]["nodes"]] == [encode("Order", bob)]
    point = encode("PickupPoint", counter.shop.pickup_point_id)
    body = await gql(
        SEARCH,
        {
            "filter": {
                "pickupPointId": point,
                "deliveryDate": counter.shop.delivery_date.isoformat(),
            }
        },
        token=operator,
    )
    assert len(body["data"]["orderSearch"]["nodes"]) == 2
    for role in (Role.LEADER, Role.CUSTOMER, Role.DISPATCHER, Role.WAREHOUSE):
        _, token = await db.user(role)
        assert error_codes(await gql(SEARCH, {}, token=token)) == ["FORBIDDEN"], role
    assert error_codes(await gql(SEARCH, {})) == ["UNAUTHENTICATED"]


async def test_bad_search_input_is_refused(db: TestDB, gql: Any) -> None:
    counter = await counter_day(db)
    operator = counter.shop.operator_token
    for variables in (
        {"filter": {"customerPhone": "12345"}},
        {"filter": {"pickupPointId": "not-an-id"}},
        {"filter": {"pickupPointId": encode("Order", counter.orders["bob"])}},
        {"first": 1000},
        {"first": 0},
    ):
        body = await gql(SEARCH, variables, token=operator)
        assert error_codes(body) == ["BAD_USER_INPUT"], variables


async def test_timeline_by_role(db: TestDB, gql: Any) -> None:
    counter = await counter_day(db)
    alice = encode("Order", counter.orders["alice"])
    body = await gql(TIMELINE, {"id": alice}, token=counter.shop.operator_token)
    assert "errors" not in body, body
    kinds = [e["kind"] for e in body["data"]["orderTimeline"]]
    assert kinds[0] == "PLACED" and "PAID" in kinds
    async with unit_of_work(db.sessions) as session:
        alices = await issue_token(session, counter.day.alice, TOKEN_SECRET)
        bobs = await issue_token(session, counter.day.bob, TOKEN_SECRET)
    own = (await gql(TIMELINE, {"id": alice}, token=alices))["data"]["orderTimeline"]
    assert own[0]["kind"] == "PLACED"
    assert all(e["actorName"] is None for e in own)
    # Another's order reads like a missing one.
    assert (await gql(TIMELINE, {"id": alice}, token=bobs))["data"]["orderTimeline"] == []
    body = await gql(TIMELINE, {"id": "nonsense"}, token=counter.shop.operator_token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_compensation_is_booked_and_audited(db: TestDB, gql: Any) -> None:
    counter = await counter_day(db)
    operator = counter.shop.operator_token
    alice = counter.orders["alice"]
    given = {"orderId": encode("Order", alice), "amountFen": 500, "reason": "送货晚了"}
    body = await gql(COMPENSATE, {"input": given}, token=operator)
    assert "errors" not in body, body
    done = body["data"]["orderCompensate"]
    assert done["userErrors"] == []
    assert (done["refund"]["reason"], done["refund"]["state"]) == ("GOODWILL", "PENDING")
    assert done["refund"]["amountFen"] == 500
    action = await db.scalar(
        "SELECT action FROM audit_events WHERE object_type = 'Refund' ORDER BY id DESC"
    )
    assert action == "orderCompensate"
    # The timeline names the compensation and its reason.
    body = await gql(TIMELINE, {"id": given["orderId"]}, token=operator)
    audit = [e for e in body["data"]["orderTimeline"] if e["kind"] == "AUDIT"]
    assert audit and "送货晚了" in audit[0]["detail"]
    assert audit[0]["actorName"] == counter.shop.operator.name


async def test_compensation_over_the_limit_changes_nothing(db: TestDB, gql: Any) -> None:
    counter = await counter_day(db)
    operator = counter.shop.operator_token
    alice = counter.orders["alice"]
    before = await db.scalar("SELECT count(*) FROM audit_events")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"amountFen": 101}, "COMPENSATION_OVER_LIMIT"),
        ({"amountFen": 10_000_000}, "REFUND_EXCEEDS_PAID"),
        ({"amountFen": 100, "reason": " "}, "REASON_REQUIRED"),
        ({"amountFen": 0}, "INVALID"),
        ({"amountFen": 100, "orderId": "nope"}, "INVALID_ID"),
    ]
    # An operator's limit of 1 yuan, below the order's total.
    async with app_client(db.url, goodwill_limit_fen=100) as limited:
        for change, code in cases:
            given: dict[str, Any] = {"orderId": encode("Order", alice), "reason": "破损"}
            given.update(change)
            body = await limited(COMPENSATE, {"input": given}, token=operator)
            assert "errors" not in body, body
            errors = body["data"]["orderCompensate"]["userErrors"]
            assert [e["code"] for e in errors] == [code], change
    assert await db.scalar("SELECT count(*) FROM refunds WHERE order_id = :o", o=alice) == 0
    assert await db.scalar("SELECT count(*) FROM audit_events") == before
    leader = counter.shop.leader_token
    one: dict[str, Any] = {"orderId": encode("Order", alice), "amountFen": 1, "reason": "x"}
    assert error_codes(await gql(COMPENSATE, {"input": one}, token=leader)) == ["FORBIDDEN"]
