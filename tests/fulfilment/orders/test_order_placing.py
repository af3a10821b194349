"""orderCreate accepts an order: what it records and holds, the pickup point
it binds the customer to, and the quantities it refuses."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.clock import utcnow
from tests.support.commerce import close_campaign, reserved, snapshot
from tests.support.factories import approved_pickup_point, open_shop, order_input
from tests.support.ordering import MY_ORDERS, TWO_ITEMS, customer, lines_input, place, refused


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
