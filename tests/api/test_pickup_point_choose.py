"""pickupPointChoose: a customer without a share link binds themself to a
pickup point taking orders, and ``User.pickupPoint`` shows it to them and to
operators only; on both databases."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from leaders.points.models import LeaderStatus
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.support.commerce import make_warehouse
from tests.support.factories import approved_pickup_point

CHOOSE = """mutation($p: ID!) { pickupPointChoose(input: {pickupPointId: $p}) {
  pickupPoint { id name } userErrors { field code message } } }"""
MINE = "{ viewer { id pickupPoint { id name } } }"
USER_POINT = """query($id: ID!) { node(id: $id) { ... on User { id pickupPoint { id } } } }"""


async def _choose(gql: GraphQLClient, token: str, point: str) -> dict[str, Any]:
    return await gql(CHOOSE, {"p": point}, token=token)


async def _mine(gql: GraphQLClient, token: str) -> str | None:
    body = await gql(MINE, token=token)
    assert "errors" not in body, body
    point = body["data"]["viewer"]["pickupPoint"]
    return None if point is None else str(point["id"])


async def _bound(db: TestDB, user_id: int) -> int | None:
    found = await db.scalar(
        "SELECT pickup_point_id FROM customer_bindings WHERE user_id = :u", u=user_id
    )
    return None if found is None else int(found)


async def test_a_choice_binds_and_a_second_one_replaces_it(db: TestDB, gql: GraphQLClient) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    warehouse = await make_warehouse(db, operator)
    first, _, _ = await approved_pickup_point(db, operator, warehouse)
    second, _, _ = await approved_pickup_point(db, operator, warehouse)
    customer, token = await db.user(Role.CUSTOMER)
    assert await _mine(gql, token) is None

    body = await _choose(gql, token, encode("PickupPoint", first))
    assert "errors" not in body, body
    payload = body["data"]["pickupPointChoose"]
    assert payload["userErrors"] == []
    assert payload["pickupPoint"]["id"] == encode("PickupPoint", first)
    assert await _mine(gql, token) == encode("PickupPoint", first)
    assert await _bound(db, customer.id) == first

    payload = (await _choose(gql, token, encode("PickupPoint", second)))["data"]
    assert payload["pickupPointChoose"]["userErrors"] == []
    assert await _mine(gql, token) == encode("PickupPoint", second)
    assert await _bound(db, customer.id) == second
    assert await db.scalar("SELECT count(*) FROM customer_bindings") == 1


async def test_a_point_not_taking_orders_reads_like_a_missing_one(
    db: TestDB, gql: GraphQLClient
) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    warehouse = await make_warehouse(db, operator)
    chosen, _, _ = await approved_pickup_point(db, operator, warehouse)
    suspended, _, _ = await approved_pickup_point(
        db, operator, warehouse, status=LeaderStatus.SUSPENDED
    )
    pending, _, _ = await approved_pickup_point(
        db, operator, warehouse, status=LeaderStatus.PENDING
    )
    unserved, _, _ = await approved_pickup_point(db, operator, None)
    customer, token = await db.user(Role.CUSTOMER)
    assert not (await _choose(gql, token, encode("PickupPoint", chosen)))["data"][
        "pickupPointChoose"
    ]["userErrors"]

    missing = await _choose(gql, token, encode("PickupPoint", 999_999))
    missing_errors = missing["data"]["pickupPointChoose"]["userErrors"]
    assert [e["code"] for e in missing_errors] == ["NOT_FOUND"]
    assert missing_errors[0]["field"] == ["pickupPointId"]
    for point in (suspended, pending, unserved):
        body = await _choose(gql, token, encode("PickupPoint", point))
        payload = body["data"]["pickupPointChoose"]
        # Word for word the same answer as a point that does not exist.
        assert payload == missing["data"]["pickupPointChoose"], (point, payload)
        assert payload["pickupPoint"] is None
    for malformed in ("nonsense", encode("Warehouse", chosen), encode("PickupPoint", 0)):
        payload = (await _choose(gql, token, malformed))["data"]["pickupPointChoose"]
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_ID"], malformed
    assert await _bound(db, customer.id) == chosen
    assert await _mine(gql, token) == encode("PickupPoint", chosen)


async def test_only_customers_choose(db: TestDB, gql: GraphQLClient) -> None:
    operator, operator_token = await db.user(Role.OPERATOR)
    point, _, leader_token = await approved_pickup_point(
        db, operator, await make_warehouse(db, operator)
    )
    gid = encode("PickupPoint", point)
    assert error_codes(await gql(CHOOSE, {"p": gid})) == ["UNAUTHENTICATED"]
    for token in (operator_token, leader_token, (await db.user(Role.DRIVER))[1]):
        assert error_codes(await _choose(gql, token, gid)) == ["FORBIDDEN"]
    assert await db.scalar("SELECT count(*) FROM customer_bindings") == 0


async def test_the_point_is_seen_by_its_customer_and_operators_only(
    db: TestDB, gql: GraphQLClient
) -> None:
    operator, operator_token = await db.user(Role.OPERATOR)
    warehouse = await make_warehouse(db, operator)
    point, _, leader_token = await approved_pickup_point(db, operator, warehouse)
    customer, token = await db.user(Role.CUSTOMER)
    await _choose(gql, token, encode("PickupPoint", point))
    user_gid = encode("User", customer.id)

    async def seen_by(viewer: str) -> Any:
        body = await gql(USER_POINT, {"id": user_gid}, token=viewer)
        assert "errors" not in body, body
        node = body["data"]["node"]
        return node and node["pickupPoint"]

    assert await seen_by(token) == {"id": encode("PickupPoint", point)}
    assert await seen_by(operator_token) == {"id": encode("PickupPoint", point)}
    _, other_customer = await db.user(Role.CUSTOMER)
    _, dispatcher = await db.user(Role.DISPATCHER)
    for other in (other_customer, leader_token, dispatcher):
        assert await seen_by(other) is None

    # The operator's users list carries the field too, for operators only.
    listed = await gql(
        "{ users(first: 50, role: CUSTOMER) { nodes { id pickupPoint { id } } } }",
        token=operator_token,
    )
    rows = {n["id"]: n["pickupPoint"] for n in listed["data"]["users"]["nodes"]}
    assert rows[user_gid] == {"id": encode("PickupPoint", point)}
