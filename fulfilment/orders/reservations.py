"""Releasing units of campaign items' caps (placing an order holds them:
see the placing modules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.models import CampaignItem, OrderLine


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
