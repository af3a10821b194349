"""Cancelling an order: its units go back to the caps; a paid one is refunded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import HOLDING, Order, OrderStatus, Refund, RefundReason
from fulfilment.orders.reservations import release
from kernel.accounts import Role, User
from kernel.errors import DomainError, NotFound


async def cancel_order(session: AsyncSession, order_id: int, by: User, *, now: datetime) -> Order:
    """Cancel an unpaid or paid order. Customers (and the leader who placed
    it for them) may cancel before the cutoff; operators at any time."""
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
    was_paid = order.status is OrderStatus.PAID
    await release(session, [order.id])
    await session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(status=OrderStatus.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if was_paid:
        session.add(
            Refund(
                order_id=order.id,
                amount_fen=order.total_fen,
                reason=RefundReason.OPERATOR_CANCELLED
                if is_operator
                else RefundReason.CUSTOMER_CANCELLED,
                created_by_id=by.id,
                created_at=now,
            )
        )
    await session.flush()
    await session.refresh(order)
    return order
