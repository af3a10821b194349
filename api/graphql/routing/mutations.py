"""Route planning mutations: the fleet (vehicleTypeCreate,
vehicleTypeUpdate, routingSettingsSet), plans (routePlanCreate,
routePlanReoptimize, routePlanPublish); a dispatcher's edits
(routePlanStopMove, routePlanStopLock) are in stop_edits.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import date, time
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.jobs.mutations import queue_in_transaction
from api.graphql.jobs.types import JobType
from api.graphql.permissions import PLAN_READERS
from api.graphql.routing.stop_edits import (
    RoutePlanPayload,
    plan_payload,
)
from api.graphql.routing.stop_edits import (
    route_plan_stop_lock as route_plan_stop_lock,  # schema.py finds them here
)
from api.graphql.routing.stop_edits import (
    route_plan_stop_move as route_plan_stop_move,
)
from api.graphql.routing.trunk import PlanKindEnum
from api.graphql.routing.types import RoutePlanType, RoutingSettingsType, VehicleTypeType
from api.graphql.transactions import in_transaction
from fulfilment.routing import fleet
from fulfilment.routing.fleet_editing import edit_vehicle_type
from fulfilment.routing.jobs import PLAN_ROUTES, planning_payload
from fulfilment.routing.models import PlanKind, RoutePlan, RoutingSettings, VehicleType
from fulfilment.routing.plans import request_plan, request_reoptimisation
from fulfilment.routing.publishing import publish_plan
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.jobs.models import Job
from kernel.jobs.service import enqueue
from kernel.notifications import gateway_from


@strawberry.input
class VehicleTypeCreateInput:
    warehouse_id: strawberry.ID
    name: str
    capacity_kg: int
    capacity_totes: int
    count: int
    fixed_cost_fen: int = strawberry.field(description="Cost of using one vehicle for a day.")
    cost_per_km_fen: int
    shift_start: time = strawberry.field(description="Local time the driver starts.")
    max_shift_minutes: int
    trunk: bool = strawberry.field(
        default=False,
        description="A central warehouse's trunk truck to its grid warehouses: trunk plans "
        "use only these, delivery plans never.",
    )


@strawberry.input(description="Only the fields given change.")
class VehicleTypeUpdateInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version the edit was made from; another edit since: STALE. "
        "Leave out to edit whatever is current.",
    )
    name: str | None = None
    capacity_kg: int | None = None
    capacity_totes: int | None = None
    count: int | None = strawberry.field(default=None, description="0 retires the type.")
    fixed_cost_fen: int | None = None
    cost_per_km_fen: int | None = None
    shift_start: time | None = None
    max_shift_minutes: int | None = None
    trunk: bool | None = None


@strawberry.type
class VehicleTypePayload:
    vehicle_type: VehicleTypeType | None
    user_errors: list[UserError]


def _payload(found: VehicleType | None, errors: list[UserError]) -> VehicleTypePayload:
    return VehicleTypePayload(
        vehicle_type=None if found is None else VehicleTypeType.of(found), user_errors=errors
    )


async def vehicle_type_create(info: Info, input: VehicleTypeCreateInput) -> VehicleTypePayload:
    """Add a vehicle type to a warehouse's fleet."""
    info.context.require(Role.OPERATOR)
    draft = fleet.VehicleTypeDraft(
        **{f.name: getattr(input, f.name) for f in fields(fleet.VehicleTypeDraft)}
    )

    async def work(session: AsyncSession) -> VehicleType:
        warehouse_id = decode(input.warehouse_id, "Warehouse", ["warehouseId"])
        return await fleet.create_vehicle_type(session, warehouse_id, draft)

    return _payload(*await in_transaction(info.context, work))


async def vehicle_type_update(info: Info, input: VehicleTypeUpdateInput) -> VehicleTypePayload:
    """Change a vehicle type; plans already made keep what they planned."""
    operator = info.context.require(Role.OPERATOR)
    changes: dict[str, Any] = {
        f.name: getattr(input, f.name)
        for f in fields(fleet.VehicleTypeDraft)
        if getattr(input, f.name) is not None
    }

    async def work(session: AsyncSession) -> VehicleType:
        vehicle_type_id = decode(input.id, "VehicleType", ["id"])
        return await edit_vehicle_type(
            session,
            vehicle_type_id,
            changes,
            expected_version=input.expected_version,
            actor_id=operator.id,
            now=utcnow(),
        )

    return _payload(*await in_transaction(info.context, work))


@strawberry.input
class RoutingSettingsSetInput:
    warehouse_id: strawberry.ID
    loading_minutes: int = strawberry.field(description="Loading before the vehicles leave.")
    stop_fixed_seconds: int = strawberry.field(description="Service time at every stop.")
    stop_per_tote_seconds: int = strawberry.field(description="Added per tote handed over.")


@strawberry.type
class RoutingSettingsSetPayload:
    routing_settings: RoutingSettingsType | None
    user_errors: list[UserError]


async def routing_settings_set(
    info: Info, input: RoutingSettingsSetInput
) -> RoutingSettingsSetPayload:
    """Set a warehouse's loading time and stop service times."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> RoutingSettings:
        return await fleet.set_routing_settings(
            session,
            decode(input.warehouse_id, "Warehouse", ["warehouseId"]),
            loading_minutes=input.loading_minutes,
            stop_fixed_s=input.stop_fixed_seconds,
            stop_per_tote_s=input.stop_per_tote_seconds,
        )

    found, errors = await in_transaction(info.context, work)
    return RoutingSettingsSetPayload(
        routing_settings=None if found is None else RoutingSettingsType.of(found),
        user_errors=errors,
    )


TIME_LIMIT = "Seconds the solver may search (1 to 600); the settings' default if left out."


def _time_limit(info: Info, given: int | None) -> int:
    return info.context.settings.routing_time_limit_s if given is None else given


@strawberry.input
class RoutePlanCreateInput:
    warehouse_id: strawberry.ID
    delivery_date: date
    time_limit_seconds: int | None = strawberry.field(default=None, description=TIME_LIMIT)
    kind: PlanKindEnum = strawberry.field(  # type: ignore[valid-type]
        default=PlanKind.DELIVERY,
        description="TRUNK: the central warehouse's trunk trucks to its grid warehouses, "
        "after stage-one sorting.",
    )


@strawberry.type
class RoutePlanStartPayload:
    route_plan: RoutePlanType | None = strawberry.field(description="PLANNING until the job ends.")
    job: JobType | None
    user_errors: list[UserError]


async def _start(
    info: Info, make: Callable[[AsyncSession], Awaitable[RoutePlan]]
) -> RoutePlanStartPayload:
    """Create the plan row and queue its planning job in one transaction."""
    ctx = info.context

    async def work(session: AsyncSession) -> tuple[tuple[RoutePlan, Job], Job]:
        plan = await make(session)
        job, _ = await enqueue(
            session,
            PLAN_ROUTES,
            planning_payload(plan.id, ctx.settings),
            created_by_id=ctx.require().id,
        )
        plan.job_id = job.id
        return (plan, job), job

    started, errors = await queue_in_transaction(info, work)
    if started is None:
        return RoutePlanStartPayload(route_plan=None, job=None, user_errors=errors)
    plan, job = started
    return RoutePlanStartPayload(
        route_plan=RoutePlanType.of(plan), job=JobType.of(job), user_errors=[]
    )


async def route_plan_create(info: Info, input: RoutePlanCreateInput) -> RoutePlanStartPayload:
    """Plan a warehouse's delivery date from its sorted loads, as a job."""
    ctx = info.context
    viewer = ctx.require(*PLAN_READERS)

    async def make(session: AsyncSession) -> RoutePlan:
        return await request_plan(
            session,
            decode(input.warehouse_id, "Warehouse", ["warehouseId"]),
            input.delivery_date,
            time_limit_s=_time_limit(info, input.time_limit_seconds),
            zone=ctx.settings.zone,
            by=viewer,
            kind=input.kind,
        )

    return await _start(info, make)


@strawberry.input
class RoutePlanReoptimizeInput:
    plan_id: strawberry.ID
    version: int
    time_limit_seconds: int | None = strawberry.field(default=None, description=TIME_LIMIT)


async def route_plan_reoptimize(
    info: Info, input: RoutePlanReoptimizeInput
) -> RoutePlanStartPayload:
    """Re-plan a draft into a new draft, keeping its locked stops on their
    vehicles and in their places; the draft itself is left as it is."""
    ctx = info.context
    viewer = ctx.require(*PLAN_READERS)

    async def make(session: AsyncSession) -> RoutePlan:
        return await request_reoptimisation(
            session,
            decode(input.plan_id, "RoutePlan", ["planId"]),
            input.version,
            time_limit_s=_time_limit(info, input.time_limit_seconds),
            by=viewer,
        )

    return await _start(info, make)


@strawberry.input
class RoutePlanPublishInput:
    plan_id: strawberry.ID
    version: int


async def route_plan_publish(info: Info, input: RoutePlanPublishInput) -> RoutePlanPayload:
    """Publish a draft: frozen from now on, and each leader on it is told
    when the truck is expected."""
    ctx = info.context
    viewer = ctx.require(*PLAN_READERS)

    async def work(session: AsyncSession) -> RoutePlan:
        return await publish_plan(
            session,
            decode(input.plan_id, "RoutePlan", ["planId"]),
            input.version,
            by=viewer,
            now=utcnow(),
            zone=ctx.settings.zone,
            gateway=gateway_from(ctx.settings),
        )

    return plan_payload(*await in_transaction(ctx, work))
