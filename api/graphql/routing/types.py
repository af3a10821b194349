"""The fleet and route plans as dispatchers see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

import strawberry
from strawberry import relay

from api.graphql.campaigns.types import WarehouseType
from api.graphql.context import Info
from api.graphql.jobs.types import JobType
from api.graphql.leaders.types import PickupPointType
from api.graphql.nodes import visible_nodes
from api.graphql.permissions import can_see_plans
from api.graphql.routing.trunk import (
    PlanKindEnum,
    TrunkStopType,
    TrunkUnservedType,
    trunk_stops,
    trunk_unserved,
)
from api.graphql.routing.trunk_bound import StopAtRiskType, delay_minutes, trunk_bound
from api.graphql.routing.urls import RoutePlanUrls, RouteSheetUrls
from api.graphql.routing.visibility import stop_point, visible_plan_parts
from api.graphql.users import UserType
from fulfilment.routing.fleet import GRAMS_PER_KG
from fulfilment.routing.models import (
    Route,
    RoutePlan,
    RoutePlanStatus,
    RouteStop,
    RoutingSettings,
    UnservedStop,
    VehicleType,
)
from fulfilment.routing.solver.problem import DropReason

RoutePlanStatusEnum = strawberry.enum(RoutePlanStatus, name="RoutePlanStatus")


UnservedReasonEnum = strawberry.enum(
    DropReason,
    name="UnservedReason",
    description="TOO_HEAVY: more than any vehicle carries; WINDOW_UNREACHABLE: no vehicle "
    "can arrive inside the receiving window within its shift; NOT_ENOUGH_VEHICLES: the "
    "fleet could not fit it in.",
)


async def _pickup_point(info: Info, point_id: int) -> PickupPointType | None:
    return await stop_point(info, point_id)


@strawberry.type(name="VehicleType")
class VehicleTypeType(relay.Node):
    id: relay.NodeID[int]
    name: str
    capacity_kg: int
    capacity_totes: int
    count: int = strawberry.field(description="How many the warehouse has; 0 retires the type.")
    fixed_cost_fen: int = strawberry.field(description="Cost of using one for a day.")
    cost_per_km_fen: int
    shift_start: time = strawberry.field(description="Local time the driver starts.")
    max_shift_minutes: int
    version: int = strawberry.field(
        description="Bumped by every edit; edits name the version they were made from."
    )
    trunk: bool = strawberry.field(
        default=False, description="A trunk truck (to grid warehouses), not a delivery vehicle."
    )

    @classmethod
    def of(cls, vehicle: VehicleType) -> VehicleTypeType:
        return cls(
            id=vehicle.id,
            name=vehicle.name,
            capacity_kg=vehicle.capacity_g // GRAMS_PER_KG,
            capacity_totes=vehicle.capacity_totes,
            count=vehicle.count,
            fixed_cost_fen=vehicle.fixed_cost_fen,
            cost_per_km_fen=vehicle.cost_per_km_fen,
            shift_start=vehicle.shift_start,
            max_shift_minutes=vehicle.max_shift_minutes,
            version=vehicle.version,
            trunk=vehicle.trunk,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[VehicleTypeType | None]:
        if not can_see_plans(info.context.viewer):
            return [None for _ in node_ids]
        return await visible_nodes(info.context.loaders.vehicle_type, node_ids, cls.of)


@strawberry.type(name="RoutingSettings", description="A warehouse's stop timings.")
class RoutingSettingsType:
    loading_minutes: int = strawberry.field(description="Loading before the vehicles leave.")
    stop_fixed_seconds: int = strawberry.field(description="Service time at every stop.")
    stop_per_tote_seconds: int = strawberry.field(description="Added per tote handed over.")

    @classmethod
    def of(cls, settings: RoutingSettings) -> RoutingSettingsType:
        return cls(
            loading_minutes=settings.loading_minutes,
            stop_fixed_seconds=settings.stop_fixed_s,
            stop_per_tote_seconds=settings.stop_per_tote_s,
        )


@strawberry.type
class Fleet:
    vehicle_types: list[VehicleTypeType]
    routing_settings: RoutingSettingsType


@strawberry.type(name="RouteStop")
class RouteStopType(relay.Node):
    id: relay.NodeID[int]
    position: int = strawberry.field(description="1 for the first stop of the route.")
    arrival_at: datetime
    service_start_at: datetime = strawberry.field(
        description="When the hand-over starts: the arrival, or the window opening."
    )
    departure_at: datetime
    weight_g: int
    totes: int
    load_weight_g_after: int = strawberry.field(description="Left on board after this stop.")
    load_totes_after: int
    locked: bool = strawberry.field(description="Kept on its vehicle and place by re-planning.")
    arrived_at: datetime | None = strawberry.field(description="Reported by the driver.")
    handed_over_at: datetime | None = strawberry.field(description="Reported by the driver.")
    pickup_point_id: strawberry.Private[int]

    @classmethod
    def of(cls, stop: RouteStop) -> RouteStopType:
        return cls(
            id=stop.id,
            position=stop.position,
            arrival_at=stop.arrival_at,
            service_start_at=stop.service_start_at,
            departure_at=stop.departure_at,
            weight_g=stop.weight_g,
            totes=stop.totes,
            load_weight_g_after=stop.load_g_after,
            load_totes_after=stop.totes_after,
            locked=stop.locked,
            arrived_at=stop.arrived_at,
            handed_over_at=stop.handed_over_at,
            pickup_point_id=stop.pickup_point_id,
        )

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        return await _pickup_point(info, self.pickup_point_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RouteStopType | None]:
        loader = info.context.loaders.route_stop
        return await visible_plan_parts(info, loader, node_ids, cls.of, lambda s: s.plan_id)


@strawberry.type(name="Route")
class RouteType(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="The route's number within its plan.")
    vehicle_number: int = strawberry.field(description="Which of its type's vehicles (1..count).")
    departure_at: datetime = strawberry.field(description="Leaves the warehouse, loaded.")
    return_at: datetime
    distance_m: int
    duration_s: int
    weight_g: int = strawberry.field(description="Loaded at the warehouse.")
    totes: int
    vehicle_type_id: strawberry.Private[int]
    plan_id: strawberry.Private[int]
    driver_id: strawberry.Private[int | None] = None

    @classmethod
    def of(cls, route: Route) -> RouteType:
        return cls(
            id=route.id,
            number=route.number,
            vehicle_number=route.vehicle_number,
            departure_at=route.departure_at,
            return_at=route.return_at,
            distance_m=route.distance_m,
            duration_s=int((route.return_at - route.departure_at).total_seconds()),
            weight_g=route.weight_g,
            totes=route.totes,
            vehicle_type_id=route.vehicle_type_id,
            plan_id=route.plan_id,
            driver_id=route.driver_id,
        )

    @strawberry.field
    def km(self) -> float:
        return round(self.distance_m / 1000, 1)

    @strawberry.field(description="The route sheet (CSV, PDF) and its loading detail (PDF).")
    def download_urls(self) -> RouteSheetUrls:
        return RouteSheetUrls.of(self.plan_id, self.number)

    @strawberry.field
    async def vehicle_type(self, info: Info) -> VehicleTypeType | None:
        vehicle = await info.context.loaders.vehicle_type.load(self.vehicle_type_id)
        return None if vehicle is None else VehicleTypeType.of(vehicle)

    @strawberry.field(description="The driver the dispatcher gave this route, once published.")
    async def driver(self, info: Info) -> UserType | None:
        if self.driver_id is None:
            return None
        user = await info.context.loaders.user.load(self.driver_id)
        return None if user is None else UserType.of(user)

    @strawberry.field(description="In the order the vehicle visits them.")
    async def stops(self, info: Info) -> list[RouteStopType]:
        stops = await info.context.loaders.route_stops.load(self.id)
        return [RouteStopType.of(s) for s in sorted(stops, key=lambda s: s.position)]

    @strawberry.field
    async def plan(self, info: Info) -> RoutePlanType | None:
        plan = await info.context.loaders.route_plan.load(self.plan_id)
        return None if plan is None else RoutePlanType.of(plan)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RouteType | None]:
        loader = info.context.loaders.route
        return await visible_plan_parts(info, loader, node_ids, cls.of, lambda r: r.plan_id)


@strawberry.type(name="UnservedStop", description="A pickup point with goods the plan leaves out.")
class UnservedStopType:
    reason: UnservedReasonEnum  # type: ignore[valid-type]
    weight_g: int
    totes: int
    pickup_point_id: strawberry.Private[int]

    @classmethod
    def of(cls, unserved: UnservedStop) -> UnservedStopType:
        return cls(
            reason=unserved.reason,
            weight_g=unserved.weight_g,
            totes=unserved.totes,
            pickup_point_id=unserved.pickup_point_id,
        )

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        return await _pickup_point(info, self.pickup_point_id)


@strawberry.type(name="RoutePlan")
class RoutePlanType(relay.Node):
    id: relay.NodeID[int]
    delivery_date: date
    status: RoutePlanStatusEnum  # type: ignore[valid-type]
    version: int = strawberry.field(description="Give it back with each edit; bumped by each.")
    time_limit_seconds: int
    distance_m: int
    duration_s: int = strawberry.field(description="All routes' durations together.")
    cost_fen: int = strawberry.field(description="Fixed costs of the vehicles used plus km costs.")
    vehicles_used: int
    stop_count: int = strawberry.field(description="Stops on routes.")
    first_solution_seconds: float | None
    solve_seconds: float | None
    created_at: datetime
    published_at: datetime | None
    kind: PlanKindEnum  # type: ignore[valid-type]
    planned_trunk_ready_at: datetime | None = strawberry.field(
        description="A grid warehouse's plan: when the trunk's goods are unloaded there, as "
        "the central's trunk plan had it when this plan was made (its vans leave no earlier); "
        "null on a grid's plan: made before any trunk plan served the grid."
    )
    warehouse_id: strawberry.Private[int]
    job_id: strawberry.Private[int | None]
    parent_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, plan: RoutePlan) -> RoutePlanType:
        return cls(
            id=plan.id,
            delivery_date=plan.delivery_date,
            status=plan.status,
            version=plan.version,
            time_limit_seconds=plan.time_limit_s,
            distance_m=plan.distance_m,
            duration_s=plan.duration_s,
            cost_fen=plan.cost_fen,
            vehicles_used=plan.vehicles_used,
            stop_count=plan.stops,
            first_solution_seconds=plan.first_solution_s,
            solve_seconds=plan.solve_s,
            created_at=plan.created_at,
            published_at=plan.published_at,
            kind=plan.kind,
            planned_trunk_ready_at=plan.trunk_ready_at,
            warehouse_id=plan.warehouse_id,
            job_id=plan.job_id,
            parent_id=plan.parent_id,
        )

    @strawberry.field
    def km(self) -> float:
        return round(self.distance_m / 1000, 1)

    @strawberry.field(
        description="A grid warehouse's plan: when the trunk's goods are unloaded there now, "
        "by the central's trunk plan in force (published, else latest draft); null when none "
        "serves the grid, and on other plans."
    )
    async def trunk_ready_at(self, info: Info) -> datetime | None:
        bound = await trunk_bound(info, self.id)
        return None if bound is None else bound.current

    @strawberry.field(
        description="trunkReadyAt less plannedTrunkReadyAt, in minutes (rounded up): positive, "
        "the trunk now unloads that much later than this plan assumed; null when either is."
    )
    async def trunk_delay_minutes(self, info: Info) -> int | None:
        return delay_minutes(await trunk_bound(info, self.id))

    @strawberry.field(
        description="A grid's plan: the stops whose receiving window would be missed now that "
        "the trunk unloads at trunkReadyAt (each van leaves no earlier than it, plus loading); "
        "by route and position. Plan the grid again to start from the new time."
    )
    async def stops_at_risk(self, info: Info) -> list[StopAtRiskType]:
        bound = await trunk_bound(info, self.id)
        return [] if bound is None else [StopAtRiskType.of(s) for s in bound.stops_at_risk]

    @strawberry.field(description="The plan's picture (SVG).")
    def download_urls(self) -> RoutePlanUrls:
        return RoutePlanUrls.of(self.id)

    @strawberry.field
    async def routes(self, info: Info) -> list[RouteType]:
        routes = await info.context.loaders.plan_routes.load(self.id)
        return [RouteType.of(r) for r in sorted(routes, key=lambda r: r.number)]

    @strawberry.field(description="Pickup points with goods that no route serves, and why.")
    async def unserved_stops(self, info: Info) -> list[UnservedStopType]:
        return [
            UnservedStopType.of(u) for u in await info.context.loaders.plan_unserved.load(self.id)
        ]

    @strawberry.field(description="A trunk plan's grid warehouses, by route and position.")
    async def trunk_stops(self, info: Info) -> list[TrunkStopType]:
        return await trunk_stops(info, self.id)

    @strawberry.field(description="Grid warehouses with goods that no trunk route serves.")
    async def unserved_grids(self, info: Info) -> list[TrunkUnservedType]:
        return await trunk_unserved(info, self.id)

    @strawberry.field(description="The planning job: progress while PLANNING, error if FAILED.")
    async def job(self, info: Info) -> JobType | None:
        job = None if self.job_id is None else await info.context.loaders.job.load(self.job_id)
        return None if job is None else JobType.of(job)

    @strawberry.field(description="The plan this one re-optimised.")
    async def parent(self, info: Info) -> RoutePlanType | None:
        parent = (
            None
            if self.parent_id is None
            else await info.context.loaders.route_plan.load(self.parent_id)
        )
        return None if parent is None else RoutePlanType.of(parent)

    @strawberry.field
    async def warehouse(self, info: Info) -> WarehouseType | None:
        warehouse = await info.context.loaders.warehouse.load(self.warehouse_id)
        return None if warehouse is None else WarehouseType.of(warehouse)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RoutePlanType | None]:
        loader = info.context.loaders.route_plan
        return await visible_plan_parts(info, loader, node_ids, cls.of, lambda p: p.id)
