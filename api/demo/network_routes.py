"""The morning's plans in two tiers: the dispatcher plans the central's own
points and the trunk to the grids side by side (the planning job, as the
single-tier demo does), publishes both, then plans every grid's last mile,
whose vans wait for the published trunk (``trunkReadyAt``), and publishes
each. Every route of every plan is given a driver."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.context import Day
from api.demo.network_region import GridNetwork
from api.demo.routes import publish_and_assign
from api.demo.steps import Bar
from api.job_runs import ProgressCallback, run_queued
from fulfilment.routing.drivers import assign_driver
from fulfilment.routing.jobs import PLAN_ROUTES, planning_payload
from fulfilment.routing.models import PlanKind, Route, RoutePlan
from fulfilment.routing.plans import request_plan
from fulfilment.routing.publishing import publish_plan
from fulfilment.routing.trunk import trunk_demand
from kernel.accounts import Role, User, create_user
from kernel.db import unit_of_work
from kernel.jobs.service import enqueue


@dataclass
class TierPlans:
    """The day's published plans: the central's own, the trunk, each grid's."""

    own: RoutePlan
    trunk: RoutePlan
    grids: dict[int, RoutePlan] = field(default_factory=dict)  # grid warehouse id -> plan


async def plan_job(
    day: Day,
    warehouse_id: int,
    kind: PlanKind,
    time_limit_s: int,
    on_progress: ProgressCallback | None = None,
) -> RoutePlan:
    """``routePlanCreate`` (with its ``kind``) run here, as
    ``api.job_runs.plan_routes_now`` runs a delivery plan: the PLANNING plan
    and its job in one transaction, then the job to its end; the DRAFT."""
    async with unit_of_work(day.sessions) as session:
        by = await session.get(User, day.region.dispatcher_id)
        assert by is not None
        plan = await request_plan(
            session,
            warehouse_id,
            day.timeline.delivery_date,
            time_limit_s=time_limit_s,
            zone=day.settings.zone,
            by=by,
            kind=kind,
        )
        job, _ = await enqueue(
            session, PLAN_ROUTES, planning_payload(plan.id, day.settings), created_by_id=by.id
        )
        plan.job_id = job.id
    await run_queued(day.sessions, job.id, on_progress)
    async with day.sessions() as session:
        planned = await session.get(RoutePlan, plan.id)
    assert planned is not None
    return planned


def shares(bar: Bar, count: int) -> list[ProgressCallback]:
    """One progress callback per job run side by side, each its share of ``bar``."""
    done = [0.0] * count

    def reporter(index: int) -> ProgressCallback:
        def report(fraction: float, message: str) -> None:
            done[index] = fraction
            bar.set(sum(done) * 100, 100 * count, message)

        return report

    return [reporter(index) for index in range(count)]


def _km(plans: Sequence[RoutePlan]) -> str:
    return f"{sum(p.distance_m for p in plans) / 1000:,.1f} km"


async def plan_two_tiers(day: Day, network: GridNetwork, time_limit_s: int) -> TierPlans:
    """Plan, publish and staff the central's own plan, the trunk and the grids'."""
    central, steps = network.central_id, day.steps
    title = f"Route planning: the central's own points and the trunk (jobs, {time_limit_s} s)"
    with steps.step(title, total=200) as bar:
        # Each its own job, started together (as the night's schedule queues
        # them): the searches are bounded by the limit, not by one another.
        own_progress, trunk_progress = shares(bar, 2)
        own, trunk = await asyncio.gather(
            plan_job(day, central, PlanKind.DELIVERY, time_limit_s, own_progress),
            plan_job(day, central, PlanKind.TRUNK, time_limit_s, trunk_progress),
        )
        bar.note = (
            f"own: {own.vehicles_used} routes, {own.stops} stops, {_km([own])}; "
            f"trunk: {trunk.vehicles_used} trucks to {trunk.stops} grids, {_km([trunk])}"
        )
    # The trunk leaves first (04:30): published before the central's own plan.
    with steps.step("Trunk plan published, drivers given its trucks") as bar:
        trunk = await _publish(day, trunk, day.timeline.at(4, 15), "干线")
        bar.note = f"{trunk.vehicles_used} trunk drivers"
    own = await publish_and_assign(day, own)
    plans = TierPlans(own, trunk)
    async with day.sessions() as session:
        sent = [g for g, _, _ in await trunk_demand(session, central, day.timeline.delivery_date)]
    title = f"Last-mile planning: {len(sent)} grids (jobs, {time_limit_s} s)"
    with steps.step(title, total=100 * len(sent)) as bar:
        grid_plans = await asyncio.gather(
            *(
                plan_job(day, grid, PlanKind.DELIVERY, time_limit_s, progress)
                for grid, progress in zip(sent, shares(bar, len(sent)), strict=True)
            )
        )
        stops = sum(p.stops for p in grid_plans)
        bar.note = f"{sum(p.vehicles_used for p in grid_plans)} vans, {stops} stops"
        bar.note += f", {_km(grid_plans)}"
    with steps.step("Grids' plans published, drivers given their vans") as bar:
        for plan in grid_plans:
            short = network.grid(plan.warehouse_id).name.removeprefix("长沙")
            plans.grids[plan.warehouse_id] = await _publish(
                day, plan, day.timeline.at(5, 30), short.removesuffix("网格仓")
            )
        bar.note = f"{len(grid_plans)} plans, leaders told their arrival times"
    return plans


async def _publish(day: Day, plan: RoutePlan, now: datetime, crew: str) -> RoutePlan:
    """The dispatcher publishes ``plan`` at ``now`` and hires a driver of
    ``crew`` for each of its routes."""
    async with unit_of_work(day.sessions) as session:
        dispatcher = await session.get(User, day.region.dispatcher_id)
        assert dispatcher is not None
        plan = await publish_plan(
            session, plan.id, plan.version, by=dispatcher, now=now, zone=day.settings.zone
        )
        await _staff(session, day, plan.id, crew)
    return plan


async def _staff(session: AsyncSession, day: Day, plan_id: int, crew: str) -> None:
    routes = await session.scalars(
        select(Route).where(Route.plan_id == plan_id).order_by(Route.number)
    )
    for route in routes.all():
        driver, _ = await create_user(
            session,
            name=f"{crew}司机{route.number}号",
            role=Role.DRIVER,
            secret=day.settings.token_secret,
        )
        await assign_driver(session, route.id, driver.id)
