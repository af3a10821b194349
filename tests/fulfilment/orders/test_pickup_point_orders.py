"""The leader's views of a delivery date: the pickup point's orders by status
and its totals by customer and by item."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.support.commerce import ok
from tests.support.factories import Shop, approved_pickup_point, open_shop, order_input
from tests.support.ordering import ORDER_CANCEL, TWO_ITEMS, customer, lines_input, pay, place

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


async def three_paid_orders(gql: Any, shop: Shop, wang: str) -> list[dict[str, Any]]:
    """王阿姨's two orders and the one her leader placed for 张阿姨, all paid."""
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
    return paid


async def test_leader_sees_paid_orders_and_totals_for_the_delivery_date(db, gql):
    shop = await open_shop(db, items=TWO_ITEMS)
    wang_user, wang = await db.user(Role.CUSTOMER, "王阿姨")
    li = await customer(db, "李叔")
    paid = await three_paid_orders(gql, shop, wang)
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
