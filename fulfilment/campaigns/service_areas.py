"""Which warehouse serves each pickup point."""

from __future__ import annotations

from geopy.distance import great_circle
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import ServiceArea, Warehouse
from kernel.clock import utcnow
from kernel.errors import NotFound
from leaders.points.models import PickupPoint


async def assign_warehouse(
    session: AsyncSession, pickup_point_id: int, warehouse_id: int
) -> ServiceArea:
    """Make ``warehouse_id`` the one that serves the pickup point."""
    if await session.get(PickupPoint, pickup_point_id) is None:
        raise NotFound("Pickup point", ["pickupPointId"])
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    area = await session.get(ServiceArea, pickup_point_id)
    if area is None:
        area = ServiceArea(pickup_point_id=pickup_point_id, warehouse_id=warehouse_id)
        session.add(area)
    else:
        area.warehouse_id = warehouse_id
        area.assigned_at = utcnow()
    await session.flush()
    return area


async def assign_nearest_warehouse(
    session: AsyncSession, pickup_point_id: int
) -> ServiceArea | None:
    """Serve a pickup point from the nearest warehouse, unless one is already
    assigned. None when there is no warehouse yet."""
    existing = await session.get(ServiceArea, pickup_point_id)
    if existing is not None:
        return existing
    point = await session.get(PickupPoint, pickup_point_id)
    if point is None:
        raise NotFound("Pickup point", ["pickupPointId"])
    warehouses = (await session.execute(select(Warehouse))).scalars().all()
    if not warehouses:
        return None
    # A handful of warehouses per region: comparing great-circle distances in
    # Python is cheaper than any spatial index.
    nearest = min(warehouses, key=lambda w: great_circle((point.lat, point.lon), (w.lat, w.lon)).m)
    return await assign_warehouse(session, pickup_point_id, nearest.id)


async def warehouse_of(session: AsyncSession, pickup_point_id: int) -> int | None:
    return (
        await session.execute(
            select(ServiceArea.warehouse_id).where(ServiceArea.pickup_point_id == pickup_point_id)
        )
    ).scalar_one_or_none()


def served_by_a_warehouse() -> ColumnElement[bool]:
    """The condition on a pickup point that a warehouse serves it: without
    one no campaign sells there, so it cannot take orders."""
    return PickupPoint.id.in_(select(ServiceArea.pickup_point_id))
