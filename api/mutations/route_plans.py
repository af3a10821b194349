"""routePlanCreate, routePlanReoptimize (both start the planning job) and
routePlanPublish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.ids import decode
from api.mutations.base import in_transaction
from api.mutations.jobs import queue_in_transaction
from api.types.jobs import JobType
from api.types.routing import PLAN_READERS, RoutePlanType
from fulfilment.routing.jobs import PLAN_ROUTES, planning_payload
from fulfilment.routing.models import RoutePlan
from fulfilment.routing.plans import request_plan, request_reoptimisation
from fulfilment.routing.publishing import publish_plan
from kernel.clock import utcnow
from kernel.jobs.models import Job
from kernel.jobs.service import enqueue
from kernel.notifications import gateway_from

TIME_LIMIT = "Seconds the solver may search (1 to 600); the settings' default if left out."


def _time_limit(info: Info, given: int | None) -> int:
    return info.context.settings.routing_time_limit_s if given is None else given


@strawberry.input
class RoutePlanCreateInput:
    warehouse_id: strawberry.ID
    delivery_date: date
    time_limit_seconds: int | None = strawberry.field(default=None, description=TIME_LIMIT)


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


@strawberry.type
class RoutePlanPayload:
    route_plan: RoutePlanType | None
    user_errors: list[UserError]


def plan_payload(plan: RoutePlan | None, errors: list[UserError]) -> RoutePlanPayload:
    return RoutePlanPayload(
        route_plan=None if plan is None else RoutePlanType.of(plan), user_errors=errors
    )


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
