"""Operators' order search (back office): by number, the customer's phone,
pickup point, delivery date and status, newest first, paged downward by id
like the other operators' lists (kernel/listing.py).

Each key has its index: the number is unique, the customer's orders
``ix_orders_customer_id``, a point's ``ix_orders_pickup_point_campaign``, a
delivery date's (its campaigns, one per warehouse) ``ix_orders_campaign_id_id``
(migration 0027)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Order, OrderStatus
from kernel.accounts import User
from kernel.identity.phones import normalise_phone


async def search_orders(
    session: AsyncSession,
    *,
    number: str | None = None,
    customer_phone: str | None = None,
    pickup_point_id: int | None = None,
    delivery_date: date | None = None,
    status: OrderStatus | None = None,
    before_id: int | None,
    limit: int,
) -> Sequence[Order]:
    """Orders matching every filter given, newest first, below ``before_id``.
    The phone is read as sign-in reads it (INVALID_PHONE when it is no
    mainland mobile number); a phone nobody has finds nothing."""
    stmt = select(Order)
    if number is not None:
        stmt = stmt.where(Order.number == number.strip())
    if customer_phone is not None:
        phone = normalise_phone(customer_phone, ["filter", "customerPhone"])
        stmt = stmt.where(
            Order.customer_id == select(User.id).where(User.phone == phone).scalar_subquery()
        )
    if pickup_point_id is not None:
        stmt = stmt.where(Order.pickup_point_id == pickup_point_id)
    if delivery_date is not None:
        stmt = stmt.where(
            Order.campaign_id.in_(
                select(Campaign.id).where(Campaign.delivery_date == delivery_date)
            )
        )
    if status is not None:
        stmt = stmt.where(Order.status == status)
    if before_id is not None:
        stmt = stmt.where(Order.id < before_id)
    stmt = stmt.order_by(Order.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars().all())
