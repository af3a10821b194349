"""Query fields of the two-tier network, for operators."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from api.graphql.context import Info
from api.graphql.ids import decode_argument, encode
from api.graphql.network.types import GridProposalType, GridWarehouseType
from fulfilment.network.models import GridWarehouse
from fulfilment.network.queries import grids_of, operated_grid, propose_grids
from kernel.accounts import Role


@strawberry.type
class NetworkQuery:
    @strawberry.field(description="The grid warehouse the signed-in grid operator runs.")
    async def my_grid_warehouse(self, info: Info) -> GridWarehouseType | None:
        viewer = info.context.require(Role.GRID_OPERATOR)
        session = info.context.session
        # Root fields of one query run together: the session takes turns.
        async with info.context.loaders.lock:
            grid_id = await operated_grid(session, viewer.id)
            central = await session.scalar(
                select(GridWarehouse.central_id).where(GridWarehouse.warehouse_id == grid_id)
            )
            grids = [] if central is None else await grids_of(session, central)
        return next(
            (GridWarehouseType.of_grid(g) for g in grids if g.grid.warehouse_id == grid_id),
            None,
        )

    @strawberry.field(
        description="The grid warehouses (网格仓) of a central warehouse, in id order."
    )
    async def grid_warehouses(
        self, info: Info, central_id: strawberry.ID
    ) -> list[GridWarehouseType]:
        info.context.require(Role.OPERATOR)
        central = decode_argument(central_id, "Warehouse", ["centralId"])
        async with info.context.loaders.lock:
            grids = await grids_of(info.context.session, central)
        return [GridWarehouseType.of_grid(g) for g in grids]

    @strawberry.field(
        description="For each point the central warehouse serves directly, the nearest of "
        "its grids whose service radius reaches it (null when none does): confirm with "
        "gridPointsAssign."
    )
    async def grid_proposals(self, info: Info, central_id: strawberry.ID) -> list[GridProposalType]:
        info.context.require(Role.OPERATOR)
        central = decode_argument(central_id, "Warehouse", ["centralId"])
        async with info.context.loaders.lock:
            proposals = await propose_grids(info.context.session, central)
        return [
            GridProposalType(
                pickup_point_id=strawberry.ID(encode("PickupPoint", p.pickup_point_id)),
                grid_warehouse_id=(
                    None if p.grid_id is None else strawberry.ID(encode("Warehouse", p.grid_id))
                ),
                distance_m=p.distance_m,
            )
            for p in proposals
        ]
