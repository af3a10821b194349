"""Building the network: a warehouse made a grid of a central warehouse (or
its terms changed), and pickup points put under a grid or given back to
their central. Every rule here keeps the two tiers two: a grid's central is
no grid, a central with grids is no grid, and a point orders from the
central its grid belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign, ServiceArea, Warehouse
from fulfilment.campaigns.service_areas import assign_warehouse
from fulfilment.network.errors import NetworkErrorCode
from fulfilment.network.models import GridPoint, GridWarehouse
from kernel.clock import utcnow
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.versioning import check_version
from leaders.points.models import PickupPoint

MAX_PIECE_FEE_FEN = 10_000  # ¥100 a piece: anything above is a typo
MAX_RADIUS_M = 100_000
MAX_POINTS_PER_CALL = 500


@dataclass(frozen=True)
class GridTerms:
    """What makes a warehouse a grid: its central warehouse, the fee per
    piece its operator earns, when the trunk may arrive, how far it serves."""

    central_id: int
    piece_fee_fen: int
    receiving_start: time
    receiving_end: time
    service_radius_m: int


def _check_terms(terms: GridTerms) -> None:
    if not 0 <= terms.piece_fee_fen <= MAX_PIECE_FEE_FEN:
        raise DomainError(
            NetworkErrorCode.INVALID_GRID_TERMS,
            f"The fee per piece is between 0 and {MAX_PIECE_FEE_FEN} fen.",
            ["pieceFeeFen"],
        )
    if not 0 < terms.service_radius_m <= MAX_RADIUS_M:
        raise DomainError(
            NetworkErrorCode.INVALID_GRID_TERMS,
            f"The service radius is between 1 and {MAX_RADIUS_M} metres.",
            ["serviceRadiusM"],
        )
    if terms.receiving_start >= terms.receiving_end:
        raise DomainError(
            NetworkErrorCode.INVALID_GRID_TERMS,
            "The receiving window must start before it ends.",
            ["receivingWindow"],
        )


async def _check_central(session: AsyncSession, warehouse_id: int, central_id: int) -> None:
    if await session.get(Warehouse, central_id) is None:
        raise NotFound("Warehouse", ["centralId"])
    if central_id == warehouse_id or await session.get(GridWarehouse, central_id) is not None:
        raise DomainError(
            NetworkErrorCode.NOT_A_CENTRAL,
            "A grid belongs to a central warehouse, which is no grid itself.",
            ["centralId"],
        )


async def _check_free(session: AsyncSession, warehouse_id: int) -> None:
    """A warehouse becoming a grid has no grids, campaigns or points of its own."""
    for taken, what in (
        (exists().where(GridWarehouse.central_id == warehouse_id), "grids of its own"),
        (exists().where(Campaign.warehouse_id == warehouse_id), "campaigns"),
        (exists().where(ServiceArea.warehouse_id == warehouse_id), "pickup points it serves"),
    ):
        if await session.scalar(select(taken)):
            raise DomainError(
                NetworkErrorCode.WAREHOUSE_IN_USE,
                f"This warehouse has {what}: it cannot become a grid warehouse.",
                ["warehouseId"],
            )


async def set_grid(
    session: AsyncSession,
    warehouse_id: int,
    terms: GridTerms,
    *,
    expected_version: int | None,
) -> GridWarehouse:
    """Make ``warehouse_id`` a grid warehouse of ``terms.central_id``, or
    change the terms of one that is (made from ``expected_version``). A grid
    moves to another central only while it serves no points."""
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    _check_terms(terms)
    await _check_central(session, warehouse_id, terms.central_id)
    grid = await session.get(GridWarehouse, warehouse_id, with_for_update=True)
    if grid is None:
        await _check_free(session, warehouse_id)
        grid = GridWarehouse(warehouse_id=warehouse_id, central_id=terms.central_id)
        session.add(grid)
    else:
        check_version(grid.version, expected_version or 0, "grid warehouse")
        moved = grid.central_id != terms.central_id
        if moved and await session.scalar(
            select(exists().where(GridPoint.grid_id == grid.warehouse_id))
        ):
            raise DomainError(
                NetworkErrorCode.WAREHOUSE_IN_USE,
                "This grid serves pickup points: give them back to its central first.",
                ["centralId"],
            )
        grid.central_id = terms.central_id
        grid.version += 1
    grid.piece_fee_fen = terms.piece_fee_fen
    grid.receiving_start, grid.receiving_end = terms.receiving_start, terms.receiving_end
    grid.service_radius_m = terms.service_radius_m
    await session.flush()
    return grid


async def grid_by_id(session: AsyncSession, grid_id: int, field: str) -> GridWarehouse:
    """The grid warehouse ``grid_id``: NOT_FOUND, or NOT_A_GRID for a central."""
    grid = await session.get(GridWarehouse, grid_id)
    if grid is not None:
        return grid
    if await session.get(Warehouse, grid_id) is None:
        raise NotFound("Warehouse", [field])
    raise DomainError(
        NetworkErrorCode.NOT_A_GRID, "This warehouse is a central warehouse.", [field]
    )


def _check_count(point_ids: Sequence[int]) -> None:
    if not 0 < len(point_ids) <= MAX_POINTS_PER_CALL:
        raise DomainError(
            CommonErrorCode.OUT_OF_RANGE,
            f"Name between 1 and {MAX_POINTS_PER_CALL} pickup points at a time.",
            ["pickupPointIds"],
        )


async def assign_points(
    session: AsyncSession, grid_id: int, point_ids: Sequence[int]
) -> list[GridPoint]:
    """Serve the points through the grid ``grid_id``. A point ordering from
    another central cannot move under this grid (POINT_OF_ANOTHER_CENTRAL:
    its orders are bought there); a point no warehouse serves yet is given
    the grid's central. All or nothing."""
    _check_count(point_ids)
    grid = await grid_by_id(session, grid_id, "gridId")
    areas = {
        area.pickup_point_id: area.warehouse_id
        for area in await session.scalars(
            select(ServiceArea).where(ServiceArea.pickup_point_id.in_(point_ids))
        )
    }
    known = set(await session.scalars(select(PickupPoint.id).where(PickupPoint.id.in_(point_ids))))
    assigned: dict[int, GridPoint] = {}
    for index, point_id in enumerate(point_ids):
        field = ["pickupPointIds", str(index)]
        if point_id in assigned:
            continue
        if point_id not in known:
            raise NotFound("Pickup point", field)
        if areas.get(point_id, grid.central_id) != grid.central_id:
            raise DomainError(
                NetworkErrorCode.POINT_OF_ANOTHER_CENTRAL,
                "This pickup point orders from another central warehouse.",
                field,
            )
        if point_id not in areas:
            await assign_warehouse(session, point_id, grid.central_id)
        row = await session.get(GridPoint, point_id)
        if row is None:
            row = GridPoint(pickup_point_id=point_id, grid_id=grid_id)
            session.add(row)
        elif row.grid_id != grid_id:
            row.grid_id, row.assigned_at = grid_id, utcnow()
        assigned[point_id] = row
    await session.flush()
    return list(assigned.values())


async def release_points(session: AsyncSession, point_ids: Sequence[int]) -> int:
    """Serve the points from their central warehouse directly again; the
    number that were under a grid."""
    _check_count(point_ids)
    released = await session.execute(
        delete(GridPoint).where(GridPoint.pickup_point_id.in_(point_ids))
    )
    return int(released.rowcount or 0)  # type: ignore[attr-defined]
