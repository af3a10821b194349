"""Reading the network: a central warehouse's grids with what they serve,
the grid serving a point, and the operator's proposal of the nearest grid
for each point still served directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geopy.distance import great_circle
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from fulfilment.campaigns.models import ServiceArea, Warehouse
from fulfilment.network.models import GridOperator, GridPoint, GridWarehouse
from leaders.points.models import PickupPoint


async def operated_grid(session: AsyncSession, user_id: int) -> int | None:
    """The grid warehouse a GRID_OPERATOR account runs, if any."""
    return await session.scalar(select(GridOperator.grid_id).where(GridOperator.user_id == user_id))


async def buying_warehouse(session: AsyncSession, warehouse_id: int) -> int:
    """The warehouse whose campaigns, purchasing and sorting a warehouse's
    deliveries come from: a grid's central warehouse, else itself."""
    central = await session.scalar(
        select(GridWarehouse.central_id).where(GridWarehouse.warehouse_id == warehouse_id)
    )
    return central or warehouse_id


def delivered_by(
    warehouse_id: int, point_id: ColumnElement[int] | InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    """The condition that the warehouse's own vehicles deliver to the point
    ``point_id`` names: a grid's, the points it serves; a central's, its
    points under no grid (with no grids, all of them, as before the tiers)."""
    is_grid = exists().where(GridWarehouse.warehouse_id == warehouse_id)
    return or_(
        and_(
            is_grid,
            point_id.in_(
                select(GridPoint.pickup_point_id).where(GridPoint.grid_id == warehouse_id)
            ),
        ),
        and_(~is_grid, point_id.not_in(select(GridPoint.pickup_point_id))),
    )


@dataclass(frozen=True)
class Grid:
    grid: GridWarehouse
    warehouse: Warehouse
    points: int  # pickup points it serves


@dataclass(frozen=True)
class Proposal:
    """The grid proposed for a point its central serves directly; None when
    no grid's service radius reaches it (it stays with the central)."""

    pickup_point_id: int
    grid_id: int | None
    distance_m: int | None


async def grids_of(session: AsyncSession, central_id: int) -> list[Grid]:
    """The grid warehouses of ``central_id`` in id order, each with the
    number of points it serves."""
    counts = (
        select(GridPoint.grid_id, func.count().label("points"))
        .group_by(GridPoint.grid_id)
        .subquery()
    )
    rows = await session.execute(
        select(GridWarehouse, Warehouse, func.coalesce(counts.c.points, 0))
        .join(Warehouse, Warehouse.id == GridWarehouse.warehouse_id)
        .outerjoin(counts, counts.c.grid_id == GridWarehouse.warehouse_id)
        .where(GridWarehouse.central_id == central_id)
        .order_by(GridWarehouse.warehouse_id)
    )
    return [Grid(grid, warehouse, int(points)) for grid, warehouse, points in rows]


async def grid_points(session: AsyncSession, grid_id: int) -> Sequence[int]:
    """The pickup points the grid serves, in id order."""
    rows = await session.scalars(
        select(GridPoint.pickup_point_id)
        .where(GridPoint.grid_id == grid_id)
        .order_by(GridPoint.pickup_point_id)
    )
    return rows.all()


async def propose_grids(session: AsyncSession, central_id: int) -> list[Proposal]:
    """For each point ``central_id`` serves with no grid, the nearest of its
    grids whose service radius reaches the point (great-circle distance:
    ten grids and a few hundred points a central, compared in Python)."""
    grids = await grids_of(session, central_id)
    points = await session.execute(
        select(PickupPoint.id, PickupPoint.lat, PickupPoint.lon)
        .join(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
        .outerjoin(GridPoint, GridPoint.pickup_point_id == PickupPoint.id)
        .where(ServiceArea.warehouse_id == central_id, GridPoint.pickup_point_id.is_(None))
        .order_by(PickupPoint.id)
    )
    proposals = []
    for point_id, lat, lon in points:
        reach = [
            (round(great_circle((lat, lon), (g.warehouse.lat, g.warehouse.lon)).m), g)
            for g in grids
        ]
        inside = [(d, g) for d, g in reach if d <= g.grid.service_radius_m]
        if inside:
            distance, nearest = min(inside, key=lambda pair: (pair[0], pair[1].grid.warehouse_id))
            proposals.append(Proposal(point_id, nearest.grid.warehouse_id, distance))
        else:
            proposals.append(Proposal(point_id, None, None))
    return proposals
