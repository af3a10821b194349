"""Creating and reading jobs."""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utcnow
from kernel.db import insert_ignoring_conflicts
from kernel.errors import CommonErrorCode, DomainError
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import handler_for
from kernel.request_context import current_request_id


class JobErrorCode(Enum):
    UNKNOWN_KIND = "UNKNOWN_JOB_KIND"


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    created_by_id: int | None = None,
) -> tuple[Job, bool]:
    """Queue a job; returns it and whether it is new.

    With a ``key``, a second request (even a concurrent one) returns the first
    job instead of making another: the insert ignores the unique-key conflict.
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
    job = (await session.execute(select(Job).where(Job.key == key))).scalar_one()
    if job.kind != kind or job.payload != payload:
        raise DomainError(
            CommonErrorCode.IDEMPOTENCY_CONFLICT,
            f"Key {key!r} already belongs to another {job.kind} job.",
            ["key"],
        )
    return job, False
