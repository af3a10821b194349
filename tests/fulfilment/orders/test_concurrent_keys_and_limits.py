"""Orders placed at the same moment on PostgreSQL: an idempotency key makes
one order however often it is sent, a per-customer limit holds across a
customer's simultaneous orders, and different orders all go through."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from fulfilment.orders.placing import PlacedOrder
from kernel.errors import DomainError
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.order_races import (
    api_client,
    customers,
    holding_units,
    many_connections,
    order_rows,
    payload,
    place,
    reserved,
)

pytestmark = pytest.mark.postgres_only


async def test_one_key_sent_20_times_at_once_over_the_api_makes_one_order(pg):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 10}])
    [(_, token)] = await customers(pg, 1)
    variables = order_input(shop, {0: 3}, key="tap-tap-tap")
    async with api_client(pg) as gql:
        bodies = await asyncio.gather(
            *(gql(ORDER_CREATE, variables, token=token) for _ in range(20))
        )
    results = [payload(b) for b in bodies]
    assert all(r["userErrors"] == [] for r in results), results
    assert len({r["order"]["id"] for r in results}) == 1
    assert len({r["order"]["number"] for r in results}) == 1
    assert all(r["order"]["totalFen"] == 2970 for r in results)
    assert await order_rows(pg) == 1
    assert await reserved(pg, shop.item_ids[0]) == 3
    assert await holding_units(pg, shop.item_ids[0]) == 3


async def test_one_key_placed_20_times_at_once_in_the_domain_makes_one_order(pg):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 10}])
    [(user, _)] = await customers(pg, 1)
    async with many_connections(pg) as sessions:
        outcomes = await asyncio.gather(
            *(place(sessions, shop, user, {0: 2}, key="same-key") for _ in range(20))
        )
    assert all(isinstance(o, PlacedOrder) for o in outcomes), outcomes
    placed = [o for o in outcomes if isinstance(o, PlacedOrder)]
    assert len({p.order.id for p in placed}) == 1
    assert sum(not p.replayed for p in placed) == 1
    assert await order_rows(pg) == 1
    assert await reserved(pg, shop.item_ids[0]) == 2


LIMITED: list[dict[str, int | None]] = [
    {"group_price_fen": 990, "list_price_fen": 1290, "cap": 100, "per_customer_limit": 2}
]


async def test_limit_of_two_holds_for_10_simultaneous_orders_over_the_api(pg):
    shop = await open_shop(pg, items=LIMITED)
    [(user, token)] = await customers(pg, 1)
    async with api_client(pg) as gql:
        bodies = await asyncio.gather(
            *(gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token) for _ in range(10))
        )
    results = [payload(b) for b in bodies]
    assert sum(r["order"] is not None for r in results) == 2
    refused = [r["userErrors"] for r in results if r["order"] is None]
    assert [errs[0]["code"] for errs in refused] == ["LIMIT_EXCEEDED"] * 8
    assert all(errs[0]["remaining"] == 0 for errs in refused)
    assert await order_rows(pg) == 2
    assert await reserved(pg, shop.item_ids[0]) == 2
    bought = await pg.scalar(
        "SELECT sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "WHERE o.customer_id = :c",
        c=user.id,
    )
    assert bought == 2


async def test_limit_of_two_holds_for_10_simultaneous_orders_in_the_domain(pg):
    shop = await open_shop(pg, items=LIMITED)
    [(user, _)] = await customers(pg, 1)
    async with many_connections(pg) as sessions:
        outcomes = await asyncio.gather(*(place(sessions, shop, user, {0: 1}) for _ in range(10)))
    assert sum(isinstance(o, PlacedOrder) for o in outcomes) == 2
    assert Counter(o.code.value for o in outcomes if isinstance(o, DomainError)) == {
        "LIMIT_EXCEEDED": 8
    }
    assert await order_rows(pg) == 2
    assert await reserved(pg, shop.item_ids[0]) == 2


async def test_limits_of_many_customers_at_once_each_hold(pg):
    """Five customers each send six orders of one unit at once (limit 2, cap
    100): each gets exactly two, whatever the interleaving."""
    shop = await open_shop(pg, items=LIMITED)
    buyers = await customers(pg, 5)
    async with many_connections(pg) as sessions:
        outcomes = await asyncio.gather(
            *(place(sessions, shop, user, {0: 1}) for user, _ in buyers for _ in range(6))
        )
    per_customer = Counter(o.order.customer_id for o in outcomes if isinstance(o, PlacedOrder))
    assert per_customer == {user.id: 2 for user, _ in buyers}
    assert await reserved(pg, shop.item_ids[0]) == 10


async def test_one_customer_several_different_orders_at_once_all_succeed(pg):
    """A customer on two phones: simultaneous orders with different keys, of
    different unlimited items, are all placed (none fails with an internal
    error)."""
    price: dict[str, int | None] = {"group_price_fen": 990, "list_price_fen": 1290}
    shop = await open_shop(pg, items=[dict(price) for _ in range(6)])
    [(_, token)] = await customers(pg, 1)
    async with api_client(pg) as gql:
        bodies = await asyncio.gather(
            *(gql(ORDER_CREATE, order_input(shop, {i: 1}), token=token) for i in range(6))
        )
    for body in bodies:
        assert "errors" not in body, body
        assert body["data"]["orderCreate"]["userErrors"] == []
    assert await order_rows(pg) == 6
    for item in shop.item_ids:
        assert await reserved(pg, item) == 1
