"""A pickup point's day at the counter: which paid orders were collected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Order, OrderPickup, OrderStatus
from kernel.db import keyset_page


@dataclass
class PickupEntry:
    """A paid order and its collection, if collected."""

    id: int  # the order's: the keyset cursor
    order: Order
    pickup: OrderPickup | None


@dataclass(frozen=True)
class PickupCounts:
    orders: int
    picked_up: int


def _day(pickup_point_id: int, delivery_date: date, *columns: Any) -> Select[Any]:
    """``columns`` over the point's paid orders of the day, each joined to its
    collection if any. An order refunded in full is no longer one to hand
    out; one collected before it was refunded (after-sale) stays collected."""
    return (
        select(*columns)
        .select_from(Order)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .outerjoin(OrderPickup, OrderPickup.order_id == Order.id)
        .where(
            Order.pickup_point_id == pickup_point_id,
            Campaign.delivery_date == delivery_date,
            or_(
                Order.status == OrderStatus.PAID,
                and_(Order.status == OrderStatus.REFUNDED, OrderPickup.id.is_not(None)),
            ),
        )
    )


async def pickup_entries(
    session: AsyncSession,
    pickup_point_id: int,
    delivery_date: date,
    *,
    picked_up: bool | None = None,
    after_id: int | None,
    limit: int,
) -> list[PickupEntry]:
    """The point's paid orders of a delivery date in id order (keyset
    pagination), each with its collection; only the collected ones (or only
    the others) when ``picked_up`` says so."""
    stmt = _day(pickup_point_id, delivery_date, Order, OrderPickup)
    if picked_up is not None:
        stmt = stmt.where(OrderPickup.id.is_not(None) if picked_up else OrderPickup.id.is_(None))
    rows = await session.execute(keyset_page(stmt, Order.id, after_id, limit))
    return [PickupEntry(order.id, order, pickup) for order, pickup in rows.all()]


async def pickup_counts(
    session: AsyncSession, pickup_point_id: int, delivery_date: date
) -> PickupCounts:
    """How many paid orders the point has that day, and how many were collected."""
    orders, picked = (
        await session.execute(
            _day(pickup_point_id, delivery_date, func.count(Order.id), func.count(OrderPickup.id))
        )
    ).one()
    return PickupCounts(int(orders), int(picked))
