"""Unpaid orders expire and give their units back; a payment opened for one
at WeChat Pay is then owed a close there (provider_check.py makes it, once
this transaction has committed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import Order, OrderStatus, PaymentPrepay
from fulfilment.orders.reservations import release
from kernel.db import execute_counting


async def expire_unpaid(session: AsyncSession, now: datetime, *, batch: int = 5000) -> int:
    """Expire up to ``batch`` orders whose payment window has passed; returns
    how many. Rows are locked (skipping ones a payment holds right now), so a
    payment and an expiry of one order cannot both win. Their prepays are
    marked as owing the provider a close, in the same transaction: a close
    is never owed for an order that did not expire, nor lost for one that did."""
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
    return await close_unpaid(session, ids, now, OrderStatus.EXPIRED)


async def close_unpaid(
    session: AsyncSession, ids: list[int], now: datetime, status: OrderStatus
) -> int:
    """Close unpaid orders the caller has locked (EXPIRED, or CANCELLED when
    their item or campaign was called off): their units go back and their
    prepays owe the provider a close. Returns how many closed."""
    if not ids:
        return 0
    await release(session, ids)
    closed = await execute_counting(
        session,
        update(Order)
        .where(Order.id.in_(ids))
        .values(status=status, closed_at=now)
        .execution_options(synchronize_session=False),
    )
    await session.execute(
        update(PaymentPrepay)
        .where(PaymentPrepay.order_id.in_(ids), PaymentPrepay.close_due_at.is_(None))
        .values(close_due_at=now)
        .execution_options(synchronize_session=False)
    )
    return closed
