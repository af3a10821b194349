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
        grid_id = await operated_grid(session, viewer.id)
        central = await session.scalar(
            select(GridWarehouse.central_id).where(GridWarehouse.warehouse_id == grid_id)
        )
        if central is None:
            return None
        return next(
            (
                GridWarehouseType.of_grid(g)
                for g in await grids_of(session, central)
                if g.grid.warehouse_id == grid_id
            ),
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
