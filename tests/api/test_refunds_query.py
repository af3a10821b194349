"""Refunds through GraphQL: the ``refunds`` connection scoped by role (a
customer's own, a leader's point's, an operator's all; nobody else),
filters on other people's objects giving nothing, an order's ``refunds``,
the Refund node, pages, and a constant number of statements per page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from api.graphql.ids import encode
from fulfilment.orders.cancelling import cancel_order
from fulfilment.orders.payments import record_payment
from kernel.accounts import Role, User, issue_token
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.api.test_pagination import counting_statements
from tests.conftest import TOKEN_SECRET, TestDB, error_codes
from tests.support.pickup import Counter, counter_day, line_of, signed_with_missing
from tests.support.routing import A_PRICE, B_PRICE

REFUND_FIELDS = """
  id quantity amountFen reason createdAt
  order { id status }
  line { quantity unitPriceFen product { name } }
"""

REFUNDS = f"""
query($first: Int, $after: String, $orderId: ID, $pickupPointId: ID) {{
  refunds(first: $first, after: $after, orderId: $orderId, pickupPointId: $pickupPointId) {{
    edges {{ cursor node {{ {REFUND_FIELDS} }} }}
    pageInfo {{ hasNextPage hasPreviousPage endCursor }}
  }}
}}
"""

ORDER_REFUNDS = """
query($id: ID!) {
  node(id: $id) {
    ... on Order { status paidAt pickupCode { code } refunds { id amountFen reason } }
  }
}
"""

REFUND_NODE = "query($id: ID!) { node(id: $id) { ... on Refund { id amountFen reason } } }"


@dataclass
class Booked:
    """A sorted day (see ``tests.support.pickup.Counter``) with refunds of
    three kinds at three points: at the shop's point, three units of A
    missing on delivery (bob's two, then one of alice's); at point 2,
    carol's order paid twice; at point 3, dora's order cancelled by an
    operator."""

    counter: Counter
    tokens: dict[str, str]  # alice, bob, carol, operator, leader, leader2

    def order(self, name: str) -> str:
        return encode("Order", self.counter.orders[name])


async def book(db: TestDB) -> Booked:
    counter = await counter_day(db)
    await signed_with_missing(counter, db, 3)
    carol, dora = counter.orders["carol"], counter.orders["dora"]
    number = await db.scalar("SELECT number FROM orders WHERE id = :o", o=carol)
    async with unit_of_work(db.sessions) as session:
        await record_payment(
            session,
            order_number=number,
            amount_fen=4 * A_PRICE,
            transaction_id=uuid.uuid4().hex,
            now=utcnow(),
        )
    async with unit_of_work(db.sessions) as session:
        await cancel_order(session, dora, counter.shop.operator, now=utcnow())
    tokens = {
        "operator": counter.shop.operator_token,
        "leader": counter.shop.leader_token,
        "leader2": counter.day.leader2_token,
    }
    async with unit_of_work(db.sessions) as session:
        for name in ("alice", "bob", "carol"):
            user: User = getattr(counter.day, name)
            tokens[name] = await issue_token(session, user, TOKEN_SECRET)
    return Booked(counter, tokens)


async def listed(gql: Any, token: str | None, **variables: Any) -> list[dict[str, Any]]:
    body = await gql(REFUNDS, variables, token=token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["refunds"]["edges"]]


def summary(nodes: list[dict[str, Any]]) -> list[tuple[str, str, int, int | None]]:
    """(order, reason, fen, units) of each refund, sorted."""
    return sorted((n["order"]["id"], n["reason"], n["amountFen"], n["quantity"]) for n in nodes)


async def test_each_role_sees_exactly_the_refunds_it_should(db, gql) -> None:
    booked = await book(db)
    alice, bob = booked.order("alice"), booked.order("bob")
    carol, dora = booked.order("carol"), booked.order("dora")
    expected: dict[str, list[tuple[str, str, int, int | None]]] = {
        "alice": [(alice, "DELIVERY_MISSING", A_PRICE, 1)],
        "bob": [(bob, "DELIVERY_MISSING", 2 * A_PRICE, 2)],
        "carol": [(carol, "DOUBLE_PAYMENT", 4 * A_PRICE, None)],
        "leader": sorted(
            [(alice, "DELIVERY_MISSING", A_PRICE, 1), (bob, "DELIVERY_MISSING", 2 * A_PRICE, 2)]
        ),
        "leader2": [(carol, "DOUBLE_PAYMENT", 4 * A_PRICE, None)],
    }
    expected["operator"] = sorted(
        expected["leader"] + expected["carol"] + [(dora, "OPERATOR_CANCELLED", B_PRICE, None)]
    )
    for who, refunds in expected.items():
        assert summary(await listed(gql, booked.tokens[who])) == refunds, who

    for role in (Role.DISPATCHER, Role.SUPPLIER, Role.DRIVER):
        _, token = await db.user(role)
        body = await gql(REFUNDS, {}, token=token)
        assert error_codes(body) == ["FORBIDDEN"], role
    assert error_codes(await gql(REFUNDS, {})) == ["UNAUTHENTICATED"]


async def test_refunds_say_what_was_booked_line_by_line(db, gql) -> None:
    booked = await book(db)
    [bobs] = await listed(gql, booked.tokens["operator"], orderId=booked.order("bob"))
    line = await line_of(db, booked.counter.orders["bob"], booked.counter.day.product_a)
    refund_line = await db.scalar(
        "SELECT order_line_id FROM refunds WHERE order_id = :o", o=booked.counter.orders["bob"]
    )
    assert refund_line == line
    assert bobs["line"] == {"quantity": 2, "unitPriceFen": A_PRICE, "product": {"name": "商品0"}}
    assert bobs["order"] == {"id": booked.order("bob"), "status": "REFUNDED"}
    assert bobs["createdAt"]
    # A whole order's refund names no line.
    [doras] = await listed(gql, booked.tokens["operator"], orderId=booked.order("dora"))
    assert (doras["line"], doras["quantity"], doras["order"]["status"]) == (None, None, "REFUNDED")
    # Paid twice: given back, and the order is still paid (once).
    [carols] = await listed(gql, booked.tokens["leader2"])
    assert carols["order"]["status"] == "PAID"


async def test_filters_on_other_peoples_orders_and_points_give_nothing(db, gql) -> None:
    booked = await book(db)
    tokens, counter = booked.tokens, booked.counter
    shop_point = encode("PickupPoint", counter.shop.pickup_point_id)
    point2 = encode("PickupPoint", counter.day.point2)
    assert await listed(gql, tokens["alice"], orderId=booked.order("bob")) == []
    assert await listed(gql, tokens["alice"], pickupPointId=point2) == []
    assert await listed(gql, tokens["leader"], pickupPointId=point2) == []
    assert await listed(gql, tokens["leader"], orderId=booked.order("carol")) == []
    assert len(await listed(gql, tokens["leader2"], pickupPointId=point2)) == 1
    assert len(await listed(gql, tokens["leader"], pickupPointId=shop_point)) == 2
    mine = await listed(gql, tokens["alice"], orderId=booked.order("alice"))
    assert [n["amountFen"] for n in mine] == [A_PRICE]
    operator = await listed(gql, tokens["operator"], pickupPointId=shop_point)
    assert {n["order"]["id"] for n in operator} == {booked.order("alice"), booked.order("bob")}


async def test_malformed_ids_in_the_filters_are_bad_user_input(db, gql) -> None:
    booked = await book(db)
    operator = booked.tokens["operator"]
    for variables in (
        {"orderId": "not-an-id"},
        {"orderId": encode("PickupPoint", booked.counter.shop.pickup_point_id)},
        {"pickupPointId": booked.order("alice")},
    ):
        body = await gql(REFUNDS, variables, token=operator)
        assert error_codes(body) == ["BAD_USER_INPUT"], variables


async def test_an_orders_refunds_are_read_with_the_order(db, gql) -> None:
    booked = await book(db)
    body = await gql(ORDER_REFUNDS, {"id": booked.order("bob")}, token=booked.tokens["bob"])
    assert "errors" not in body, body
    seen = body["data"]["node"]
    # Every unit refunded: REFUNDED, paid all the same, and no code to collect with.
    assert (seen["status"], seen["pickupCode"]) == ("REFUNDED", None)
    assert seen["paidAt"] is not None
    assert [(r["amountFen"], r["reason"]) for r in seen["refunds"]] == [
        (2 * A_PRICE, "DELIVERY_MISSING")
    ]
    # Alice's order, refunded in part, keeps its code.
    body = await gql(ORDER_REFUNDS, {"id": booked.order("alice")}, token=booked.tokens["alice"])
    alices = body["data"]["node"]
    assert alices["status"] == "PAID" and alices["pickupCode"] is not None
    assert [r["amountFen"] for r in alices["refunds"]] == [A_PRICE]
    # The leader's point's orders, each with its refunds.
    day = booked.counter.shop.delivery_date.isoformat()
    body = await gql(
        "query($d: Date!) { pickupPointOrders(deliveryDate: $d, status: [PAID, REFUNDED]) "
        "{ nodes { id refunds { amountFen } } } }",
        {"d": day},
        token=booked.tokens["leader"],
    )
    assert "errors" not in body, body
    orders = {n["id"]: n["refunds"] for n in body["data"]["pickupPointOrders"]["nodes"]}
    assert orders == {
        booked.order("alice"): [{"amountFen": A_PRICE}],
        booked.order("bob"): [{"amountFen": 2 * A_PRICE}],
    }


async def test_a_refund_node_is_visible_to_whoever_sees_its_order(db, gql) -> None:
    booked = await book(db)
    [refund] = await listed(gql, booked.tokens["bob"])
    for who in ("bob", "leader", "operator"):
        body = await gql(REFUND_NODE, {"id": refund["id"]}, token=booked.tokens[who])
        assert body["data"]["node"] == {
            "id": refund["id"],
            "amountFen": 2 * A_PRICE,
            "reason": "DELIVERY_MISSING",
        }, who
    for who in ("alice", "leader2"):
        body = await gql(REFUND_NODE, {"id": refund["id"]}, token=booked.tokens[who])
        assert body["data"]["node"] is None, who


async def test_pages_walk_every_refund_once_in_id_order(db, gql) -> None:
    booked = await book(db)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = await gql(REFUNDS, {"first": 3, "after": after}, token=booked.tokens["operator"])
        assert "errors" not in body, body
        page = body["data"]["refunds"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 2
    assert len(seen) == len(set(seen)) == 4
    ids = [
        int(await db.scalar("SELECT id FROM refunds ORDER BY id LIMIT 1 OFFSET :n", n=n))
        for n in range(4)
    ]
    assert seen == [encode("Refund", i) for i in ids]
    body = await gql(REFUNDS, {"first": 101}, token=booked.tokens["operator"])
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_page_of_refunds_costs_the_same_statements_for_1_or_4(db, gql, app_for) -> None:
    booked = await book(db)
    engine = app_for.state.engine
    with counting_statements(engine) as one:
        assert len(await listed(gql, booked.tokens["operator"], first=1)) == 1
    with counting_statements(engine) as four:
        assert len(await listed(gql, booked.tokens["operator"], first=4)) == 4
    # Loaders batch each kind of object into one query (a batch may split in
    # two when it waits for the session).
    assert len(four) <= len(one) + 1, "\n".join(four)
