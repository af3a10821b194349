"""Forget the periodic jobs' finished runs.

Every periodic kind leaves one jobs row per period (each period's run has its
own key); at a minute each, a handful of kinds write thousands of rows a day
that nobody reads after the fact. Successful runs older than ``RETENTION``
go; failed runs stay for diagnosis, and jobs people started are never
touched (plans and exports point at them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utcnow
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import JobContext, job_handler, periodic, periodic_kinds

PRUNE = "jobs.prune"
RETENTION = timedelta(days=7)
periodic(PRUNE, every_s=3600)


async def prune_periodic_runs(session: AsyncSession, finished_before: datetime) -> int:
    """Delete successful runs of periodic kinds finished before the given
    time; returns how many went."""
    kinds = sorted(periodic_kinds())
    if not kinds:
        return 0
    result = await session.execute(
        delete(Job).where(
            Job.kind.in_(kinds),
            Job.status == JobStatus.SUCCEEDED,
            Job.finished_at < finished_before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


@job_handler(PRUNE)
async def prune(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every hour: drop the periodic runs older than the retention."""
    async with ctx.step() as session:
        deleted = await prune_periodic_runs(session, utcnow() - RETENTION)
    return {"deleted": deleted}
