"""orderCreate's idempotency key: the same request replays the first order,
even cancelled; a different one under the same key is a conflict."""

from __future__ import annotations

from tests.support.commerce import ok, snapshot
from tests.support.factories import open_shop, order_input
from tests.support.ordering import ORDER_CANCEL, TWO_ITEMS, customer, lines_input, place, refused


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
