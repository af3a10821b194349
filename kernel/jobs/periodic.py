"""Starting periodic jobs: one job per kind and period, whoever asks first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.clock import now_s as platform_now_s
from kernel.db import unit_of_work
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import periodic_kinds
from kernel.jobs.service import enqueue


async def enqueue_due(
    sessions: async_sessionmaker[AsyncSession], now_s: float | None = None
) -> list[int]:
    """Queue this period's job of every periodic kind; returns the ids that
    are queued and need dispatching. The period is part of the key, so many
    sweepers at once still make one job per period."""
    # The platform clock: moved forward (the week demo), the next period's
    # jobs start at the next tick.
    now_s = platform_now_s() if now_s is None else now_s
    periods = {
        f"{kind}@{int(now_s // every_s)}": (kind, int(now_s // every_s))
        for kind, every_s in periodic_kinds().items()
    }
    due: list[int] = []
    async with unit_of_work(sessions) as session:
        # Most ticks find every period's job made: one read then, not an
        # insert and a read per kind (the week demo ticks every second).
        made = await session.execute(
            select(Job.key, Job.id, Job.status).where(Job.key.in_(periods))
        )
        for key, job_id, status in made:
            periods.pop(str(key), None)
            if status is JobStatus.QUEUED:
                due.append(job_id)
        for key, (kind, period) in periods.items():
            job, _ = await enqueue(session, kind, {"period": period}, key=key)
            if job.status is JobStatus.QUEUED:
                due.append(job.id)
    return sorted(due)
