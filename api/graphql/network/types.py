"""GraphQL types of the two-tier network."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from api.graphql.campaigns.types import WarehouseType
from api.graphql.common import TimeWindow
from api.graphql.context import Info
from api.graphql.leaders.types import PickupPointType
from fulfilment.campaigns.models import Warehouse
from fulfilment.network.models import GridWarehouse
from fulfilment.network.queries import Grid, grid_points
from leaders.points.models import PickupPoint


@strawberry.type(name="GridWarehouse")
class GridWarehouseType:
    warehouse: WarehouseType = strawberry.field(
        description="The grid's own warehouse: name, address, location."
    )
    piece_fee_fen: int = strawberry.field(
        description="Paid to the grid's operator per piece delivered."
    )
    receiving_window: TimeWindow = strawberry.field(
        description="When the trunk from the central warehouse may arrive (platform zone)."
    )
    service_radius_m: int = strawberry.field(
        description="How far from the grid a point may be for gridProposals to propose it."
    )
    version: int
    point_count: int = strawberry.field(description="Pickup points the grid serves.")
    central_id: strawberry.Private[int]
    grid_id: strawberry.Private[int]

    @classmethod
    def of(cls, grid: GridWarehouse, warehouse: Warehouse, points: int) -> GridWarehouseType:
        return cls(
            warehouse=WarehouseType.of(warehouse),
            piece_fee_fen=grid.piece_fee_fen,
            receiving_window=TimeWindow(start=grid.receiving_start, end=grid.receiving_end),
            service_radius_m=grid.service_radius_m,
            version=grid.version,
            point_count=points,
            central_id=grid.central_id,
            grid_id=grid.warehouse_id,
        )

    @classmethod
    def of_grid(cls, found: Grid) -> GridWarehouseType:
        return cls.of(found.grid, found.warehouse, found.points)

    @strawberry.field(description="The central warehouse the grid belongs to.")
    async def central(self, info: Info) -> WarehouseType:
        central = await info.context.loaders.warehouse.load(self.central_id)
        assert central is not None  # a foreign key
        return WarehouseType.of(central)

    @strawberry.field(description="The pickup points the grid serves, in id order.")
    async def pickup_points(self, info: Info) -> list[PickupPointType]:
        session = info.context.session
        async with info.context.loaders.lock:  # the session is shared with sibling fields
            ids = await grid_points(session, self.grid_id)
            points = (
                await session.scalars(
                    select(PickupPoint).where(PickupPoint.id.in_(ids)).order_by(PickupPoint.id)
                )
            ).all()
        return [PickupPointType.of(p) for p in points]


@strawberry.type(name="GridProposal")
class GridProposalType:
    pickup_point_id: strawberry.ID = strawberry.field(
        description="A point its central warehouse serves directly."
    )
    grid_warehouse_id: strawberry.ID | None = strawberry.field(
        description="The nearest grid whose service radius reaches the point; null: none does."
    )
    distance_m: int | None = strawberry.field(description="Great-circle metres to that grid.")
