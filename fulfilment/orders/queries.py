"""Reading orders: a customer's, a pickup point's, a pickup point's totals,
and the units refunded on campaign items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.hand_out import lines_to_hand_out
from fulfilment.orders.models import Order, OrderLine, OrderStatus, Refund
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
    """What a leader hands out on a delivery date, per customer and per item,
    summed by the database: units to hand out by the rule the pick list
    counts by (``fulfilment.orders.hand_out``), and their amount at each
    line's unit price. Orders, customers and items with nothing left to hand
    out are left out."""
    stmt = (
        lines_to_hand_out(
            Order.id.label("order_id"),
            Order.customer_id,
            OrderLine.campaign_item_id,
            OrderLine.product_id,
            OrderLine.unit_price_fen,
        )
        .join(Campaign, Campaign.id == Order.campaign_id)
        .where(Order.pickup_point_id == pickup_point_id, Campaign.delivery_date == delivery_date)
    )
    if statuses:
        stmt = stmt.where(Order.status.in_(statuses))
    lines = stmt.subquery()
    # Shortfalls are refunded at the line's unit price, exactly: units × price
    # is the paid amount less those refunds.
    amount = func.sum(lines.c.units * lines.c.unit_price_fen)
    per_customer = await session.execute(
        select(
            lines.c.customer_id,
            func.count(func.distinct(lines.c.order_id)),
            func.sum(lines.c.units),
            amount,
        )
        .group_by(lines.c.customer_id)
        .order_by(lines.c.customer_id)
    )
    per_item = await session.execute(
        select(lines.c.campaign_item_id, lines.c.product_id, func.sum(lines.c.units), amount)
        .group_by(lines.c.campaign_item_id, lines.c.product_id)
        .order_by(lines.c.campaign_item_id)
    )
    return (
        [CustomerTotal(c, n, int(u), int(t)) for c, n, u, t in per_customer.all()],
        [ItemTotal(i, p, int(u), int(t)) for i, p, u, t in per_item.all()],
    )


async def refunded_units_by_item(
    session: AsyncSession, campaign_item_ids: Sequence[int]
) -> dict[int, int]:
    """Units refunded on the order lines of each campaign item, whatever the
    reason (threshold missed, shortage, delivery issue, after-sale); items
    with none are left out. A cancelled order's refund names no line: its
    units went back to the cap instead."""
    rows = await session.execute(
        select(OrderLine.campaign_item_id, func.sum(Refund.quantity))
        .select_from(OrderLine)
        # By order too: refunds are indexed by their order, not their line.
        .join(
            Refund,
            and_(Refund.order_id == OrderLine.order_id, Refund.order_line_id == OrderLine.id),
        )
        .where(OrderLine.campaign_item_id.in_(campaign_item_ids), Refund.quantity.is_not(None))
        .group_by(OrderLine.campaign_item_id)
    )
    return {item_id: int(units or 0) for item_id, units in rows.all()}


async def lines_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    rows = await session.execute(
        select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)
    )
    out: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    for line in rows.scalars():
        out[line.order_id].append(line)
    return out
