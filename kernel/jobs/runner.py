"""Running one job: claim it, run its handler, record the outcome."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import traceback
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.clock import machine_now, utcnow
from kernel.db import execute_counting, unit_of_work
from kernel.errors import DomainError
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import JobContext, abandon_hook_for, handler_for, periodic_kinds
from kernel.jobs.service import enqueue
from kernel.metrics import observe_job
from kernel.request_context import request_scope
from kernel.settings import Settings, get_settings

log = logging.getLogger(__name__)


def worker_name(pid: int | None = None) -> str:
    """A process of this host (this one by default) as a job's ``worker``
    names it: ``host:pid``. Asked at each claim, not kept: a forked worker
    has a pid of its own."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"[:120]


async def claim(sessions: async_sessionmaker[AsyncSession], job_id: int) -> Job | None:
    """Move a queued job to running; only one caller can win, on any number of
    workers, because the status check and the change are one UPDATE."""
    now = utcnow()
    async with unit_of_work(sessions) as session:
        claimed = await execute_counting(
            session,
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                attempts=Job.attempts + 1,
                started_at=now,
                heartbeat_at=machine_now(),
                worker=worker_name(),
            ),
        )
        if claimed != 1:
            return None
        return await session.get(Job, job_id)


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    job_id: int,
    status: JobStatus,
    **values: object,
) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
            .values(status=status, finished_at=utcnow(), heartbeat_at=machine_now(), **values)
        )


# Often enough that a dead worker's job is noticed within a minute
# (settings.job_stale_after_s).
HEARTBEAT_S = 10.0
# Beats per stale window: a beat late by a busy loop or a slow commit must
# still land well inside the window, or the sweep fails a live job.
BEATS_PER_STALE_WINDOW = 4


def heartbeat_every_s(settings: Settings) -> float:
    """How often a running job beats: every ``HEARTBEAT_S``, or more often
    when the settings find a job stale sooner (the week demo's 10 s)."""
    return min(HEARTBEAT_S, settings.job_stale_after_s / BEATS_PER_STALE_WINDOW)


async def _heartbeat(
    sessions: async_sessionmaker[AsyncSession], job_id: int, every_s: float
) -> None:
    """Keep a running job's heartbeat fresh while its handler works, so a long
    step is not taken for a dead worker by the stale-job sweep."""
    while True:
        await asyncio.sleep(every_s)
        try:
            async with unit_of_work(sessions) as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                    .values(heartbeat_at=machine_now())
                )
        except Exception:  # a missed beat is retried; the job itself goes on
            log.warning("heartbeat of job %s failed", job_id, exc_info=True)


async def run_job(
    sessions: async_sessionmaker[AsyncSession], job_id: int, settings: Settings | None = None
) -> JobStatus | None:
    """Run a queued job to the end, its handler given ``settings`` (the
    environment's when None). Returns its final status, or None when it was
    not ours to run (already claimed, finished, or unknown)."""
    job = await claim(sessions, job_id)
    if job is None:
        return None
    started = time.perf_counter()
    status = await _run_claimed(sessions, job, settings or get_settings())
    observe_job(job.kind, status.value, time.perf_counter() - started)
    return status


async def _run_claimed(
    sessions: async_sessionmaker[AsyncSession], job: Job, settings: Settings
) -> JobStatus:
    """Run a job this worker claimed, record its end and return its final status."""
    job_id = job.id
    handler = handler_for(job.kind)
    if handler is None:
        await _finish(sessions, job_id, JobStatus.FAILED, error=f"no handler for {job.kind!r}")
        return JobStatus.FAILED
    beating = asyncio.create_task(_heartbeat(sessions, job_id, heartbeat_every_s(settings)))
    try:
        # The job's work (its outbox events, its log lines) belongs to the
        # request that queued it.
        with request_scope(job.request_id):
            result = await handler(JobContext(job_id, sessions, settings), dict(job.payload))
    except DomainError as exc:
        # The state moved between the request and the run (another operator
        # settled a later period, a campaign was cut off): a rule said no,
        # which is an answer for the person who started it, not a fault.
        log.warning("job %s (%s) refused: %s %s", job_id, job.kind, exc.code.value, exc.message)
        refusal = {"code": exc.code.value, "message": exc.message, "field": exc.field}
        await _finish(
            sessions,
            job_id,
            JobStatus.FAILED,
            error=f"{exc.code.value}: {exc.message}"[:4000],
            result={"refused": refusal},
        )
        return JobStatus.FAILED
    except Exception as exc:  # a job that crashes is recorded, never lost
        log.exception("job %s (%s) failed", job_id, job.kind)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        await _finish(sessions, job_id, JobStatus.FAILED, error=error[:4000])
        return JobStatus.FAILED
    finally:
        beating.cancel()
    await _finish(sessions, job_id, JobStatus.SUCCEEDED, result=result or {}, progress=1.0)
    return JobStatus.SUCCEEDED


async def fail_stale_jobs(sessions: async_sessionmaker[AsyncSession], stale_after_s: float) -> int:
    """Mark running jobs whose worker stopped sending heartbeats as failed, so
    a killed worker leaves a visible failure rather than a job stuck forever;
    what such a job owned (a plan left PLANNING) is failed by its kind's
    ``on_abandoned`` hook in the same transaction. Returns how many.
    Heartbeats are on the machine's clock: the demo moving the platform
    clock hours ahead does not make every running job look dead."""
    cutoff = machine_now() - timedelta(seconds=stale_after_s)
    async with unit_of_work(sessions) as session:
        # Locked and skipped when locked: two sweeps at once fail each job once.
        stale = (
            await session.scalars(
                select(Job)
                .where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < cutoff)
                .order_by(Job.id)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for job in stale:
            job.status = JobStatus.FAILED
            job.finished_at = utcnow()
            job.error = "The worker running this job stopped (no heartbeat); start it again."
            hook = abandon_hook_for(job.kind)
            if hook is not None:
                await hook(session, job)
            log.warning("job %s (%s) abandoned by its worker: failed", job.id, job.kind)
            if job.kind in periodic_kinds() and job.key is not None:
                await _rerun(session, job)
        return len(stale)


async def _rerun(session: AsyncSession, abandoned: Job) -> None:
    """A periodic run a dead worker abandoned runs again now, not at the
    kind's next period: the night's schedule would otherwise leave the
    step it was running waiting up to a minute. Its own key (one per
    abandoned run) keeps two sweeps from starting it twice; the caller
    dispatches it once this transaction commits."""
    key = f"{abandoned.key}/rerun-{abandoned.id}"
    rerun, _ = await enqueue(session, abandoned.kind, dict(abandoned.payload), key=key)
    log.warning("job %s (%s) runs again as job %s", abandoned.id, abandoned.kind, rerun.id)


async def queued_job_ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        rows = await session.execute(
            select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id)
        )
        return list(rows.scalars())
