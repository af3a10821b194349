"""Query fields of route planning: the fleet, a day's plans, and the
published routes drivers work from."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.ids import decode_argument
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import PLAN_READERS, can_see_plan
from api.graphql.routing.trunk import PlanKindEnum
from api.graphql.routing.types import (
    Fleet,
    RoutePlanType,
    RouteType,
    RoutingSettingsType,
    VehicleTypeType,
)
from api.graphql.routing.urls import NetworkDownloadUrls
from api.graphql.routing.visibility import require_plans_of
from fulfilment.routing.fleet import routing_settings_of, vehicle_types
from fulfilment.routing.models import PlanKind
from fulfilment.routing.plans import list_plans, plan_in_force
from fulfilment.routing.publishing import published_routes
from kernel.accounts import Role


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

    @strawberry.field(
        description="A warehouse's route plans for a delivery date, oldest first. A grid "
        "operator reads its own grid's (another warehouse: FORBIDDEN)."
    )
    async def route_plans(
        self,
        info: Info,
        warehouse_id: strawberry.ID,
        delivery_date: date,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RoutePlanType]:
        wid = _warehouse_id(warehouse_id)
        await require_plans_of(info, wid)  # a grid operator: its own grid's
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

    @strawberry.field(
        description="The plan a warehouse's day runs on: the published one of its kind, else "
        "the latest draft; null when there is neither. A grid operator reads its own grid's "
        "(another warehouse: FORBIDDEN)."
    )
    async def current_route_plan(
        self,
        info: Info,
        warehouse_id: strawberry.ID,
        delivery_date: date,
        kind: PlanKindEnum = PlanKind.DELIVERY,  # type: ignore[valid-type]
    ) -> RoutePlanType | None:
        wid = _warehouse_id(warehouse_id)
        viewer = await require_plans_of(info, wid)
        async with info.context.loaders.lock:
            plan = await plan_in_force(info.context.session, wid, delivery_date, kind)
        own = wid if viewer.role is Role.GRID_OPERATOR else None
        if plan is None or not can_see_plan(viewer, plan, own):
            return None  # a grid's trunk plan: the grid operator sees none
        return RoutePlanType.of(plan)

    @strawberry.field(
        description="Dispatchers: the downloads of a central warehouse's day, such as the "
        "picture of its trunk and its grids' van routes together."
    )
    def network_download_urls(
        self, info: Info, central_id: strawberry.ID, delivery_date: date
    ) -> NetworkDownloadUrls:
        info.context.require(*PLAN_READERS)
        central = decode_argument(central_id, "Warehouse", ["centralId"])
        return NetworkDownloadUrls.of(central, delivery_date)
