"""Holding and releasing units of campaign items' caps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.models import CampaignItem, OrderLine
from fulfilment.orders import order_errors
from kernel.db import execute_counting


async def reserve(session: AsyncSession, item_id: int, quantity: int, field: list[str]) -> None:
    """Hold ``quantity`` units of an item. The cap check and the increment are
    one UPDATE, so concurrent orders can never together exceed the cap: the
    row lock makes them take turns, and each sees the others' reservations."""
    taken = await execute_counting(
        session,
        update(CampaignItem)
        .where(
            CampaignItem.id == item_id,
            (CampaignItem.cap.is_(None)) | (CampaignItem.reserved + quantity <= CampaignItem.cap),
        )
        .values(reserved=CampaignItem.reserved + quantity),
    )
    if taken == 1:
        return
    left = int(
        (
            await session.execute(
                select(CampaignItem.cap - CampaignItem.reserved).where(CampaignItem.id == item_id)
            )
        ).scalar_one()
        or 0
    )
    raise order_errors.sold_out(field, left)


async def release(session: AsyncSession, order_ids: Any) -> None:
    """Give back every unit the orders hold, in one statement. ``order_ids``
    is a list or a subquery; callers change the orders' status in the same
    transaction so that each order is released exactly once."""
    # Units per item summed once over the orders' lines (UPDATE … FROM), not
    # a correlated sum per item: the orders' ids are bound once and the lines
    # are read once, however many items they touch.
    per_item = (
        select(OrderLine.campaign_item_id, func.sum(OrderLine.quantity).label("units"))
        .where(OrderLine.order_id.in_(order_ids))
        .group_by(OrderLine.campaign_item_id)
        .subquery()
    )
    await session.execute(
        update(CampaignItem)
        .where(CampaignItem.id == per_item.c.campaign_item_id)
        .values(reserved=CampaignItem.reserved - per_item.c.units)
        .execution_options(synchronize_session=False)
    )
