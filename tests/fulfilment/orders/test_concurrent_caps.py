"""Orders placed at the same moment on PostgreSQL never oversell a cap: 200
buyers for 50 units, and random baskets over two capped items, each both
through the HTTP API and straight through the domain."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from fulfilment.orders.placing import PlacedOrder
from kernel.errors import DomainError
from tests.conftest import TestDB as Database
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input
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


async def test_200_buyers_over_the_api_get_exactly_the_cap(pg):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 50}])
    buyers = await customers(pg, 200)
    async with api_client(pg) as gql:
        bodies = await asyncio.gather(
            *(gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token) for _, token in buyers)
        )
    results = [payload(b) for b in bodies]
    created = [r["order"] for r in results if r["order"] is not None]
    refused = [r["userErrors"] for r in results if r["order"] is None]
    assert len(created) == 50
    assert len({o["id"] for o in created}) == 50
    assert all(o["status"] == "PENDING_PAYMENT" and o["totalFen"] == 990 for o in created)
    assert len(refused) == 150
    assert all(len(errs) == 1 and errs[0]["code"] == "SOLD_OUT" for errs in refused), refused
    assert all(errs[0]["remaining"] == 0 for errs in refused)
    assert all(r["userErrors"] == [] for r in results if r["order"] is not None)

    item = shop.item_ids[0]
    assert await reserved(pg, item) == 50
    assert await holding_units(pg, item) == 50
    assert await order_rows(pg) == 50


async def test_200_buyers_through_the_domain_get_exactly_the_cap(pg):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 50}])
    buyers = await customers(pg, 200)
    async with many_connections(pg) as sessions:
        outcomes = await asyncio.gather(*(place(sessions, shop, u, {0: 1}) for u, _ in buyers))
    placed = [o for o in outcomes if isinstance(o, PlacedOrder)]
    errors = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(placed) == 50
    assert not any(p.replayed for p in placed)
    assert Counter(e.code.value for e in errors) == {"SOLD_OUT": 150}
    item = shop.item_ids[0]
    assert await reserved(pg, item) == 50
    assert await holding_units(pg, item) == 50
    assert await order_rows(pg) == 50


CAPS = [40, 25]


def random_baskets(seed: int, count: int) -> list[dict[int, int]]:
    """Orders of 1–3 units of one or both items."""
    rng = random.Random(seed)
    baskets = []
    for _ in range(count):
        items = rng.choice([[0], [1], [0, 1]])
        baskets.append({i: rng.randint(1, 3) for i in items})
    return baskets


async def check_random_outcome(
    db: Database, shop: Shop, baskets: list[dict[int, int]], accepted: list[bool]
) -> None:
    """Nothing oversold, the counter agrees with the orders, every accepted
    basket is in, and every refused basket really did not fit."""
    final_remaining = {}
    for index, cap in enumerate(CAPS):
        item = shop.item_ids[index]
        held = await holding_units(db, item)
        assert held <= cap
        assert await reserved(db, item) == held
        expected = sum(b.get(index, 0) for b, ok in zip(baskets, accepted, strict=True) if ok)
        assert held == expected
        final_remaining[index] = cap - held
    assert await order_rows(db) == sum(accepted)
    for basket, ok in zip(baskets, accepted, strict=True):
        if not ok:
            # Remaining units only shrink here (nothing is cancelled), so a
            # basket refused for want of stock cannot fit at the end either.
            assert any(q > final_remaining[i] for i, q in basket.items()), basket
    # Demand far above supply: both items ran (almost) dry.
    assert all(r < 3 for r in final_remaining.values()), final_remaining


async def test_random_baskets_over_the_api_never_exceed_the_caps(pg):
    shop = await open_shop(
        pg,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": CAPS[0]},
            {"group_price_fen": 500, "list_price_fen": 800, "cap": CAPS[1]},
        ],
    )
    buyers = await customers(pg, 120)
    baskets = random_baskets(20240601, len(buyers))
    async with api_client(pg) as gql:
        bodies = await asyncio.gather(
            *(
                gql(ORDER_CREATE, order_input(shop, basket), token=token)
                for (_, token), basket in zip(buyers, baskets, strict=True)
            )
        )
    results = [payload(b) for b in bodies]
    accepted = [r["order"] is not None for r in results]
    for result, basket in zip(results, baskets, strict=True):
        if result["order"] is None:
            assert [e["code"] for e in result["userErrors"]] == ["SOLD_OUT"], result
        else:
            quantities = [ln["quantity"] for ln in result["order"]["lines"]]
            assert sorted(quantities) == sorted(basket.values())
    await check_random_outcome(pg, shop, baskets, accepted)


async def test_random_baskets_through_the_domain_never_exceed_the_caps(pg):
    shop = await open_shop(
        pg,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": CAPS[0]},
            {"group_price_fen": 500, "list_price_fen": 800, "cap": CAPS[1]},
        ],
    )
    buyers = await customers(pg, 120)
    baskets = random_baskets(7, len(buyers))
    async with many_connections(pg) as sessions:
        outcomes = await asyncio.gather(
            *(
                place(sessions, shop, user, basket)
                for (user, _), basket in zip(buyers, baskets, strict=True)
            )
        )
    for outcome in outcomes:
        if isinstance(outcome, DomainError):
            assert outcome.code.value == "SOLD_OUT"
    await check_random_outcome(pg, shop, baskets, [isinstance(o, PlacedOrder) for o in outcomes])
