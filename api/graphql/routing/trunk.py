"""The trunk (干线) in the API: a trunk plan's stops are grid warehouses
(fulfilment/routing/trunk.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from api.graphql.campaigns.types import WarehouseType
from api.graphql.context import Info
from fulfilment.routing.models import PlanKind, Route, TrunkStop, TrunkUnserved
from fulfilment.routing.solver.problem import DropReason

PlanKindEnum = strawberry.enum(
    PlanKind,
    name="RoutePlanKind",
    description="DELIVERY: a warehouse's vehicles to pickup points; TRUNK: a central "
    "warehouse's trunk trucks to its grid warehouses (干线).",
)
TrunkDropEnum = strawberry.enum(DropReason, name="TrunkUnservedReason")


async def _warehouse(info: Info, warehouse_id: int) -> WarehouseType | None:
    warehouse = await info.context.loaders.warehouse.load(warehouse_id)
    return None if warehouse is None else WarehouseType.of(warehouse)


@strawberry.type(name="TrunkStop", description="A grid warehouse's place in a trunk route.")
class TrunkStopType:
    route_number: int
    position: int
    arrival_at: datetime
    service_start_at: datetime
    departure_at: datetime = strawberry.field(
        description="Unloaded and gone: the grid's vans may leave from then on."
    )
    weight_g: int
    handling_units: int = strawberry.field(description="Cases and totes unloaded here.")
    locked: bool = strawberry.field(
        description="Kept on its truck and place by re-planning (routePlanStopLock, gridIds)."
    )
    grid_id: strawberry.Private[int]

    @strawberry.field
    async def grid_warehouse(self, info: Info) -> WarehouseType | None:
        return await _warehouse(info, self.grid_id)


@strawberry.type(name="TrunkUnserved", description="A grid warehouse the trunk plan leaves out.")
class TrunkUnservedType:
    reason: TrunkDropEnum  # type: ignore[valid-type]
    weight_g: int
    handling_units: int
    grid_id: strawberry.Private[int]

    @strawberry.field
    async def grid_warehouse(self, info: Info) -> WarehouseType | None:
        return await _warehouse(info, self.grid_id)


async def trunk_stops(info: Info, plan_id: int) -> list[TrunkStopType]:
    """The plan's trunk stops by route number, then position."""
    async with info.context.loaders.lock:  # the session is shared with sibling fields
        rows = await info.context.session.execute(
            select(Route.number, TrunkStop)
            .join(Route, Route.id == TrunkStop.route_id)
            .where(TrunkStop.plan_id == plan_id)
            .order_by(Route.number, TrunkStop.position)
        )
    return [
        TrunkStopType(
            route_number=number,
            position=stop.position,
            arrival_at=stop.arrival_at,
            service_start_at=stop.service_start_at,
            departure_at=stop.departure_at,
            weight_g=stop.weight_g,
            handling_units=stop.totes,
            locked=stop.locked,
            grid_id=stop.grid_id,
        )
        for number, stop in rows
    ]


async def trunk_unserved(info: Info, plan_id: int) -> list[TrunkUnservedType]:
    async with info.context.loaders.lock:  # the session is shared with sibling fields
        rows = (
            await info.context.session.scalars(
                select(TrunkUnserved)
                .where(TrunkUnserved.plan_id == plan_id)
                .order_by(TrunkUnserved.grid_id)
            )
        ).all()
    return [
        TrunkUnservedType(
            reason=u.reason, weight_g=u.weight_g, handling_units=u.totes, grid_id=u.grid_id
        )
        for u in rows
    ]
