"""The planning job (routes.plan): read the day, search in a thread (the
search itself runs in worker processes), report progress while it runs,
store the plan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.routing.models import PlanKind, RoutePlan, RoutePlanStatus
from fulfilment.routing.plans import mark_failed, store_result
from fulfilment.routing.problem import (
    DayProblem,
    ProblemInputs,
    VehicleKey,
    build_problem,
    day_inputs,
    matrix_options,
    provider_from_options,
)
from fulfilment.routing.sites import sites_of
from fulfilment.routing.solver.problem import Plan, RoutingProblem
from fulfilment.routing.solver.solver import plan_routes
from fulfilment.routing.stored import StoredPlan, plan_inputs, stored_plan
from fulfilment.routing.trunk import trunk_inputs
from kernel.jobs.models import Job
from kernel.jobs.registry import JobContext, job_handler, on_abandoned
from kernel.settings import Settings

PLAN_ROUTES = "routes.plan"


POLL_S = 0.5


def planning_payload(plan_id: int, settings: Settings) -> dict[str, Any]:
    """The job's payload: the plan, and the settings the job needs to build
    the same matrices the API would."""
    return {"plan_id": plan_id, "timezone": settings.timezone, "matrix": matrix_options(settings)}


@dataclass(frozen=True)
class _Seed:
    """A re-optimised plan's starting routes: sites (pickup points, or a
    trunk plan's grids) per vehicle, in order, and which of them are locked."""

    routes: dict[VehicleKey, list[int]]
    locked: frozenset[int]

    @classmethod
    def of(cls, stored: StoredPlan) -> _Seed:
        routes = {(r.vehicle_type_id, r.vehicle_number): stored.sequence(r) for r in stored.routes}
        return cls(routes=routes, locked=stored.locked())

    def apply(self, day: DayProblem) -> None:
        problem = day.problem
        problem.initial_routes = {
            day.vehicle_index[key]: [day.stop_index[p] for p in points]
            for key, points in self.routes.items()
        }
        problem.locked = {
            vehicle: [s for s in stops if day.stops[s].site_id in self.locked]
            for vehicle, stops in problem.initial_routes.items()
        }
        problem.locked = {v: stops for v, stops in problem.locked.items() if stops}


@on_abandoned(PLAN_ROUTES)
async def _abandoned(session: AsyncSession, job: Job) -> None:
    """The planning worker died: the plan is FAILED, not PLANNING forever."""
    await mark_failed(session, int(job.payload["plan_id"]))


@job_handler(PLAN_ROUTES)
async def plan_route_plan(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Plan a PLANNING route plan; a failure leaves it FAILED."""
    plan_id = int(payload["plan_id"])
    try:
        return await _plan(ctx, plan_id, payload)
    except Exception:
        async with ctx.step() as session:
            await mark_failed(session, plan_id)
        raise


async def _plan(ctx: JobContext, plan_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    zone = ZoneInfo(payload["timezone"])
    seed: _Seed | None = None
    async with ctx.step() as session:
        plan = await session.get(RoutePlan, plan_id)
        if plan is None or plan.status is not RoutePlanStatus.PLANNING:
            return {"plan_id": plan_id, "skipped": "the plan is not waiting to be planned"}
        inputs: ProblemInputs
        if plan.parent_id is not None:
            # Re-optimised from its draft, whichever the kind: around its locked stops.
            stored = await stored_plan(session, plan.parent_id, sites_of(plan.kind))
            inputs = await plan_inputs(session, plan, stored, zone)
            seed = _Seed.of(stored)
        elif plan.kind is PlanKind.TRUNK:
            inputs = await trunk_inputs(session, plan.warehouse_id, plan.delivery_date, zone)
        else:
            inputs = await day_inputs(
                session, plan.warehouse_id, plan.delivery_date, zone, plan.trunk_ready_at
            )
        time_limit_s = plan.time_limit_s
    await ctx.report(0.02, f"{len(inputs.stops)} stops, {len(inputs.vehicles)} vehicles")
    day = await build_problem(inputs, provider_from_options(payload["matrix"]))
    if seed is not None:
        seed.apply(day)
    result = await _solve(ctx, day.problem, time_limit_s)
    async with ctx.step() as session:
        plan = await session.get(RoutePlan, plan_id, with_for_update=True)
        assert plan is not None
        await store_result(session, plan, day, result, locked=seed.locked if seed else frozenset())
        return {
            "plan_id": plan_id,
            "routes": plan.vehicles_used,
            "stops": plan.stops,
            "unserved": len(result.dropped),
            "distance_m": plan.distance_m,
            "cost_fen": plan.cost_fen,
        }


@dataclass
class _Progress:
    fraction: float = 0.0
    best: int | None = None


async def _solve(ctx: JobContext, problem: RoutingProblem, time_limit_s: int) -> Plan:
    """Run the blocking planner in a thread; the solver's progress callback
    only records the latest figures (it runs on that thread), and this loop
    hands them to the job every POLL_S."""
    latest = _Progress()

    def progress(fraction: float, best: int | None) -> None:
        latest.fraction, latest.best = fraction, best

    search = asyncio.ensure_future(
        asyncio.to_thread(plan_routes, problem, time_limit_s, progress=progress)
    )
    reported = -1.0
    while True:
        done, _ = await asyncio.wait({search}, timeout=POLL_S)
        if done:
            return search.result()
        if latest.fraction > reported:
            reported = latest.fraction
            await ctx.report(
                0.05 + 0.9 * reported,
                f"searching: {reported * time_limit_s:.0f} of {time_limit_s} s used",
            )
