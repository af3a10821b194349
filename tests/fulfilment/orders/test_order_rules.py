"""orderCreate's rules, ordering for a resident (代下单), orderCancel, and the
leader's views of a delivery date, through GraphQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from strawberry.relay import GlobalID

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.clock import utcnow
from leaders.points.models import LeaderStatus
from tests.support.commerce import close_campaign, codes, ok, reserved, snapshot, user_errors
from tests.support.factories import approved_pickup_point, open_shop, order_input

ORDER_FIELDS = """
  id number status totalFen createdAt expiresAt paidAt customerName
  lines { quantity unitPriceFen amountFen product { name } }
"""


ORDER_CREATE = f"""
mutation($input: OrderCreateInput!) {{
  orderCreate(input: $input) {{
    order {{ {ORDER_FIELDS} }}
    userErrors {{ field code message remaining }}
  }}
}}
"""


ORDER_CANCEL = f"""
mutation($id: ID!) {{
  orderCancel(input: {{id: $id}}) {{
    order {{ {ORDER_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""


PAY = """
mutation($id: ID!) {
  paymentSimulate(input: {id: $id}) { order { status paidAt } userErrors { code message } }
}
"""


MY_ORDERS = "{ myOrders { nodes { id status totalFen } } }"


def lines_input(
    point_gid: str, lines: list[tuple[str, int]], key: str | None = None, **extra: Any
) -> dict[str, Any]:
    """orderCreate's input from (campaign item global id, quantity) pairs."""
    value: dict[str, Any] = {
        "pickupPointId": point_gid,
        "lines": [{"campaignItemId": item, "quantity": qty} for item, qty in lines],
        "idempotencyKey": key or uuid.uuid4().hex,
    }
    value.update(extra)
    return {"input": value}


async def place(gql: Any, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """An order that must be accepted."""
    order: dict[str, Any] = ok(await gql(ORDER_CREATE, variables, token=token), "orderCreate")[
        "order"
    ]
    return order


async def refused(gql: Any, variables: dict[str, Any], token: str) -> list[dict[str, Any]]:
    """The user errors of an order that must be refused."""
    body = await gql(ORDER_CREATE, variables, token=token)
    errors = user_errors(body, "orderCreate")
    assert errors, body
    assert body["data"]["orderCreate"]["order"] is None
    return errors


async def pay(gql: Any, order_id: str, token: str) -> None:
    body = await gql(PAY, {"id": order_id}, token=token)
    assert ok(body, "paymentSimulate")["order"]["status"] == "PAID", body


async def customer(db: Any, name: str = "居民") -> str:
    _, token = await db.user(Role.CUSTOMER, name)
    return str(token)


TWO_ITEMS = [
    {"group_price_fen": 990, "list_price_fen": 1290},
    {"group_price_fen": 1500, "list_price_fen": 1800, "cap": 20},
]


async def test_order_is_placed_awaiting_payment(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    token = await customer(db, "李阿姨")
    order = await place(gql, order_input(shop, {0: 2, 1: 3}), token)
    assert order["status"] == "PENDING_PAYMENT"
    assert order["totalFen"] == 2 * 990 + 3 * 1500
    assert order["paidAt"] is None
    assert order["customerName"] == "李阿姨"
    assert order["lines"] == [
        {"quantity": 2, "unitPriceFen": 990, "amountFen": 1980, "product": {"name": "商品0"}},
        {"quantity": 3, "unitPriceFen": 1500, "amountFen": 4500, "product": {"name": "商品1"}},
    ]
    created = datetime.fromisoformat(order["createdAt"])
    expires = datetime.fromisoformat(order["expiresAt"])
    assert expires - created == timedelta(minutes=db.settings.payment_window_minutes)
    assert created - timedelta(minutes=5) < utcnow() < expires + timedelta(minutes=5)
    assert order["number"].isdigit()
    # The units are held, and the customer finds the order among theirs.
    assert [await reserved(db, i) for i in shop.item_ids] == [2, 3]
    mine = await gql(MY_ORDERS, token=token)
    assert mine["data"]["myOrders"]["nodes"] == [
        {"id": order["id"], "status": "PENDING_PAYMENT", "totalFen": 6480}
    ]


async def test_customer_is_bound_to_the_pickup_point_they_last_ordered_through(db, gql):
    shop = await open_shop(db)
    other_point, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    resident, token = await db.user(Role.CUSTOMER, "王奶奶")

    async def bound() -> list[int]:
        return [
            await db.scalar(
                "SELECT pickup_point_id FROM customer_bindings WHERE user_id = :u", u=resident.id
            )
        ]

    await place(gql, order_input(shop, {0: 1}), token)
    assert await bound() == [shop.pickup_point_id]
    elsewhere = lines_input(encode("PickupPoint", other_point), [(shop.item_gid(0), 1)])
    await place(gql, elsewhere, token)
    assert await bound() == [other_point]
    # A refused order moves nothing.
    await close_campaign(db, shop.campaign_id)
    await refused(gql, order_input(shop, {0: 1}), token)
    assert await bound() == [other_point]


async def test_largest_quantity_is_accepted(db, gql):
    shop = await open_shop(db)
    order = await place(gql, order_input(shop, {0: 999}), await customer(db))
    assert order["totalFen"] == 999 * 990


async def test_bad_quantities_are_refused(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    token = await customer(db)
    item = shop.item_gid(0)
    cases = {
        "zero": [(item, 0)],
        "negative": [(item, -1)],
        "over 999": [(item, 1000)],
        "no lines": [],
        "same item twice": [(item, 1), (shop.item_gid(1), 1), (item, 2)],
    }
    before = await snapshot(db)
    for case, lines in cases.items():
        errors = await refused(gql, lines_input(shop.pickup_point_gid, lines), token)
        assert [e["code"] for e in errors] == ["INVALID_QUANTITY"], case
        assert await snapshot(db) == before, case


async def test_per_customer_limit_counts_earlier_orders(db, gql):
    shop = await open_shop(
        db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "per_customer_limit": 3}]
    )
    token = await customer(db)
    await place(gql, order_input(shop, {0: 2}), token)
    neighbour = await customer(db, "邻居")
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 2}), token)
    assert [(e["code"], e["remaining"], e["field"]) for e in errors] == [
        ("LIMIT_EXCEEDED", 1, ["lines", "0", "quantity"])
    ]
    assert await snapshot(db) == before
    await place(gql, order_input(shop, {0: 1}), token)
    errors = await refused(gql, order_input(shop, {0: 1}), token)
    assert [(e["code"], e["remaining"]) for e in errors] == [("LIMIT_EXCEEDED", 0)]
    # The limit is per customer: someone else may still buy 3.
    await place(gql, order_input(shop, {0: 3}), neighbour)
    assert await reserved(db, shop.item_ids[0]) == 6


async def test_limit_counts_paid_orders_but_not_cancelled_ones(db, gql):
    shop = await open_shop(
        db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "per_customer_limit": 3}]
    )
    token = await customer(db)
    first = await place(gql, order_input(shop, {0: 3}), token)
    ok(await gql(ORDER_CANCEL, {"id": first["id"]}, token=token), "orderCancel")
    second = await place(gql, order_input(shop, {0: 2}), token)
    await pay(gql, second["id"], token)
    errors = await refused(gql, order_input(shop, {0: 2}), token)
    assert [(e["code"], e["remaining"]) for e in errors] == [("LIMIT_EXCEEDED", 1)]


async def test_sold_out_says_how_many_are_left(db, gql):
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    token = await customer(db)
    await place(gql, order_input(shop, {0: 3}), token)
    neighbour = await customer(db, "邻居")
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 3}), neighbour)
    assert [(e["code"], e["remaining"], e["field"]) for e in errors] == [
        ("SOLD_OUT", 2, ["lines", "0", "quantity"])
    ]
    assert await snapshot(db) == before
    await place(gql, order_input(shop, {0: 2}), token)
    errors = await refused(gql, order_input(shop, {0: 1}), token)
    assert [(e["code"], e["remaining"]) for e in errors] == [("SOLD_OUT", 0)]
    assert await reserved(db, shop.item_ids[0]) == 5


async def test_order_with_one_sold_out_line_takes_nothing(db, gql):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": 50},
            {"group_price_fen": 1500, "list_price_fen": 1800, "cap": 2},
        ],
    )
    token = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 5, 1: 3}), token)
    assert [(e["code"], e["remaining"], e["field"]) for e in errors] == [
        ("SOLD_OUT", 2, ["lines", "1", "quantity"])
    ]
    assert await snapshot(db) == before
    assert [await reserved(db, i) for i in shop.item_ids] == [0, 0]
    assert (await gql(MY_ORDERS, token=token))["data"]["myOrders"]["nodes"] == []


async def test_scheduled_campaign_takes_no_orders(db, gql):
    now = utcnow()
    shop = await open_shop(
        db, opens_at=now + timedelta(hours=1), cutoff_at=now + timedelta(hours=2)
    )
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 1}), buyer)
    assert [e["code"] for e in errors] == ["CAMPAIGN_CLOSED"]
    assert await snapshot(db) == before


async def test_campaign_past_its_cutoff_takes_no_orders(db, gql):
    shop = await open_shop(db)
    await close_campaign(db, shop.campaign_id)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, order_input(shop, {0: 1}), buyer)
    assert [e["code"] for e in errors] == ["CAMPAIGN_CLOSED"]
    assert await snapshot(db) == before


async def test_pickup_point_of_suspended_or_pending_leader_takes_no_orders(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    for status in (LeaderStatus.SUSPENDED, LeaderStatus.PENDING):
        point, _, _ = await approved_pickup_point(
            db, shop.operator, shop.warehouse_id, status=status
        )
        before = await snapshot(db)
        errors = await refused(
            gql, lines_input(encode("PickupPoint", point), [(shop.item_gid(0), 1)]), token
        )
        assert [(e["code"], e["field"]) for e in errors] == [
            ("PICKUP_POINT_INACTIVE", ["pickupPointId"])
        ], status
        assert await snapshot(db) == before, status


async def test_unknown_item_is_refused(db, gql):
    shop = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql,
        lines_input(
            shop.pickup_point_gid, [(shop.item_gid(0), 1), (encode("CampaignItem", 9999), 1)]
        ),
        buyer,
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("ITEM_NOT_FOUND", ["lines", "1", "campaignItemId"])
    ]
    assert await snapshot(db) == before


async def test_unknown_pickup_point_is_refused(db, gql):
    shop = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql, lines_input(encode("PickupPoint", 9999), [(shop.item_gid(0), 1)]), buyer
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["pickupPointId"])]
    assert await snapshot(db) == before


async def test_items_of_two_campaigns_are_refused(db, gql):
    shop = await open_shop(db)
    other = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 1), (other.item_gid(0), 1)]),
        buyer,
    )
    assert [e["code"] for e in errors] == ["MIXED_CAMPAIGNS"]
    assert await snapshot(db) == before


async def test_pickup_point_of_another_warehouse_is_refused(db, gql):
    shop = await open_shop(db)
    other = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(gql, lines_input(other.pickup_point_gid, [(shop.item_gid(0), 1)]), buyer)
    assert [(e["code"], e["field"]) for e in errors] == [
        ("PICKUP_POINT_NOT_SERVED", ["pickupPointId"])
    ]
    assert await snapshot(db) == before


async def test_malformed_ids_are_refused(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    product_id = await db.scalar(
        "SELECT product_id FROM campaign_items WHERE id = :i", i=shop.item_ids[0]
    )
    before = await snapshot(db)
    for bad in ("garbage", "", encode("Product", product_id), encode("CampaignItem", -1)):
        errors = await refused(gql, lines_input(shop.pickup_point_gid, [(bad, 1)]), token)
        assert [(e["code"], e["field"]) for e in errors] == [
            ("INVALID_ID", ["lines", "0", "campaignItemId"])
        ], bad
    errors = await refused(gql, lines_input("garbage", [(shop.item_gid(0), 1)]), token)
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_ID", ["pickupPointId"])]
    assert await snapshot(db) == before


async def test_same_idempotency_key_replays_the_first_order(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    token = await customer(db)
    first = await place(gql, order_input(shop, {0: 2, 1: 1}, key="key-1"), token)
    neighbour = await customer(db, "邻居")
    before = await snapshot(db)
    # The same request again, lines in another order: the same order, nothing new.
    again = await place(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(1), 1), (shop.item_gid(0), 2)], "key-1"),
        token,
    )
    assert again == first
    assert await snapshot(db) == before
    # The same key for a different request is a conflict.
    errors = await refused(gql, order_input(shop, {0: 3}, key="key-1"), token)
    assert [(e["code"], e["field"]) for e in errors] == [
        ("IDEMPOTENCY_CONFLICT", ["idempotencyKey"])
    ]
    assert await snapshot(db) == before
    # Another customer may use the same key for their own order.
    await place(gql, order_input(shop, {0: 3}, key="key-1"), neighbour)


async def test_replay_returns_the_order_even_after_it_was_cancelled(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    first = await place(gql, order_input(shop, {0: 2}, key="k"), token)
    ok(await gql(ORDER_CANCEL, {"id": first["id"]}, token=token), "orderCancel")
    before = await snapshot(db)
    again = await place(gql, order_input(shop, {0: 2}, key="k"), token)
    assert (again["id"], again["status"]) == (first["id"], "CANCELLED")
    assert await snapshot(db) == before


async def test_leader_orders_for_a_resident_by_phone(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    first = await place(
        gql,
        lines_input(
            shop.pickup_point_gid,
            [(shop.item_gid(0), 2)],
            customerPhone="13912345678",
            customerName="张阿姨",
        ),
        shop.leader_token,
    )
    assert first["customerName"] == "张阿姨"
    assert first["totalFen"] == 1980
    resident = await db.scalar("SELECT id FROM users WHERE phone = '13912345678'")
    assert await db.scalar("SELECT role FROM users WHERE id = :i", i=resident) == "customer"
    users = await db.scalar("SELECT count(*) FROM users")

    # The same resident again, the number written another way: the same account.
    second = await place(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(1), 1)], customerPhone="139-1234-5678"),
        shop.leader_token,
    )
    assert second["customerName"] == "张阿姨"
    assert await db.scalar("SELECT count(*) FROM users") == users
    owners = await db.scalar(
        "SELECT count(DISTINCT customer_id) FROM orders WHERE customer_id = :i", i=resident
    )
    assert owners == 1
    assert await db.scalar("SELECT count(*) FROM orders WHERE customer_id = :i", i=resident) == 2
    # The orders are the resident's, not the leader's own.
    assert (await gql(MY_ORDERS, token=shop.leader_token))["data"]["myOrders"]["nodes"] == []


async def test_resident_without_a_name_gets_one_from_the_phone(db, gql):
    shop = await open_shop(db)
    order = await place(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 1)], customerPhone="13912345678"),
        shop.leader_token,
    )
    assert order["customerName"]
    assert "5678" in order["customerName"]


async def test_leader_cannot_order_for_a_resident_at_another_leaders_point(db, gql):
    shop = await open_shop(db)
    other_point, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    before = await snapshot(db)
    errors = await refused(
        gql,
        lines_input(
            encode("PickupPoint", other_point),
            [(shop.item_gid(0), 1)],
            customerPhone="13912345678",
            customerName="张阿姨",
        ),
        shop.leader_token,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["pickupPointId"])]
    assert await snapshot(db) == before


async def test_customer_cannot_order_for_someone_else(db, gql):
    shop = await open_shop(db)
    buyer = await customer(db)
    before = await snapshot(db)
    errors = await refused(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 1)], customerPhone="13912345678"),
        buyer,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_A_CUSTOMER", ["customerPhone"])]
    assert await snapshot(db) == before


async def test_refused_order_for_a_resident_creates_no_account(db, gql):
    shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 1}])
    before = await snapshot(db)
    for phone, code in (("13912345678", "SOLD_OUT"), ("12345", "INVALID")):
        errors = await refused(
            gql,
            lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 2)], customerPhone=phone),
            shop.leader_token,
        )
        assert [e["code"] for e in errors] == [code], phone
        assert await snapshot(db) == before, phone


async def refunds(db: Any) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT order_id, amount_fen, reason FROM refunds ORDER BY id")
        )
        return [tuple(r) for r in rows]


def db_id(order: dict[str, Any]) -> int:
    return int(GlobalID.from_id(order["id"]).node_id)


async def test_customer_cancels_an_unpaid_order(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    token = await customer(db)
    keep = await place(gql, order_input(shop, {1: 4}), token)
    order = await place(gql, order_input(shop, {0: 2, 1: 3}), token)
    assert [await reserved(db, i) for i in shop.item_ids] == [2, 7]
    cancelled = ok(await gql(ORDER_CANCEL, {"id": order["id"]}, token=token), "orderCancel")
    assert cancelled["order"]["status"] == "CANCELLED"
    assert [await reserved(db, i) for i in shop.item_ids] == [0, 4]
    assert await refunds(db) == []
    statuses = {
        o["id"]: o["status"]
        for o in (await gql(MY_ORDERS, token=token))["data"]["myOrders"]["nodes"]
    }
    assert statuses == {keep["id"]: "PENDING_PAYMENT", order["id"]: "CANCELLED"}


async def test_customer_cancels_a_paid_order_and_is_refunded(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    token = await customer(db)
    order = await place(gql, order_input(shop, {0: 2, 1: 1}), token)
    await pay(gql, order["id"], token)
    cancelled = ok(await gql(ORDER_CANCEL, {"id": order["id"]}, token=token), "orderCancel")
    assert cancelled["order"]["status"] == "CANCELLED"
    assert [await reserved(db, i) for i in shop.item_ids] == [0, 0]
    assert await refunds(db) == [(db_id(order), 2 * 990 + 1500, "customer_cancelled")]


async def test_after_cutoff_only_an_operator_cancels(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    order = await place(gql, order_input(shop, {0: 3}), token)
    await pay(gql, order["id"], token)
    await close_campaign(db, shop.campaign_id)
    before = await snapshot(db)
    body = await gql(ORDER_CANCEL, {"id": order["id"]}, token=token)
    assert codes(body, "orderCancel") == ["AFTER_CUTOFF"]
    assert body["data"]["orderCancel"]["order"] is None
    assert await snapshot(db) == before

    cancelled = ok(
        await gql(ORDER_CANCEL, {"id": order["id"]}, token=shop.operator_token), "orderCancel"
    )
    assert cancelled["order"]["status"] == "CANCELLED"
    assert await reserved(db, shop.item_ids[0]) == 0
    assert await refunds(db) == [(db_id(order), 2970, "operator_cancelled")]


async def test_cancelling_twice_is_refused(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    order = await place(gql, order_input(shop, {0: 3}), token)
    await pay(gql, order["id"], token)
    ok(await gql(ORDER_CANCEL, {"id": order["id"]}, token=token), "orderCancel")
    before = await snapshot(db)
    for who in (token, shop.operator_token):
        body = await gql(ORDER_CANCEL, {"id": order["id"]}, token=who)
        assert codes(body, "orderCancel") == ["NOT_CANCELLABLE"]
        assert await snapshot(db) == before
    assert len(await refunds(db)) == 1


async def test_nobody_else_cancels_a_customers_order(db, gql):
    shop = await open_shop(db)
    order = await place(gql, order_input(shop, {0: 1}), await customer(db))
    neighbour = await customer(db, "邻居")
    before = await snapshot(db)
    body = await gql(ORDER_CANCEL, {"id": order["id"]}, token=neighbour)
    assert codes(body, "orderCancel") == ["NOT_FOUND"]
    assert await snapshot(db) == before


async def test_leader_cancels_an_order_placed_for_a_resident(db, gql):
    shop = await open_shop(db)
    order = await place(
        gql,
        lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 2)], customerPhone="13912345678"),
        shop.leader_token,
    )
    cancelled = ok(
        await gql(ORDER_CANCEL, {"id": order["id"]}, token=shop.leader_token), "orderCancel"
    )
    assert cancelled["order"]["status"] == "CANCELLED"
    assert await reserved(db, shop.item_ids[0]) == 0


POINT_ORDERS = """
query($d: Date!, $s: [OrderStatus!]) {
  pickupPointOrders(deliveryDate: $d, status: $s) {
    nodes { id status totalFen customerName }
  }
}
"""


POINT_TOTALS = """
query($d: Date!) {
  pickupPointTotals(deliveryDate: $d) {
    byCustomer { customerName customerPhone orders units totalFen }
    byItem { units totalFen product { name } }
  }
}
"""


async def test_leader_sees_paid_orders_and_totals_for_the_delivery_date(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    wang_user, wang = await db.user(Role.CUSTOMER, "王阿姨")
    li = await customer(db, "李叔")
    paid = []
    paid.append(await place(gql, order_input(shop, {0: 2}), wang))
    paid.append(await place(gql, order_input(shop, {0: 1, 1: 3}), wang))
    paid.append(
        await place(
            gql,
            lines_input(
                shop.pickup_point_gid,
                [(shop.item_gid(1), 1)],
                customerPhone="13912345678",
                customerName="张阿姨",
            ),
            shop.leader_token,
        )
    )
    for order, token in zip(paid, (wang, wang, shop.leader_token), strict=True):
        await pay(gql, order["id"], token)
    unpaid = await place(gql, order_input(shop, {0: 5}), li)
    cancelled = await place(gql, order_input(shop, {1: 4}), li)
    await pay(gql, cancelled["id"], li)
    ok(await gql(ORDER_CANCEL, {"id": cancelled["id"]}, token=li), "orderCancel")
    # Another pickup point's paid order is not this leader's.
    other_point, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    elsewhere = await place(
        gql, lines_input(encode("PickupPoint", other_point), [(shop.item_gid(0), 7)]), li
    )
    await pay(gql, elsewhere["id"], li)

    day = shop.delivery_date.isoformat()
    body = await gql(POINT_ORDERS, {"d": day, "s": ["PAID"]}, token=shop.leader_token)
    assert "errors" not in body, body
    listed = body["data"]["pickupPointOrders"]["nodes"]
    assert [(o["id"], o["status"], o["customerName"]) for o in listed] == [
        (paid[0]["id"], "PAID", "王阿姨"),
        (paid[1]["id"], "PAID", "王阿姨"),
        (paid[2]["id"], "PAID", "张阿姨"),
    ]
    unpaid_only = await gql(
        POINT_ORDERS, {"d": day, "s": ["PENDING_PAYMENT"]}, token=shop.leader_token
    )
    assert [o["id"] for o in unpaid_only["data"]["pickupPointOrders"]["nodes"]] == [unpaid["id"]]
    everything = await gql(POINT_ORDERS, {"d": day}, token=shop.leader_token)
    assert len(everything["data"]["pickupPointOrders"]["nodes"]) == 5

    totals = (await gql(POINT_TOTALS, {"d": day}, token=shop.leader_token))["data"][
        "pickupPointTotals"
    ]
    assert wang_user.phone is None
    assert totals["byCustomer"] == [
        {
            "customerName": "王阿姨",
            "customerPhone": None,
            "orders": 2,
            "units": 6,
            "totalFen": 3 * 990 + 3 * 1500,
        },
        {
            "customerName": "张阿姨",
            "customerPhone": "13912345678",
            "orders": 1,
            "units": 1,
            "totalFen": 1500,
        },
    ]
    assert totals["byItem"] == [
        {"units": 3, "totalFen": 3 * 990, "product": {"name": "商品0"}},
        {"units": 4, "totalFen": 4 * 1500, "product": {"name": "商品1"}},
    ]
    # The sums match the orders listed.
    assert sum(c["totalFen"] for c in totals["byCustomer"]) == sum(o["totalFen"] for o in listed)
    assert sum(i["totalFen"] for i in totals["byItem"]) == sum(o["totalFen"] for o in listed)

    # Another delivery date has nothing.
    other_day = (shop.delivery_date + timedelta(days=1)).isoformat()
    none = await gql(POINT_TOTALS, {"d": other_day}, token=shop.leader_token)
    assert none["data"]["pickupPointTotals"] == {"byCustomer": [], "byItem": []}
    none = await gql(POINT_ORDERS, {"d": other_day}, token=shop.leader_token)
    assert none["data"]["pickupPointOrders"]["nodes"] == []


async def test_only_leaders_see_pickup_point_orders(db, gql):
    shop = await open_shop(db)
    body = await gql(POINT_ORDERS, {"d": shop.delivery_date.isoformat()}, token=await customer(db))
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
