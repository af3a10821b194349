"""Unpaid orders expire and give their units back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import Order, OrderStatus
from fulfilment.orders.reservations import release
from kernel.db import execute_counting


async def expire_unpaid(session: AsyncSession, now: datetime, *, batch: int = 5000) -> int:
    """Expire up to ``batch`` orders whose payment window has passed; returns
    how many. Rows are locked (skipping ones a payment holds right now), so a
    payment and an expiry of one order cannot both win."""
    ids = list(
        (
            await session.execute(
                select(Order.id)
                .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.expires_at <= now)
                .order_by(Order.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not ids:
        return 0
    await release(session, ids)
    return await execute_counting(
        session,
        update(Order)
        .where(Order.id.in_(ids))
        .values(status=OrderStatus.EXPIRED, closed_at=now)
        .execution_options(synchronize_session=False),
    )
