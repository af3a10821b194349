"""Reading orders: a customer's, a pickup point's, and a pickup point's totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Order, OrderLine, OrderStatus
from kernel.db import keyset_page


def _orders_on(delivery_date: date | None, statuses: Sequence[OrderStatus] | None) -> Select[Any]:
    stmt = select(Order)
    if delivery_date is not None:
        stmt = stmt.join(Campaign, Campaign.id == Order.campaign_id).where(
            Campaign.delivery_date == delivery_date
        )
    if statuses:
        stmt = stmt.where(Order.status.in_(statuses))
    return stmt


async def list_orders(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    pickup_point_id: int | None = None,
    delivery_date: date | None = None,
    statuses: Sequence[OrderStatus] | None = None,
    after_id: int | None,
    limit: int,
) -> Sequence[Order]:
    """Orders in id order (keyset pagination), narrowed by the filters given."""
    stmt = _orders_on(delivery_date, statuses)
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if pickup_point_id is not None:
        stmt = stmt.where(Order.pickup_point_id == pickup_point_id)
    stmt = keyset_page(stmt, Order.id, after_id, limit)
    return list((await session.execute(stmt)).scalars().all())


@dataclass(frozen=True)
class CustomerTotal:
    customer_id: int
    orders: int
    units: int
    total_fen: int


@dataclass(frozen=True)
class ItemTotal:
    campaign_item_id: int
    product_id: int
    units: int
    total_fen: int


async def pickup_point_totals(
    session: AsyncSession,
    pickup_point_id: int,
    delivery_date: date,
    statuses: Sequence[OrderStatus],
) -> tuple[list[CustomerTotal], list[ItemTotal]]:
    """What a leader hands out on a delivery date: per customer and per item,
    summed by the database."""
    orders = (
        _orders_on(delivery_date, statuses)
        .where(Order.pickup_point_id == pickup_point_id)
        .with_only_columns(Order.id)
        .subquery()
    )
    per_customer = await session.execute(
        select(
            Order.customer_id,
            func.count(func.distinct(Order.id)),
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.amount_fen),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.id.in_(select(orders.c.id)))
        .group_by(Order.customer_id)
        .order_by(Order.customer_id)
    )
    per_item = await session.execute(
        select(
            OrderLine.campaign_item_id,
            OrderLine.product_id,
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.amount_fen),
        )
        .where(OrderLine.order_id.in_(select(orders.c.id)))
        .group_by(OrderLine.campaign_item_id, OrderLine.product_id)
        .order_by(OrderLine.campaign_item_id)
    )
    return (
        [CustomerTotal(c, n, int(u), int(t)) for c, n, u, t in per_customer.all()],
        [ItemTotal(i, p, int(u), int(t)) for i, p, u, t in per_item.all()],
    )


async def lines_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    rows = await session.execute(
        select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)
    )
    out: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    for line in rows.scalars():
        out[line.order_id].append(line)
    return out
