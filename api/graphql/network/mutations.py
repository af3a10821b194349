"""Mutations of the two-tier network: a warehouse made a grid, points put
under a grid or given back to their central. Operators only."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.common import TimeWindowInput
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.network.types import GridWarehouseType
from api.graphql.transactions import in_transaction
from fulfilment.campaigns.models import Warehouse
from fulfilment.network.grids import GridTerms, assign_points, release_points, set_grid
from fulfilment.network.models import GridWarehouse
from fulfilment.network.queries import grid_points
from kernel.accounts import Role


@strawberry.input
class GridWarehouseSetInput:
    warehouse_id: strawberry.ID = strawberry.field(description="The warehouse to make a grid.")
    central_id: strawberry.ID = strawberry.field(description="Its central warehouse.")
    piece_fee_fen: int = strawberry.field(description="The operator's fee per piece delivered.")
    receiving_window: TimeWindowInput = strawberry.field(
        description="When the trunk may arrive (platform zone), e.g. 01:00–04:00."
    )
    service_radius_m: int = strawberry.field(description="How far the grid serves, in metres.")
    expected_version: int | None = strawberry.field(
        default=None, description="Changing an existing grid: the version the edit was made from."
    )


@strawberry.type
class GridWarehousePayload:
    grid: GridWarehouseType | None
    user_errors: list[UserError]


async def _payload(session: AsyncSession, grid: GridWarehouse) -> GridWarehouseType:
    warehouse = await session.get(Warehouse, grid.warehouse_id)
    assert warehouse is not None  # a foreign key
    points = len(await grid_points(session, grid.warehouse_id))
    return GridWarehouseType.of(grid, warehouse, points)


async def grid_warehouse_set(info: Info, input: GridWarehouseSetInput) -> GridWarehousePayload:
    """Make a warehouse a grid warehouse (网格仓) of a central one, or change
    a grid's terms."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> GridWarehouseType:
        terms = GridTerms(
            central_id=decode(input.central_id, "Warehouse", ["centralId"]),
            piece_fee_fen=input.piece_fee_fen,
            receiving_start=input.receiving_window.start,
            receiving_end=input.receiving_window.end,
            service_radius_m=input.service_radius_m,
        )
        warehouse_id = decode(input.warehouse_id, "Warehouse", ["warehouseId"])
        grid = await set_grid(session, warehouse_id, terms, expected_version=input.expected_version)
        return await _payload(session, grid)

    grid, errors = await in_transaction(info.context, work)
    return GridWarehousePayload(grid=grid, user_errors=errors)


@strawberry.input
class GridPointsAssignInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid warehouse (a Warehouse ID).")
    pickup_point_ids: list[strawberry.ID] = strawberry.field(description="At most 500.")


async def grid_points_assign(info: Info, input: GridPointsAssignInput) -> GridWarehousePayload:
    """Serve pickup points through a grid warehouse: all of them, or none
    when one is refused."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> GridWarehouseType:
        grid_id = decode(input.grid_id, "Warehouse", ["gridId"])
        point_ids = [
            decode(raw, "PickupPoint", ["pickupPointIds", str(i)])
            for i, raw in enumerate(input.pickup_point_ids)
        ]
        await assign_points(session, grid_id, point_ids)
        grid = await session.get(GridWarehouse, grid_id)
        assert grid is not None  # assign_points found it
        return await _payload(session, grid)

    grid, errors = await in_transaction(info.context, work)
    return GridWarehousePayload(grid=grid, user_errors=errors)


@strawberry.input
class GridPointsReleaseInput:
    pickup_point_ids: list[strawberry.ID] = strawberry.field(description="At most 500.")


@strawberry.type
class GridPointsReleasePayload:
    released: int = strawberry.field(description="Points that were under a grid.")
    user_errors: list[UserError]


async def grid_points_release(
    info: Info, input: GridPointsReleaseInput
) -> GridPointsReleasePayload:
    """Serve pickup points from their central warehouse directly again."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> int:
        point_ids = [
            decode(raw, "PickupPoint", ["pickupPointIds", str(i)])
            for i, raw in enumerate(input.pickup_point_ids)
        ]
        return await release_points(session, point_ids)

    released, errors = await in_transaction(info.context, work)
    return GridPointsReleasePayload(released=released or 0, user_errors=errors)
