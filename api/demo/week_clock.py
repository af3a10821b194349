"""The week demo's platform clock and its patience.

The demo moves the platform clock (kernel/clock.py) forward to each moment
of the business day; the schedule and every other periodic job, in this
process or in the workers it started, see the new time at their next tick
and do what is due. The demo then waits, as a person watching the job list
would, for the job that should have started."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.run import DemoRefused
from api.demo.steps import Bar
from fulfilment.campaigns.models import Campaign
from fulfilment.purchasing.jobs import CUTOFF_DUE
from kernel.clock import as_utc, set_platform_time, utcnow
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.service import job_by_key

POLL_S = 0.25
T = TypeVar("T")


class ScheduleStalled(DemoRefused):
    """A job the schedule should have run did not succeed in time."""


@dataclass
class WeekClock:
    """The platform clock file the demo's processes share."""

    path: Path

    def move_to(self, moment: datetime) -> None:
        """Move the clock forward to ``moment``; never back (what happened
        stays in the past)."""
        if as_utc(moment) > utcnow():
            set_platform_time(moment, str(self.path))


async def until(probe: Callable[[], Awaitable[T | None]], within_s: float, what: str) -> T:
    """``probe()``'s first answer that is not None, asked every POLL_S;
    ScheduleStalled naming ``what`` after ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(POLL_S)
    raise ScheduleStalled(f"{what} within {within_s:.0f} s")


async def cut_off(
    sessions: async_sessionmaker[AsyncSession], campaign_id: int, within_s: float
) -> None:
    """Wait until a ``campaigns.cutoff_due`` run that cut the campaign off
    has finished: it cuts off and consolidates inside its own run (no job
    of its own), so the purchase orders exist once that run succeeded."""
    cutoff = select(Campaign.cutoff_at).where(Campaign.id == campaign_id).scalar_subquery()

    async def probe() -> bool | None:
        async with sessions() as session:
            # Only runs started after the campaign's cutoff can have cut it off.
            results = await session.scalars(
                select(Job.result).where(
                    Job.kind == CUTOFF_DUE,
                    Job.status == JobStatus.SUCCEEDED,
                    Job.created_at >= cutoff,
                )
            )
            return any(campaign_id in (r or {}).get("campaigns", []) for r in results) or None

    await until(probe, within_s, f"campaign {campaign_id} was not cut off")


async def succeeded(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    within_s: float,
    bar: Bar | None = None,
) -> Job:
    """Wait until the job under ``key`` has succeeded, showing its progress
    on ``bar``. A failed attempt is left to the schedule, which starts the
    step again on a later tick; after ``within_s`` the demo gives up."""

    async def probe() -> Job | None:
        async with sessions() as session:
            job = await job_by_key(session, key)
        if job is not None and bar is not None:
            bar.set(job.progress * 100, 100, job.message)
        return job if job is not None and job.status is JobStatus.SUCCEEDED else None

    return await until(probe, within_s, f"{key} did not succeed")
