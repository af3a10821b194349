"""05:00 on the delivery date: the dispatcher plans the routes (the planning
job, with a modest time limit) and publishes the plan."""

from __future__ import annotations

from api.demo.context import Day
from api.demo.night import reporting
from api.job_runs import plan_routes_now
from fulfilment.routing.models import RoutePlan
from fulfilment.routing.publishing import publish_plan
from kernel.accounts import User
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
    return plan
