"""Query fields of route planning: the fleet, a day's plans, and the
published routes drivers work from."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.ids import decode_argument
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import PLAN_READERS
from api.graphql.routing.trunk import PlanKindEnum
from api.graphql.routing.types import (
    Fleet,
    RoutePlanType,
    RouteType,
    RoutingSettingsType,
    VehicleTypeType,
)
from fulfilment.routing.fleet import routing_settings_of, vehicle_types
from fulfilment.routing.models import PlanKind
from fulfilment.routing.plans import list_plans
from fulfilment.routing.publishing import published_routes


def _warehouse_id(raw: strawberry.ID) -> int:
    return decode_argument(raw, "Warehouse", ["warehouseId"])


@strawberry.type
class RoutingQuery:
    @strawberry.field(description="A warehouse's vehicle types and stop timings.")
    async def fleet(self, info: Info, warehouse_id: strawberry.ID) -> Fleet:
        info.context.require(*PLAN_READERS)
        wid = _warehouse_id(warehouse_id)
        session = info.context.session
        async with info.context.loaders.lock:
            types = await vehicle_types(session, wid)
            settings = await routing_settings_of(session, wid)
        return Fleet(
            vehicle_types=[VehicleTypeType.of(t) for t in types],
            routing_settings=RoutingSettingsType.of(settings),
        )

    @strawberry.field(description="A warehouse's route plans for a delivery date, oldest first.")
    async def route_plans(
        self,
        info: Info,
        warehouse_id: strawberry.ID,
        delivery_date: date,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RoutePlanType]:
        info.context.require(*PLAN_READERS)
        wid = _warehouse_id(warehouse_id)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_plans(
                info.context.session, wid, delivery_date, after_id=after_id, limit=limit
            ),
            RoutePlanType.of,
        )

    @strawberry.field(
        description="Dispatchers: the routes of the day's published plan for a warehouse "
        "(its deliveries, or with kind TRUNK its trunk), with their stops and drivers; empty "
        "until a plan is published."
    )
    async def published_routes(
        self,
        info: Info,
        warehouse_id: strawberry.ID,
        delivery_date: date,
        kind: PlanKindEnum = PlanKind.DELIVERY,  # type: ignore[valid-type]
    ) -> list[RouteType]:
        info.context.require(*PLAN_READERS)
        wid = _warehouse_id(warehouse_id)
        async with info.context.loaders.lock:
            routes = await published_routes(info.context.session, wid, delivery_date, kind)
        return [RouteType.of(route) for route in routes]
