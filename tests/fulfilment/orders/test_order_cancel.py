"""orderCancel: units released, paid orders refunded, only an operator after
the cutoff, never twice, and nobody else's order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from strawberry.relay import GlobalID

from tests.support.commerce import close_campaign, codes, ok, reserved, snapshot
from tests.support.factories import open_shop, order_input
from tests.support.ordering import (
    MY_ORDERS,
    ORDER_CANCEL,
    TWO_ITEMS,
    customer,
    lines_input,
    pay,
    place,
)


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
    # Paid, then refunded whole: it reads REFUNDED, and keeps its payment time.
    assert cancelled["order"]["status"] == "REFUNDED"
    assert cancelled["order"]["paidAt"] is not None
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
    assert cancelled["order"]["status"] == "REFUNDED"
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


async def _book(db: Any, sql: str, **params: Any) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def test_cancelling_after_a_partial_refund_gives_back_only_the_rest(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    order = await place(gql, order_input(shop, {0: 3}), token)
    await pay(gql, order["id"], token)
    await close_campaign(db, shop.campaign_id)
    # One unit shorted by the supplier, refunded at its price.
    await _book(
        db,
        "INSERT INTO refunds (order_id, amount_fen, reason, created_at) "
        "VALUES (:o, 990, 'shortage', CURRENT_TIMESTAMP)",
        o=db_id(order),
    )
    cancelled = ok(
        await gql(ORDER_CANCEL, {"id": order["id"]}, token=shop.operator_token), "orderCancel"
    )
    assert cancelled["order"]["status"] == "REFUNDED"
    assert await refunds(db) == [
        (db_id(order), 990, "shortage"),
        (db_id(order), 2970 - 990, "operator_cancelled"),
    ]


async def test_a_collected_order_is_not_cancelled(db, gql):
    shop = await open_shop(db)
    token = await customer(db)
    order = await place(gql, order_input(shop, {0: 3}), token)
    await pay(gql, order["id"], token)
    await _book(
        db,
        "INSERT INTO order_pickups (order_id, pickup_point_id, method, picked_up_at) "
        "VALUES (:o, :p, 'code', CURRENT_TIMESTAMP)",
        o=db_id(order),
        p=shop.pickup_point_id,
    )
    before = await snapshot(db)
    body = await gql(ORDER_CANCEL, {"id": order["id"]}, token=shop.operator_token)
    assert codes(body, "orderCancel") == ["NOT_CANCELLABLE"]
    assert await snapshot(db) == before
    assert await refunds(db) == []
