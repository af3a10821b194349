"""Cancelling an order: its units go back to the caps; a paid one is refunded
and then reads REFUNDED."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import (
    HOLDING,
    Order,
    OrderPickup,
    OrderStatus,
    Refund,
    RefundReason,
)
from fulfilment.orders.refunded import mark_refunded
from fulfilment.orders.reservations import release
from kernel.accounts import Role, User
from kernel.errors import DomainError, NotFound


async def cancel_order(session: AsyncSession, order_id: int, by: User, *, now: datetime) -> Order:
    """Cancel an unpaid or paid order (a paid one is refunded whole and reads
    REFUNDED). Customers (and the leader who placed it for them) may cancel
    before the cutoff; operators at any time."""
    order = (
        await session.execute(select(Order).where(Order.id == order_id).with_for_update())
    ).scalar_one_or_none()
    is_operator = by.role is Role.OPERATOR
    if order is None or not (is_operator or by.id in (order.customer_id, order.placed_by_id)):
        raise NotFound("Order", ["id"])
    if order.status not in HOLDING:
        raise DomainError(
            OrderErrorCode.NOT_CANCELLABLE, f"The order is {order.status.value} already.", ["id"]
        )
    campaign = await session.get(Campaign, order.campaign_id)
    assert campaign is not None  # FK
    if now >= campaign.cutoff_at and not is_operator:
        raise DomainError(
            OrderErrorCode.AFTER_CUTOFF,
            "Orders are frozen after the cutoff; ask the platform's operator.",
            ["id"],
        )
    if await session.scalar(select(OrderPickup.id).where(OrderPickup.order_id == order.id)):
        raise DomainError(
            OrderErrorCode.NOT_CANCELLABLE,
            "The order was collected; goods handed out are returned through after-sale.",
            ["id"],
        )
    was_paid = order.status is OrderStatus.PAID
    # What was refunded already (a shortage, a delivery issue) is not
    # refunded twice: cancelling gives back only the rest.
    owed = order.total_fen - await _refunded_fen(session, order.id) if was_paid else 0
    await release(session, [order.id])
    await session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(status=OrderStatus.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if owed > 0:
        session.add(
            Refund(
                order_id=order.id,
                amount_fen=owed,
                reason=RefundReason.OPERATOR_CANCELLED
                if is_operator
                else RefundReason.CUSTOMER_CANCELLED,
                created_by_id=by.id,
                created_at=now,
            )
        )
    await session.flush()
    if was_paid:
        # Refunded whole: the order reads REFUNDED, like a payment that came
        # after it was cancelled (refunded.py), whichever came first.
        await mark_refunded(session, [order.id])
    await session.refresh(order)
    return order


async def _refunded_fen(session: AsyncSession, order_id: int) -> int:
    """Refunded of the order's own money: a DOUBLE_PAYMENT refund gives back
    a second payment, not this order's."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.order_id == order_id, Refund.reason != RefundReason.DOUBLE_PAYMENT
        )
    )
    return int(total or 0)
