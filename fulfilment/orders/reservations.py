"""Releasing units of campaign items' caps (placing an order holds them:
see the placing modules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import CampaignItem
from fulfilment.orders.models import OrderLine
from kernel.db import dialect_name


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
    if dialect_name(session) == "postgresql":
        # Lock the items in id order first, the order orderCreate locks them
        # in (tuangou_place_order): left to the UPDATE's plan, a release of
        # several items could take them in another order and deadlock with a
        # concurrent order holding one and waiting for the other.
        await session.execute(
            select(CampaignItem.id)
            .where(CampaignItem.id.in_(select(per_item.c.campaign_item_id)))
            .order_by(CampaignItem.id)
            .with_for_update(key_share=True)
        )
    await session.execute(
        update(CampaignItem)
        .where(CampaignItem.id == per_item.c.campaign_item_id)
        .values(reserved=CampaignItem.reserved - per_item.c.units)
        .execution_options(synchronize_session=False)
    )
