"""Sorting (分拣): what each pickup point gets, per product and per customer,
the warehouse's totals, and the totes each point needs.

Deliverable units = paid units less shortfalls (threshold misses, supplier
shortages, delivery issues), by the rule of ``fulfilment.orders.hand_out``.
Totes: per pickup point and storage zone, ⌈volume ÷ tote volume⌉ (zones
never share a tote: chilled and frozen goods travel apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Select, case, cast, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign, Product
from fulfilment.orders.hand_out import lines_to_hand_out
from fulfilment.orders.models import Order, OrderLine, OrderStatus
from fulfilment.sorting.models import PickupPointLoad
from kernel.db import execute_counting


def deliverable(warehouse_id: int, delivery_date: date) -> Select[Any]:
    """Rows (pickup point, customer, product, units) of every paid line with
    units left to hand out (``fulfilment.orders.hand_out``, the rule a
    point's totals count by too): the input of every sorting view."""
    return (
        lines_to_hand_out(Order.pickup_point_id, Order.customer_id, OrderLine.product_id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .where(
            Order.status == OrderStatus.PAID,
            Campaign.warehouse_id == warehouse_id,
            Campaign.delivery_date == delivery_date,
        )
    )


@dataclass(frozen=True)
class SortSummary:
    pickup_points: int
    units: int
    totes: int


async def sort_day(
    session: AsyncSession,
    warehouse_id: int,
    delivery_date: date,
    *,
    tote_volume_ml: int,
    now: datetime,
) -> SortSummary:
    """Recompute every pickup point's load for the day in one grouped
    INSERT … SELECT (the previous run's rows are replaced)."""
    lines = deliverable(warehouse_id, delivery_date).subquery()
    # PostgreSQL sums integers into NUMERIC; as BIGINT the division below is
    # integer division on both databases.
    volume = cast(func.sum(lines.c.units * Product.volume_ml), BigInteger)
    grouped = (
        select(
            literal(warehouse_id),
            literal(delivery_date),
            lines.c.pickup_point_id,
            Product.storage_zone,
            func.sum(lines.c.units),
            func.sum(lines.c.units * Product.weight_g),
            volume,
            # ⌈v ÷ t⌉ in integers, and at least one tote for anything at all.
            case(
                (volume <= tote_volume_ml, 1),
                else_=(volume + tote_volume_ml - 1) // tote_volume_ml,
            ),
            literal(now, type_=PickupPointLoad.sorted_at.type),
        )
        .join(Product, Product.id == lines.c.product_id)
        .group_by(lines.c.pickup_point_id, Product.storage_zone)
    )
    await session.execute(
        delete(PickupPointLoad).where(
            PickupPointLoad.warehouse_id == warehouse_id,
            PickupPointLoad.delivery_date == delivery_date,
        )
    )
    await execute_counting(
        session,
        insert(PickupPointLoad).from_select(
            [
                "warehouse_id",
                "delivery_date",
                "pickup_point_id",
                "storage_zone",
                "units",
                "weight_g",
                "volume_ml",
                "totes",
                "sorted_at",
            ],
            grouped,
        ),
    )
    points, units, totes = (
        await session.execute(
            select(
                func.count(func.distinct(PickupPointLoad.pickup_point_id)),
                func.coalesce(func.sum(PickupPointLoad.units), 0),
                func.coalesce(func.sum(PickupPointLoad.totes), 0),
            ).where(
                PickupPointLoad.warehouse_id == warehouse_id,
                PickupPointLoad.delivery_date == delivery_date,
            )
        )
    ).one()
    return SortSummary(int(points), int(units), int(totes))


@dataclass(frozen=True)
class PickLine:
    product_id: int
    units: int


@dataclass(frozen=True)
class CustomerPick:
    customer_id: int
    product_id: int
    units: int


async def pick_list(
    session: AsyncSession, warehouse_id: int, delivery_date: date, pickup_point_id: int
) -> tuple[list[PickLine], list[CustomerPick]]:
    """One pickup point's pick list: per product, and per customer (what the
    leader hands each resident)."""
    points = [pickup_point_id]
    per_product = await products_by_point(session, warehouse_id, delivery_date, points)
    per_customer = await customers_by_point(session, warehouse_id, delivery_date, points)
    return per_product.get(pickup_point_id, []), per_customer.get(pickup_point_id, [])


async def products_by_point(
    session: AsyncSession, warehouse_id: int, delivery_date: date, pickup_point_ids: list[int]
) -> dict[int, list[PickLine]]:
    """The per-product part of several pickup points' pick lists in one
    grouped query (a route sheet lists every stop's)."""
    found = await _units_by_point(
        session, warehouse_id, delivery_date, pickup_point_ids, "product_id"
    )
    return {
        point: [PickLine(product, units) for product, units in rows]
        for point, rows in found.items()
    }


async def customers_by_point(
    session: AsyncSession, warehouse_id: int, delivery_date: date, pickup_point_ids: list[int]
) -> dict[int, list[CustomerPick]]:
    """The per-customer part of several pickup points' pick lists in one
    grouped query, each point's in customer and product order."""
    found = await _units_by_point(
        session, warehouse_id, delivery_date, pickup_point_ids, "customer_id", "product_id"
    )
    return {
        point: [CustomerPick(customer, product, units) for customer, product, units in rows]
        for point, rows in found.items()
    }


async def _units_by_point(
    session: AsyncSession,
    warehouse_id: int,
    delivery_date: date,
    pickup_point_ids: list[int],
    *keys: str,
) -> dict[int, list[tuple[Any, ...]]]:
    """Deliverable units of several points summed per point and ``keys``
    (columns of ``deliverable``): rows of the keys' values and the units,
    each point's in key order."""
    if not pickup_point_ids:
        return {}
    lines = (
        deliverable(warehouse_id, delivery_date)
        .where(Order.pickup_point_id.in_(pickup_point_ids))
        .subquery()
    )
    grouping = [lines.c.pickup_point_id, *(lines.c[key] for key in keys)]
    rows = await session.execute(
        select(*grouping, func.sum(lines.c.units)).group_by(*grouping).order_by(*grouping)
    )
    out: dict[int, list[tuple[Any, ...]]] = {}
    for point, *values, units in rows.all():
        out.setdefault(point, []).append((*values, int(units)))
    return out


async def warehouse_totals(
    session: AsyncSession, warehouse_id: int, delivery_date: date
) -> list[PickLine]:
    """Units of each product the warehouse sends out that day."""
    lines = deliverable(warehouse_id, delivery_date).subquery()
    rows = await session.execute(
        select(lines.c.product_id, func.sum(lines.c.units))
        .group_by(lines.c.product_id)
        .order_by(lines.c.product_id)
    )
    return [PickLine(p, int(u)) for p, u in rows.all()]
