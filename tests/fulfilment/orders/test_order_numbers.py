"""Order numbers are ten random digits a day: when a new order draws a number
another order already has, it draws again instead of failing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import Order
from fulfilment.orders.placing import LineRequest, OrderRequest, PlacedOrder, place_order
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.support.factories import Shop, open_shop

ZONE = ZoneInfo("Asia/Shanghai")


def drawing(*numbers: str) -> Callable[[datetime, ZoneInfo], str]:
    """A number drawer that hands out ``numbers`` in turn."""
    queue: Iterator[str] = iter(numbers)
    return lambda _now, _zone: next(queue)


async def place(
    session: AsyncSession, shop: Shop, customer: User, draw: Callable[[datetime, ZoneInfo], str]
) -> PlacedOrder:
    request = OrderRequest(
        customer, customer, shop.pickup_point_id, [LineRequest(shop.item_ids[0], 2)],
        uuid.uuid4().hex,
    )  # fmt: skip
    return await place_order(
        session,
        request,
        now=utcnow(),
        zone=ZONE,
        payment_window=timedelta(minutes=15),
        draw_number=draw,
    )


async def test_a_number_another_order_has_is_drawn_again(db: TestDB) -> None:
    shop = await open_shop(db)
    customer, _ = await db.user(Role.CUSTOMER)
    draw = drawing(
        "2611230000000001",
        "2611230000000001",
        "2611230000000002",
        "2611230000000002",
        "2611230000000003",
    )
    async with unit_of_work(db.sessions) as session:
        first = await place(session, shop, customer, draw)
    async with unit_of_work(db.sessions) as session:
        # A statement first, so that on PostgreSQL the order is placed inside a
        # transaction already begun (as a leader's order for a resident is).
        await session.execute(text("SELECT 1"))
        second = await place(session, shop, customer, draw)
    async with unit_of_work(db.sessions) as session:
        third = await place(session, shop, customer, draw)  # a transaction of its own
    numbers = ["2611230000000001", "2611230000000002", "2611230000000003"]
    assert [placed.order.number for placed in (first, second, third)] == numbers
    async with db.sessions() as session:
        stored = (await session.execute(select(Order.number).order_by(Order.id))).scalars()
        assert list(stored) == numbers
    item = shop.item_ids[0]
    assert await db.scalar("SELECT reserved FROM campaign_items WHERE id = :i", i=item) == 6
