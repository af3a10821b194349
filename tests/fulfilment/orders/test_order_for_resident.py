"""A leader orders for a resident by phone (代下单): the resident's account
found or made, only at the leader's own point, and never by a customer."""

from __future__ import annotations

from api.graphql.ids import encode
from tests.support.commerce import snapshot
from tests.support.factories import approved_pickup_point, open_shop
from tests.support.ordering import MY_ORDERS, TWO_ITEMS, customer, lines_input, place, refused


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
