"""The schedule (``night.schedule``, every minute) and the steps it starts.

Each step is a job under its own key (steps.py ``step_key``): of two workers
ticking at once, one inserts the job and one finds it, and only the one that
claims it (QUEUED → RUNNING) runs it, so a step never runs twice; a restart
finds the step's job done. The step runs inside the schedule's tick, as the
cutoff does inside its own, so the embedded default (no separate workers)
and PostgreSQL workers run the night alike."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fulfilment.night.steps import PLAN_STEP, SORT_STEP, TRUNK_STEP, Due, Times, due_steps
from fulfilment.purchasing.jobs import allocate_day
from fulfilment.routing.jobs import plan_route_plan, planning_payload
from fulfilment.routing.models import PlanKind, RoutePlan, RoutePlanStatus
from fulfilment.routing.plans import request_plan
from fulfilment.sorting.jobs import sort_warehouse_day
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.jobs.models import Job
from kernel.jobs.registry import JobContext, job_handler, on_abandoned, periodic
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from kernel.settings import Settings

SCHEDULE = "night.schedule"
# Sorting, then the central's and trunk plans, then the grids' plans of
# one day can all come due in one tick.
ROUNDS = 4

periodic(SCHEDULE, every_s=60)


def times_of(settings: Settings) -> Times:
    """When the night's steps are due, from the platform's settings."""
    return Times(
        zone=settings.zone,
        sort_latest=settings.night_sort_latest,
        plan_at=settings.night_plan_at,
        catch_up_days=settings.night_catch_up_days,
    )


def _payload(step: Due, settings: Settings) -> dict[str, Any]:
    day = {"warehouse_id": step.warehouse_id, "delivery_date": step.delivery_date.isoformat()}
    if step.step == SORT_STEP:
        return {**day, "tote_volume_ml": settings.tote_volume_ml}
    return {**day, "time_limit_s": settings.routing_time_limit_s}


async def _run_step(
    sessions: async_sessionmaker[AsyncSession], step: Due, settings: Settings
) -> str:
    """Start the step's job under its key and run it here if this worker
    claims it; returns what became of it."""
    async with unit_of_work(sessions) as session:
        job, _ = await enqueue(session, step.step, _payload(step, settings), key=step.key)
        job_id = job.id
    status = await run_job(sessions, job_id, settings)
    return "run elsewhere" if status is None else status.value


@job_handler(SCHEDULE)
async def run_schedule(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every minute: start each of the night's steps that is due, in order,
    and say which wait and why (shown in the job list)."""
    settings = ctx.settings
    times = times_of(settings)
    ran: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        async with ctx.step() as session:
            due, waits = await due_steps(session, utcnow(), times)
        waiting = [
            {
                "step": w.step,
                "warehouse_id": w.warehouse_id,
                "delivery_date": w.delivery_date.isoformat(),
                "reason": w.reason,
            }
            for w in waits
        ]
        if not due:
            break
        for step in due:
            outcome = await _run_step(ctx.sessions, step, settings)
            ran.append({"key": step.key, "outcome": outcome, "caught_up": step.late})
            await ctx.report(0.5, f"{step.key}: {outcome}" + (" (caught up)" if step.late else ""))
    summary = f"{len(ran)} step(s) run, {len(waiting)} waiting"
    await ctx.report(1.0, summary)
    return {"ran": ran, "waiting": waiting}


async def _schedule_again(session: AsyncSession, step: Job) -> None:
    """A step's worker died: the schedule runs again as soon as the sweep
    has failed the step, and starts its next attempt. Its own run was most
    likely abandoned with the step and run again already, but a schedule's
    heartbeat is older than its step's progress, so that rerun can come
    first, find the step still RUNNING, and leave it to the next minute."""
    # One rerun per abandoned attempt, however many sweeps see it.
    key = f"{SCHEDULE}/after-{step.key}#{step.attempts}"
    await enqueue(session, SCHEDULE, {"after": step.key}, key=key)


for _step in (SORT_STEP, PLAN_STEP, TRUNK_STEP):
    on_abandoned(_step)(_schedule_again)


@job_handler(SORT_STEP)
async def sort_night(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Shortage allocation, then sorting, for one warehouse's delivery date."""
    allocated = await allocate_day(ctx, payload)
    sorted_ = await sort_warehouse_day(ctx, payload)
    return {"allocation": allocated, "sorting": sorted_}


def _left_by_a_dead_run(plan: RoutePlan) -> bool:
    """A plan the schedule requested (no person) still waiting to be planned:
    only this step's earlier attempt makes those, and the step runs once at
    a time, so no live run is planning it."""
    return plan.created_by_id is None and plan.status is RoutePlanStatus.PLANNING


@job_handler(PLAN_STEP)
async def plan_night(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """A draft route plan for the dispatcher (not published), unless the day
    has a plan already or nothing to plan."""
    return await _plan_kind(ctx, payload, PlanKind.DELIVERY)


@job_handler(TRUNK_STEP)
async def plan_trunk_night(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """A draft trunk plan (the central's trucks to its grids), likewise."""
    return await _plan_kind(ctx, payload, PlanKind.TRUNK)


async def _plan_kind(ctx: JobContext, payload: dict[str, Any], kind: PlanKind) -> dict[str, Any]:
    settings = ctx.settings
    warehouse_id = int(payload["warehouse_id"])
    day = date.fromisoformat(payload["delivery_date"])
    async with ctx.step() as session:
        existing = await session.scalar(
            select(RoutePlan)
            .where(
                RoutePlan.warehouse_id == warehouse_id,
                RoutePlan.delivery_date == day,
                RoutePlan.kind == kind,
            )
            .order_by(RoutePlan.id.desc())
            .limit(1)
        )
        if existing is not None and not _left_by_a_dead_run(existing):
            return {"skipped": "the day has a route plan already", "plan_id": existing.id}
    if existing is not None:
        # This step's own plan, requested by an attempt whose worker died
        # before it was planned: plan it now rather than leave it PLANNING.
        result = await plan_route_plan(ctx, planning_payload(existing.id, settings))
        return {"plan_id": existing.id, "resumed": True, **(result or {})}
    async with ctx.step() as session:
        try:
            plan = await request_plan(
                session,
                warehouse_id,
                day,
                time_limit_s=int(payload["time_limit_s"]),
                zone=settings.zone,
                by=None,
                kind=kind,
            )
        except DomainError as refused:
            return {"skipped": refused.message}
        plan_id = plan.id
    result = await plan_route_plan(ctx, planning_payload(plan_id, settings))
    return {"plan_id": plan_id, **(result or {})}
