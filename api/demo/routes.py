"""05:00 on the delivery date: the dispatcher plans the routes (the planning
job, with a modest time limit), publishes the plan and gives each route a
driver."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.context import Day
from api.demo.night import reporting
from api.job_runs import plan_routes_now
from fulfilment.routing.drivers import assign_driver
from fulfilment.routing.models import Route, RoutePlan
from fulfilment.routing.publishing import publish_plan
from kernel.accounts import Role, User, create_user
from kernel.db import unit_of_work


async def plan_and_publish(day: Day, time_limit_s: int) -> RoutePlan:
    """The published plan of the demo's delivery date."""
    sessions, settings, region, timeline = day.sessions, day.settings, day.region, day.timeline
    with day.steps.step(f"Route planning (job, {time_limit_s} s limit)", total=100) as bar:
        plan = await plan_routes_now(
            sessions,
            settings,
            region.warehouse_id,
            timeline.delivery_date,
            time_limit_s=time_limit_s,
            by_id=region.dispatcher_id,
            on_progress=reporting(bar),
        )
        bar.note = (
            f"{plan.vehicles_used} routes, {plan.stops} stops, {plan.distance_m / 1000:,.1f} km"
        )
    return await publish_and_assign(day, plan)


async def publish_and_assign(day: Day, plan: RoutePlan) -> RoutePlan:
    """The dispatcher publishes ``plan`` at 05:30 and gives each route a driver."""
    sessions, settings, region, timeline = day.sessions, day.settings, day.region, day.timeline
    with day.steps.step("Publishing the plan") as bar:
        async with unit_of_work(sessions) as session:
            dispatcher = await session.get(User, region.dispatcher_id)
            assert dispatcher is not None
            plan = await publish_plan(
                session,
                plan.id,
                plan.version,
                by=dispatcher,
                now=timeline.at(5, 30),
                zone=settings.zone,
            )
        bar.note = "leaders told their arrival times"
    with day.steps.step("Drivers given their routes") as bar:
        async with unit_of_work(sessions) as session:
            bar.note = f"{await _give_routes(session, plan.id, day)} drivers"
    return plan


async def _give_routes(session: AsyncSession, plan_id: int, day: Day) -> int:
    """The region's driver takes route 1; a driver is hired for each other."""
    routes = (
        await session.scalars(select(Route).where(Route.plan_id == plan_id).order_by(Route.number))
    ).all()
    for route in routes:
        driver_id = day.region.driver_id
        if route.number > 1:
            driver, _ = await create_user(
                session,
                name=f"司机{route.number}号",
                role=Role.DRIVER,
                secret=day.settings.token_secret,
            )
            driver_id = driver.id
        await assign_driver(session, route.id, driver_id)
    return len(routes)
