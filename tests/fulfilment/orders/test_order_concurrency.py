"""Orders placed at the same moment on PostgreSQL: caps are never oversold,
an idempotency key makes one order however often it is sent, and a per-customer
limit holds across a customer's simultaneous orders. Each scenario runs both
through the HTTP API (many requests in flight at once) and straight through
the domain (many transactions on many connections)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.http.app import create_app
from api.http.payments import signed_notification
from fulfilment.orders.expiry import expire_unpaid
from fulfilment.orders.models import Order
from fulfilment.orders.placing import LineRequest, OrderRequest, PlacedOrder, place_order
from kernel.accounts import Role, User, create_user
from kernel.clock import utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.errors import DomainError
from tests.conftest import TOKEN_SECRET, GraphQLClient, app_client
from tests.conftest import TestDB as Database
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input

pytestmark = pytest.mark.postgres_only


ZONE = ZoneInfo("Asia/Shanghai")


HOLDING_UNITS = """
SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE l.campaign_item_id = :item AND o.status IN ('pending_payment', 'paid')
"""


async def customers(db: Database, count: int) -> list[tuple[User, str]]:
    """``count`` customers and their tokens, made in one transaction."""
    async with unit_of_work(db.sessions) as session:
        return [
            await create_user(
                session,
                name=f"居民-{uuid.uuid4().hex[:6]}",
                role=Role.CUSTOMER,
                secret=TOKEN_SECRET,
            )
            for _ in range(count)
        ]


@asynccontextmanager
async def api_client(db: Database) -> AsyncIterator[GraphQLClient]:
    """The real app on ``db``, its lifespan running, and a client for it."""
    app = create_app(db.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", timeout=120
        ) as http:
            yield GraphQLClient(http)


@asynccontextmanager
async def many_connections(db: Database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an engine with enough connections for real overlap."""
    engine = create_engine(db.url, pool_size=20, max_overflow=20, pool_timeout=120)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def place(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    customer: User,
    quantities: dict[int, int],
    key: str | None = None,
) -> PlacedOrder | DomainError:
    """One order in its own transaction: the order, or the rule that said no."""
    request = OrderRequest(
        customer=customer,
        placed_by=customer,
        pickup_point_id=shop.pickup_point_id,
        lines=[LineRequest(shop.item_ids[i], q) for i, q in quantities.items()],
        idempotency_key=key or uuid.uuid4().hex,
    )
    try:
        async with unit_of_work(sessions) as session:
            return await place_order(
                session,
                request,
                now=utcnow(),
                zone=ZONE,
                payment_window=timedelta(minutes=15),
            )
    except DomainError as exc:
        return exc


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["orderCreate"]
    return result


async def reserved(db: Database, item_id: int) -> int:
    return int(await db.scalar("SELECT reserved FROM campaign_items WHERE id = :i", i=item_id))


async def holding_units(db: Database, item_id: int) -> int:
    return int(await db.scalar(HOLDING_UNITS, item=item_id))


async def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]


async def order_rows(db: Database) -> int:
    return int(await db.scalar("SELECT count(*) FROM orders"))


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


ORDER_CANCEL = """
mutation($id: ID!) { orderCancel(input: {id: $id}) { order { status } userErrors { code } } }
"""


async def load_order(db: Database, number: str) -> Order:
    async with db.sessions() as session:
        return (await session.execute(select(Order).where(Order.number == number))).scalar_one()


async def notify(http: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> int:
    response = await http.post("/payments/wechat/notify", content=body, headers=headers)
    return response.status_code


async def test_payment_cancel_and_expiry_racing_book_each_fen_once(pg):
    """Every order is paid, most are cancelled by their customer, and all are
    swept by the expiry job, at the same moment. Whatever wins, a closed order that was paid is
    refunded exactly once, and a paid order keeps its units."""
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 500}])
    buyers = await customers(pg, 30)
    async with api_client(pg) as gql:
        created = [
            payload(await gql(ORDER_CREATE, order_input(shop, {0: 2}), token=token))["order"]
            for _, token in buyers
        ]
        notes = [
            signed_notification(pg.settings.payment_secret, await load_order(pg, o["number"]))
            for o in created
        ]

        async def sweep(head_start: int) -> int:
            for _ in range(head_start):  # let some requests get going first
                await asyncio.sleep(0)
            async with unit_of_work(pg.sessions) as session:
                return await expire_unpaid(session, utcnow() + timedelta(days=1))

        jobs: list[Any] = []
        for n, (order, (_, token), (body, headers)) in enumerate(
            zip(created, buyers, notes, strict=True)
        ):
            jobs.append(notify(gql.http, body, headers))
            if n % 3:  # every third customer does not cancel
                jobs.append(gql(ORDER_CANCEL, {"id": order["id"]}, token=token))
        sweeps = [sweep(n) for n in (20, 60, 200)]
        *results, _, _, _ = await asyncio.gather(*jobs, *sweeps)
    assert all(r == 200 for r in results if isinstance(r, int)), results
    for answer in results:
        if isinstance(answer, dict):
            errors = answer["data"]["orderCancel"]["userErrors"]
            assert [e["code"] for e in errors] in ([], ["NOT_CANCELLABLE"]), answer

    async with pg.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT order_id, count(*), sum(amount_fen) FROM refunds GROUP BY order_id")
        )
        refunded = {order_id: (int(n), int(total)) for order_id, n, total in rows}
    held = 0
    for order in created:
        stored = await load_order(pg, order["number"])
        assert stored.payment_transaction_id is not None  # every payment was recorded
        if stored.status.value == "paid":
            assert stored.id not in refunded
            held += 2
        else:
            assert stored.status.value in ("cancelled", "expired")
            assert refunded[stored.id] == (1, stored.total_fen)
    assert set(refunded) <= {(await load_order(pg, o["number"])).id for o in created}
    assert await reserved(pg, shop.item_ids[0]) == held
    assert await holding_units(pg, shop.item_ids[0]) == held


async def test_one_notification_delivered_10_times_at_once_pays_once(pg):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    [(_, token)] = await customers(pg, 1)
    async with api_client(pg) as gql:
        order = payload(await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token))["order"]
        body, headers = signed_notification(
            pg.settings.payment_secret, await load_order(pg, order["number"])
        )
        codes = await asyncio.gather(*(notify(gql.http, body, headers) for _ in range(10)))
    assert codes == [200] * 10
    assert (await load_order(pg, order["number"])).status.value == "paid"
    outcomes = Counter(r[0] for r in await rows(pg, "SELECT outcome FROM payment_notifications"))
    assert outcomes == {"accepted": 1, "duplicate": 9}
    assert await pg.scalar("SELECT count(*) FROM refunds") == 0


async def test_five_different_payments_at_once_keep_one_and_refund_four(pg):
    shop = await open_shop(pg, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 5}])
    [(_, token)] = await customers(pg, 1)
    async with api_client(pg) as gql:
        order = payload(await gql(ORDER_CREATE, order_input(shop, {0: 2}), token=token))["order"]
        stored = await load_order(pg, order["number"])
        notes = [
            signed_notification(pg.settings.payment_secret, stored, f"TX-{n}") for n in range(5)
        ]
        codes = await asyncio.gather(*(notify(gql.http, b, h) for b, h in notes))
        # And the provider retries all five.
        codes += await asyncio.gather(*(notify(gql.http, b, h) for b, h in notes))
    assert codes == [200] * 10
    after = await load_order(pg, order["number"])
    assert after.status.value == "paid"
    assert after.payment_transaction_id in {f"TX-{n}" for n in range(5)}
    refunds = await rows(pg, "SELECT amount_fen, reason FROM refunds")
    assert sorted(refunds) == [(1980, "double_payment")] * 4


async def test_orders_go_on_after_the_database_drops_the_servers_connections(pg):
    # A PostgreSQL restart or failover closes every pooled connection. The
    # token check and the order go straight to the driver, so SQLAlchemy never
    # saw the disconnect and each stale connection failed again on every use.
    shop = await open_shop(pg)
    ((_, token),) = await customers(pg, 1)
    async with app_client(pg.url, db_pool_size=2) as gql:
        first = await asyncio.gather(
            *(gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token) for _ in range(4))
        )
        assert all(payload(b)["order"] for b in first)
        async with pg.engine.connect() as conn:
            dropped = (
                await conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND backend_type = 'client backend'"
                    )
                )
            ).scalar()
        assert dropped and dropped >= 2
        await asyncio.sleep(0.3)  # the terminated backends' sockets close
        after = [
            payload(await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=token))
            for _ in range(6)
        ]
    assert all(r["order"] and r["userErrors"] == [] for r in after), after
    assert await order_rows(pg) == 10


async def test_two_mutations_in_one_request_do_not_wait_on_each_other_for_connections(pg):
    # The first mutation's payload reads through the request's read session;
    # the second mutation needs a connection of its own. With one connection
    # per process, a request holding both would wait for itself.
    shop = await open_shop(pg)
    ((_, token),) = await customers(pg, 1)
    both = (
        "mutation($a: OrderCreateInput!, $b: OrderCreateInput!) {"
        " a: orderCreate(input: $a) { order { id lines { quantity } } userErrors { code } }"
        " b: orderCreate(input: $b) { order { id lines { quantity } } userErrors { code } } }"
    )
    variables = {
        "a": order_input(shop, {0: 1})["input"],
        "b": order_input(shop, {0: 2})["input"],
    }
    async with app_client(pg.url, db_pool_size=1, db_pool_timeout_s=5) as gql:
        body = await asyncio.wait_for(gql(both, variables, token=token), timeout=30)
    assert "errors" not in body, body
    assert body["data"]["a"]["order"]["lines"] == [{"quantity": 1}]
    assert body["data"]["b"]["order"]["lines"] == [{"quantity": 2}]
    assert await order_rows(pg) == 2
