"""Orders and the connection pool on PostgreSQL: orders go on after the
server drops every connection, and two mutations of one request never wait
on each other for one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.conftest import app_client
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.order_races import customers, order_rows, payload

pytestmark = pytest.mark.postgres_only


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
