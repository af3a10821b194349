"""Whole lines refunded before the purchase: every paid line of some items,
given back in full, each with the shortfall row that takes its units out of
what is bought and handed out. The cutoff does it for items that missed
their group threshold, a withdrawal for an item taken off the sale."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderLineShortfall,
    OrderStatus,
    Refund,
    RefundReason,
    ShortfallReason,
)
from fulfilment.orders.refunded import mark_refunded
from kernel.db import execute_counting


async def refund_whole_lines(
    session: AsyncSession,
    item_ids: Sequence[int],
    now: datetime,
    *,
    reason: RefundReason,
    shortfall: ShortfallReason,
) -> tuple[int, int]:
    """A refund per paid line of the items (quantity × unit price, exactly the
    line amount) and a shortfall row pointing at each; orders left with
    nothing read REFUNDED. Returns the lines and the fen refunded. Set-based:
    three statements whatever the number of lines."""
    lines = (
        select(
            OrderLine.order_id,
            OrderLine.id,
            OrderLine.quantity,
            OrderLine.amount_fen,
            literal(reason.value),
            literal(now, type_=Refund.created_at.type),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.campaign_item_id.in_(item_ids), Order.status == OrderStatus.PAID)
    )
    inserted = await execute_counting(
        session,
        insert(Refund).from_select(
            ["order_id", "order_line_id", "quantity", "amount_fen", "reason", "created_at"], lines
        ),
    )
    ours = (OrderLine.campaign_item_id.in_(item_ids), Refund.reason == reason)
    refunds = (
        select(
            Refund.order_line_id,
            Refund.quantity,
            literal(shortfall.value),
            Refund.id,
            literal(now, type_=OrderLineShortfall.created_at.type),
        )
        .join(OrderLine, OrderLine.id == Refund.order_line_id)
        .where(*ours)
    )
    await session.execute(
        insert(OrderLineShortfall).from_select(
            ["order_line_id", "quantity", "reason", "refund_id", "created_at"], refunds
        )
    )
    # Orders with nothing but cancelled items read REFUNDED (refunded.py).
    await mark_refunded(
        session, select(OrderLine.order_id).where(OrderLine.campaign_item_id.in_(item_ids))
    )
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0))
        .join(OrderLine, OrderLine.id == Refund.order_line_id)
        .where(*ours)
    )
    return inserted, int(total or 0)
