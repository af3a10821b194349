"""Running a job to its end in this process: the CLI's operator commands and
the demo queue a job like the API does, then run it here instead of waiting
for a worker, so the same handler does the work and the ``jobs`` table keeps
the record either way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.handlers import load_job_handlers
from fulfilment.routing.jobs import PLAN_ROUTES, planning_payload
from fulfilment.routing.models import RoutePlan
from fulfilment.routing.plans import request_plan
from kernel.accounts import User
from kernel.db import unit_of_work
from kernel.errors import NotFound
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from kernel.settings import Settings

ProgressCallback = Callable[[float, str], None]
POLL_S = 0.25


class JobFailed(Exception):
    """The job ran and failed; ``message`` is its recorded error."""

    def __init__(self, kind: str, error: str | None) -> None:
        # The recorded error starts with the exception's dotted class name.
        head, _, rest = (error or "no error recorded").partition(": ")
        reason = rest if rest and "." in head and " " not in head else (error or "")
        super().__init__(f"{kind} failed: {reason or 'no error recorded'}")


async def run_queued(
    sessions: async_sessionmaker[AsyncSession],
    job_id: int,
    on_progress: ProgressCallback | None = None,
) -> Job:
    """Run a queued job here and return its finished row; ``on_progress``
    hears the progress the handler reports while it runs."""
    load_job_handlers()
    running = asyncio.ensure_future(run_job(sessions, job_id))
    while True:
        done, _ = await asyncio.wait({running}, timeout=POLL_S)
        job = await _read(sessions, job_id)
        if on_progress is not None:
            on_progress(job.progress, job.message)
        if done:
            running.result()
            break
    if job.status is not JobStatus.SUCCEEDED:
        raise JobFailed(job.kind, job.error)
    return job


async def run_now(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    payload: dict[str, Any],
    *,
    created_by_id: int | None = None,
    key: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Queue a job of ``kind`` and run it here; its result. A job already
    finished under ``key`` is not run again: its result is returned."""
    load_job_handlers()
    async with unit_of_work(sessions) as session:
        job, _ = await enqueue(session, kind, payload, key=key, created_by_id=created_by_id)
    if job.status is JobStatus.QUEUED:
        job = await run_queued(sessions, job.id, on_progress)
    elif job.status is not JobStatus.SUCCEEDED:
        raise JobFailed(kind, job.error or f"the job is {job.status.value}")
    return dict(job.result or {})


async def _read(sessions: async_sessionmaker[AsyncSession], job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
    assert job is not None  # queued by us; jobs are never deleted while running
    return job


async def plan_routes_now(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    warehouse_id: int,
    day: date,
    *,
    time_limit_s: int,
    by_id: int,
    on_progress: ProgressCallback | None = None,
) -> RoutePlan:
    """``routePlanCreate`` run here: the PLANNING plan and its job in one
    transaction, then the planning job to its end; the DRAFT plan."""
    async with unit_of_work(sessions) as session:
        by = await session.get(User, by_id)
        if by is None:
            raise NotFound("User", ["by"])
        plan = await request_plan(
            session, warehouse_id, day, time_limit_s=time_limit_s, zone=settings.zone, by=by
        )
        job, _ = await enqueue(
            session, PLAN_ROUTES, planning_payload(plan.id, settings), created_by_id=by.id
        )
        plan.job_id = job.id
    await run_queued(sessions, job.id, on_progress)
    async with sessions() as session:
        planned = await session.get(RoutePlan, plan.id)
    assert planned is not None
    return planned
