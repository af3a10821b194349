"""Retention: forget what only grows and nobody reads after a while.

One hourly job (``jobs.prune``) runs every registered pruner in its own
transaction; each deletes rows older than its setting and says how many.
The kernel's own: the periodic jobs' runs (one row per period per kind, at a
minute each thousands a day; successful ones after a week, failed ones after
``retention_jobs_days``), delivered webhooks (``retention_outbox_days``) and
dead ones (three times as long: an operator may still replay them), and the
in-app notifications (``retention_notifications_days``). Rooms above add
theirs with ``pruner`` (the payment callbacks that booked nothing).

Never pruned: anything money depends on (payments, refunds, the ledger,
statements), jobs people started (plans and exports point at them), the
audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utcnow
from kernel.db import execute_counting
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import JobContext, job_handler, periodic, periodic_kinds
from kernel.settings import Settings

PRUNE = "jobs.prune"
RETENTION = timedelta(days=7)
periodic(PRUNE, every_s=3600)

# (session, now, settings) -> rows deleted
Pruner = Callable[[AsyncSession, datetime, Settings], Awaitable[int]]
_PRUNERS: dict[str, Pruner] = {}


def pruner(name: str) -> Callable[[Pruner], Pruner]:
    """Register a retention rule run by the hourly ``jobs.prune`` job."""

    def register(fn: Pruner) -> Pruner:
        _PRUNERS[name] = fn
        return fn

    return register


async def prune_periodic_runs(session: AsyncSession, finished_before: datetime) -> int:
    """Delete successful runs of periodic kinds finished before the given
    time; returns how many went."""
    kinds = sorted(periodic_kinds())
    if not kinds:
        return 0
    return await execute_counting(
        session,
        delete(Job).where(
            Job.kind.in_(kinds),
            Job.status == JobStatus.SUCCEEDED,
            Job.finished_at < finished_before,
        ),
    )


@pruner("periodic job runs")
async def _periodic_runs(session: AsyncSession, now: datetime, settings: Settings) -> int:
    succeeded = await prune_periodic_runs(session, now - RETENTION)
    kinds = sorted(periodic_kinds())
    if not kinds:
        return succeeded
    failed = await execute_counting(
        session,
        delete(Job).where(
            Job.kind.in_(kinds),
            Job.status == JobStatus.FAILED,
            Job.finished_at < now - timedelta(days=settings.retention_jobs_days),
        ),
    )
    return succeeded + failed


@job_handler(PRUNE)
async def prune(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every hour: each retention rule in turn, each in its own transaction."""
    settings, now = ctx.settings, utcnow()
    deleted: dict[str, int] = {}
    for name, rule in sorted(_PRUNERS.items()):
        async with ctx.step() as session:
            deleted[name] = await rule(session, now, settings)
    return {"deleted": deleted}
