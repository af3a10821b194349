"""Who sees and touches which orders: customers their own, leaders their
pickup point's, operators all, suppliers none; a hidden order reads exactly
like a missing one. And a list of orders costs the same number of SQL
statements whatever its length."""

from __future__ import annotations

import uuid
from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.api.test_pagination import counting_statements
from tests.conftest import GraphQLClient, error_codes
from tests.conftest import TestDB as Database
from tests.support.factories import (
    ORDER_CREATE,
    Shop,
    approved_pickup_point,
    open_shop,
    order_input,
)
from tests.support.paying import paying

NODE = """
query($id: ID!) {
  node(id: $id) { id ... on Order { number status totalFen customerName lines { quantity } } }
}
"""


MY_ORDERS = "{ myOrders(first: 50) { edges { node { id number status } } } }"


POINT_ORDERS = """
query($date: Date!) {
  pickupPointOrders(deliveryDate: $date, first: 50) { edges { node { id number } } }
}
"""


ORDER_CANCEL = """
mutation($id: ID!) {
  orderCancel(input: {id: $id}) { order { id status } userErrors { code message } }
}
"""


PAYMENT_SIMULATE = """
mutation($id: ID!) {
  paymentSimulate(input: {id: $id}) { order { id status } userErrors { code message } }
}
"""


LIST_WITH_EVERYTHING = """
{
  myOrders(first: 50) {
    edges { node {
      number
      lines { quantity product { name } campaignItem { remaining } }
      pickupPoint { name }
      campaign { status }
    } }
  }
}
"""


async def place(
    gql: GraphQLClient,
    shop: Shop,
    token: str,
    quantities: dict[int, int] | None = None,
    pickup_point_gid: str | None = None,
) -> dict[str, Any]:
    variables: dict[str, Any] = order_input(shop, quantities or {0: 1})
    if pickup_point_gid is not None:
        variables["input"]["pickupPointId"] = pickup_point_gid
    body = await gql(ORDER_CREATE, variables, token=token)
    created = body["data"]["orderCreate"]
    assert created["userErrors"] == [], created
    order: dict[str, Any] = created["order"]
    return order


async def raw_node(gql: GraphQLClient, gid: str, token: str | None) -> bytes:
    """The exact bytes the API answers a node lookup with."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await gql.http.post(
        "/graphql", json={"query": NODE, "variables": {"id": gid}}, headers=headers
    )
    assert response.status_code == 200
    return response.content


async def node(gql: GraphQLClient, gid: str, token: str | None) -> dict[str, Any] | None:
    body = await gql(NODE, {"id": gid}, token=token)
    assert "errors" not in body, body
    found: dict[str, Any] | None = body["data"]["node"]
    return found


def ids(connection: dict[str, Any]) -> set[str]:
    return {edge["node"]["id"] for edge in connection["edges"]}


async def order_status(db: Database, gid: str) -> str:
    from api.graphql.ids import decode

    return str(
        await db.scalar("SELECT status FROM orders WHERE id = :i", i=decode(gid, "Order", []))
    )


def missing_order_gid() -> str:
    return encode("Order", 987_654_321)


class World:
    """Two pickup points of one warehouse, each with its leader and two
    customers who ordered there; an operator; a supplier."""

    def __init__(self) -> None:
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.tokens: dict[str, str] = {}


async def world(db: Database, gql: GraphQLClient) -> tuple[Shop, World, str]:
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 100}])
    other_point, _, other_leader_token = await approved_pickup_point(
        db, shop.operator, shop.warehouse_id
    )
    other_gid = encode("PickupPoint", other_point)
    w = World()
    w.tokens["leader"] = shop.leader_token
    w.tokens["other_leader"] = other_leader_token
    w.tokens["operator"] = shop.operator_token
    _, w.tokens["supplier"] = await db.user(Role.SUPPLIER, "供应商账号")
    for name, point in (("alice", None), ("bob", None), ("carol", other_gid), ("dan", other_gid)):
        _, token = await db.user(Role.CUSTOMER, f"{name}-{uuid.uuid4().hex[:4]}")
        w.tokens[name] = token
        w.orders[name] = [
            await place(gql, shop, token, {0: 1}, point),
            await place(gql, shop, token, {0: 2}, point),
        ]
    return shop, w, other_gid


def order_ids(w: World, *names: str) -> set[str]:
    return {o["id"] for name in names for o in w.orders[name]}


async def test_customers_see_only_their_own_orders(db, gql):
    _, w, _ = await world(db, gql)
    for name in ("alice", "bob", "carol", "dan"):
        body = await gql(MY_ORDERS, token=w.tokens[name])
        assert ids(body["data"]["myOrders"]) == order_ids(w, name)
        for order in w.orders[name]:
            seen = await node(gql, order["id"], w.tokens[name])
            assert seen is not None and seen["number"] == order["number"]

    # Bob's order through Alice's eyes is exactly what a missing order is.
    missing = await raw_node(gql, missing_order_gid(), w.tokens["alice"])
    assert b'"node":null' in missing
    for order in w.orders["bob"] + w.orders["carol"]:
        assert await raw_node(gql, order["id"], w.tokens["alice"]) == missing


async def test_nodes_batch_hides_other_peoples_orders(db, gql):
    _, w, _ = await world(db, gql)
    wanted = [w.orders["alice"][0]["id"], w.orders["bob"][0]["id"], missing_order_gid()]
    body = await gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": wanted}, token=w.tokens["alice"]
    )
    assert body["data"]["nodes"] == [{"id": wanted[0]}, None, None]


async def test_anonymous_visitors_see_no_orders(db, gql):
    _, w, _ = await world(db, gql)
    missing = await raw_node(gql, missing_order_gid(), None)
    assert await raw_node(gql, w.orders["alice"][0]["id"], None) == missing
    assert error_codes(await gql(MY_ORDERS)) == ["UNAUTHENTICATED"]


async def test_leaders_see_their_own_pickup_points_orders_only(db, gql):
    shop, w, _ = await world(db, gql)
    date = shop.delivery_date.isoformat()

    mine = await gql(POINT_ORDERS, {"date": date}, token=w.tokens["leader"])
    assert ids(mine["data"]["pickupPointOrders"]) == order_ids(w, "alice", "bob")
    theirs = await gql(POINT_ORDERS, {"date": date}, token=w.tokens["other_leader"])
    assert ids(theirs["data"]["pickupPointOrders"]) == order_ids(w, "carol", "dan")

    for order in w.orders["alice"]:
        seen = await node(gql, order["id"], w.tokens["leader"])
        assert seen is not None and seen["number"] == order["number"]
    missing = await raw_node(gql, missing_order_gid(), w.tokens["leader"])
    for order in w.orders["carol"] + w.orders["dan"]:
        assert await raw_node(gql, order["id"], w.tokens["leader"]) == missing
    for order in w.orders["alice"] + w.orders["bob"]:
        assert await raw_node(gql, order["id"], w.tokens["other_leader"]) == missing

    # Another delivery date: nothing.
    other_day = await gql(POINT_ORDERS, {"date": "2001-01-01"}, token=w.tokens["leader"])
    assert other_day["data"]["pickupPointOrders"]["edges"] == []


async def test_customers_and_suppliers_cannot_list_a_pickup_points_orders(db, gql):
    shop, w, _ = await world(db, gql)
    date = shop.delivery_date.isoformat()
    for who in ("alice", "supplier"):
        body = await gql(POINT_ORDERS, {"date": date}, token=w.tokens[who])
        assert error_codes(body) == ["FORBIDDEN"], body
        assert body.get("data") is None or body["data"] is None


async def test_suppliers_see_no_orders(db, gql):
    _, w, _ = await world(db, gql)
    missing = await raw_node(gql, missing_order_gid(), w.tokens["supplier"])
    for order in w.orders["alice"] + w.orders["carol"]:
        assert await raw_node(gql, order["id"], w.tokens["supplier"]) == missing
    assert error_codes(await gql(MY_ORDERS, token=w.tokens["supplier"])) == ["FORBIDDEN"]


async def test_operators_see_every_order(db, gql):
    _, w, _ = await world(db, gql)
    for order in (o for orders in w.orders.values() for o in orders):
        seen = await node(gql, order["id"], w.tokens["operator"])
        assert seen is not None
        assert (seen["number"], seen["totalFen"]) == (order["number"], order["totalFen"])


async def test_cancelling_someone_elses_order_is_not_found_and_changes_nothing(db, gql):
    shop, w, _ = await world(db, gql)
    reserved_before = await db.scalar(
        "SELECT reserved FROM campaign_items WHERE id = :i", i=shop.item_ids[0]
    )
    target = w.orders["alice"][1]
    for who in ("bob", "carol", "other_leader"):
        body = await gql(ORDER_CANCEL, {"id": target["id"]}, token=w.tokens[who])
        payload = body["data"]["orderCancel"]
        assert payload["order"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    # It reads exactly like cancelling an order that does not exist.
    ghost = await gql(ORDER_CANCEL, {"id": missing_order_gid()}, token=w.tokens["bob"])
    mine = await gql(ORDER_CANCEL, {"id": target["id"]}, token=w.tokens["bob"])
    assert ghost == mine
    assert error_codes(await gql(ORDER_CANCEL, {"id": target["id"]}, token=w.tokens["supplier"]))

    assert await order_status(db, target["id"]) == "pending_payment"
    assert (
        await db.scalar("SELECT reserved FROM campaign_items WHERE id = :i", i=shop.item_ids[0])
        == reserved_before
    )
    assert await db.scalar("SELECT count(*) FROM refunds") == 0


async def test_paying_someone_elses_order_is_not_found(db, gql, tmp_path):
    _, w, _ = await world(db, gql)
    target = w.orders["alice"][0]
    # The pay-now button answers only on the sandbox: an app paying through one.
    async with paying(db, tmp_path) as app:
        for who in ("bob", "carol", "other_leader"):
            body = await app.gql(PAYMENT_SIMULATE, {"id": target["id"]}, token=w.tokens[who])
            payload = body["data"]["paymentSimulate"]
            assert payload["order"] is None
            assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
        assert app.sandbox.state.orders == {}  # nothing was opened there either
    assert await order_status(db, target["id"]) == "pending_payment"
    assert await db.scalar("SELECT count(*) FROM payment_notifications") == 0
    assert await db.scalar("SELECT count(*) FROM payment_prepays") == 0


async def test_my_orders_costs_the_same_statements_for_3_or_30_orders(db, app_for, gql):
    first = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290},
            {"group_price_fen": 500, "list_price_fen": 700, "cap": 1000},
        ],
    )
    second = await open_shop(db, items=[{"group_price_fen": 300, "list_price_fen": 400}])
    _, few_token = await db.user(Role.CUSTOMER, "三单")
    _, many_token = await db.user(Role.CUSTOMER, "三十单")

    async def orders(token: str, count: int) -> None:
        for n in range(count):
            if n % 3 == 2:
                await place(gql, second, token, {0: 1})
            else:
                await place(gql, first, token, {0: 1, 1: 1 + n % 2})

    await orders(few_token, 3)
    await orders(many_token, 30)

    async def measure(token: str) -> tuple[int, dict[str, Any]]:
        with counting_statements(app_for.state.engine) as statements:
            body = await gql(LIST_WITH_EVERYTHING, token=token)
        assert "errors" not in body, body
        return len(statements), body

    few, few_body = await measure(few_token)
    many, many_body = await measure(many_token)
    assert len(few_body["data"]["myOrders"]["edges"]) == 3
    assert len(many_body["data"]["myOrders"]["edges"]) == 30
    one = many_body["data"]["myOrders"]["edges"][0]["node"]
    assert one["pickupPoint"]["name"] and one["campaign"]["status"] == "OPEN"
    assert {ln["product"]["name"] for ln in one["lines"]} == {"商品0", "商品1"}
    # Constant whatever the page holds (a loader batch that waits for the
    # session may split in two, so allow one statement of jitter).
    assert abs(few - many) <= 1, (few, many)
    assert many <= 12, many
