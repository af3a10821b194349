"""Orders placed at the same moment on PostgreSQL, for the concurrency tests:
many customers at once, the real app with a patient client, an engine with
enough connections for real overlap, one order per transaction, and readers
of what was reserved and held."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.http.app import create_app
from fulfilment.orders.placing import LineRequest, OrderRequest, PlacedOrder, place_order
from kernel.accounts import Role, User, create_user
from kernel.clock import utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.errors import DomainError
from tests.conftest import TOKEN_SECRET, GraphQLClient
from tests.conftest import TestDB as Database
from tests.support.factories import Shop

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
async def api_client(db: Database, **overrides: Any) -> AsyncIterator[GraphQLClient]:
    """The real app on ``db`` (its settings plus ``overrides``), its
    lifespan running, and a client for it."""
    app = create_app(db.settings.model_copy(update=overrides))
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
