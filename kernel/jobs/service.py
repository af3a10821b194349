"""Creating and reading jobs, and the operator's console over them: listing,
running a failed job again, cancelling a queued one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utcnow
from kernel.db import execute_counting, insert_ignoring_conflicts
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import handler_for, periodic_kinds
from kernel.listing import newest_first
from kernel.request_context import current_request_id


class JobErrorCode(Enum):
    UNKNOWN_KIND = "UNKNOWN_JOB_KIND"
    # Only a failed job runs again, only a queued one can be cancelled.
    NOT_FAILED = "JOB_NOT_FAILED"
    NOT_QUEUED = "JOB_NOT_QUEUED"
    # Webhook deliveries are sent by the outbox job and shown beside the jobs;
    # their one refusal lives here so that UserErrorCode already knows it.
    DELIVERY_NOT_FAILED = "DELIVERY_NOT_FAILED"


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    created_by_id: int | None = None,
) -> tuple[Job, bool]:
    """Queue a job; returns it and whether this call queued it.

    With a ``key``, a second request (even a concurrent one) returns the first
    job instead of making another: the insert ignores the unique-key conflict.
    A job of that key that FAILED is queued again as a new attempt of the same
    row (the key stays one job), except a periodic kind's run: its next period
    runs anyway, and a sweeper re-queueing it every tick would loop on a fault.
    The caller dispatches the job after its transaction commits.
    """
    if handler_for(kind) is None:
        raise DomainError(JobErrorCode.UNKNOWN_KIND, f"No job kind {kind!r}.", ["kind"])
    payload = payload or {}
    # A NULL key never conflicts, so keyless jobs always insert.
    stmt = (
        insert_ignoring_conflicts(session, Job, ["key"])
        .values(
            kind=kind,
            key=key,
            payload=payload,
            created_by_id=created_by_id,
            request_id=current_request_id(),
            status=JobStatus.QUEUED,
            progress=0.0,
            message="",
            attempts=0,
            created_at=utcnow(),
        )
        .returning(Job.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        created = await session.get(Job, new_id)
        assert created is not None
        return created, True
    job = await job_by_key(session, key)
    assert job is not None  # the insert conflicted on this key
    if job.kind != kind or job.payload != payload:
        raise DomainError(
            CommonErrorCode.IDEMPOTENCY_CONFLICT,
            f"Key {key!r} already belongs to another {job.kind} job.",
            ["key"],
        )
    if job.status is JobStatus.FAILED and kind not in periodic_kinds():
        requeued = await _requeue(session, job.id)
        await session.refresh(job)
        return job, requeued
    return job, False


async def job_by_key(session: AsyncSession, key: str | None) -> Job | None:
    """The job started under ``key``, read fresh (it changes while running)."""
    if key is None:
        return None
    stmt = select(Job).where(Job.key == key).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _requeue(session: AsyncSession, job_id: int) -> bool:
    """FAILED → QUEUED in one conditional UPDATE: of two concurrent callers
    only one changes the row (on PostgreSQL the second waits for the first's
    row lock and then finds it no longer failed), so the job is queued once.
    ``attempts`` is kept; the run that claims it counts one more."""
    changed = await execute_counting(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.FAILED)
        .values(
            status=JobStatus.QUEUED,
            progress=0.0,
            message="",
            result=None,
            error=None,
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
            worker=None,
        ),
    )
    return changed == 1


async def _get(session: AsyncSession, job_id: int) -> Job:
    stmt = select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    job = (await session.execute(stmt)).scalar_one_or_none()
    if job is None:
        raise NotFound("Job", ["id"])
    return job


async def retry_job(session: AsyncSession, job_id: int) -> Job:
    """Queue a FAILED job again as a new attempt: same kind, payload and key.
    Any other status is refused (JOB_NOT_FAILED), also for the loser of two
    concurrent retries. The caller dispatches the job after commit."""
    job = await _get(session, job_id)
    if job.status is not JobStatus.FAILED or not await _requeue(session, job_id):
        await session.refresh(job)
        raise DomainError(
            JobErrorCode.NOT_FAILED,
            f"Only a failed job can run again; this one is {job.status.value}.",
            ["id"],
        )
    await session.refresh(job)
    return job


async def cancel_job(session: AsyncSession, job_id: int, by_name: str) -> Job:
    """A QUEUED job becomes FAILED, "cancelled by <name>" (it can be retried
    later). Running and finished jobs are refused (JOB_NOT_QUEUED); the
    status check and the change are one UPDATE, so a worker claiming the job
    at the same moment and this cancel cannot both win."""
    job = await _get(session, job_id)
    now = utcnow()
    changed = await execute_counting(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.FAILED,
            error=f"cancelled by {by_name}"[:4000],
            finished_at=now,
        ),
    )
    await session.refresh(job)
    if changed != 1:
        raise DomainError(
            JobErrorCode.NOT_QUEUED,
            f"Only a queued job can be cancelled; this one is {job.status.value}.",
            ["id"],
        )
    return job


@dataclass(frozen=True)
class JobFilter:
    """What the operator's job list is narrowed to. ``warehouse_id`` and
    ``delivery_date`` match the payload keys of the warehouse-day jobs
    (consolidation, sorting, shortage allocation); see docs/jobs-console.md."""

    kind: str | None = None
    status: JobStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    warehouse_id: int | None = None
    delivery_date: date | None = None


async def list_jobs(
    session: AsyncSession, where: JobFilter, before_id: int | None, limit: int
) -> Sequence[Job]:
    """Jobs matching ``where``, newest first, paged by keyset (ids below
    ``before_id``); ``since`` is inclusive and ``until`` exclusive (by
    creation time)."""
    stmt = newest_first(
        Job,
        Job.id,
        before_id,
        limit,
        equal={Job.kind: where.kind, Job.status: where.status},
        at=Job.created_at,
        since=where.since,
        until=where.until,
    )
    # JSON paths SQLAlchemy spells for either database: json_extract on
    # SQLite, ->> with a cast on PostgreSQL's JSONB.
    if where.warehouse_id is not None:
        stmt = stmt.where(Job.payload["warehouse_id"].as_integer() == where.warehouse_id)
    if where.delivery_date is not None:
        stmt = stmt.where(
            Job.payload["delivery_date"].as_string() == where.delivery_date.isoformat()
        )
    return (await session.scalars(stmt)).all()
