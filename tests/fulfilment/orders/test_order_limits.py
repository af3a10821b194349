"""orderCreate's per-customer limits and caps: earlier, paid and cancelled
orders counted, what is left said, and a sold-out line takes nothing."""

from __future__ import annotations

from tests.support.commerce import ok, reserved, snapshot
from tests.support.factories import open_shop, order_input
from tests.support.ordering import MY_ORDERS, ORDER_CANCEL, customer, pay, place, refused


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
