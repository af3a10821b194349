"""The week demo's platform clock and its patience.

The demo moves the platform clock (kernel/clock.py) forward to each moment
of the business day; the schedule and every other periodic job, in this
process or in the workers it started, see the new time at their next tick
and do what is due. The demo then waits, as a person watching the job list
would, for the job that should have started."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.run import DemoRefused
from api.demo.steps import Bar
from fulfilment.purchasing.jobs import CUTOFF_DUE
from kernel.clock import as_utc, set_platform_time, utcnow
from kernel.jobs.models import Job, JobStatus

POLL_S = 0.25


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


async def cut_off(
    sessions: async_sessionmaker[AsyncSession], campaign_id: int, within_s: float
) -> None:
    """Wait until a ``campaigns.cutoff_due`` run that cut the campaign off
    has finished: it cuts off and consolidates inside its own run (no job
    of its own), so the purchase orders exist once that run succeeded."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        async with sessions() as session:
            results = await session.scalars(
                select(Job.result).where(Job.kind == CUTOFF_DUE, Job.status == JobStatus.SUCCEEDED)
            )
            if any(campaign_id in (r or {}).get("campaigns", []) for r in results):
                return
        await asyncio.sleep(POLL_S)
    raise ScheduleStalled(f"campaign {campaign_id} was not cut off within {within_s:.0f} s")


async def job_state(sessions: async_sessionmaker[AsyncSession], key: str) -> Job | None:
    """The job under ``key``, read fresh."""
    async with sessions() as session:
        found = await session.scalars(
            select(Job).where(Job.key == key).execution_options(populate_existing=True)
        )
        return found.one_or_none()


async def succeeded(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    within_s: float,
    bar: Bar | None = None,
) -> Job:
    """Wait until the job under ``key`` has succeeded, showing its progress
    on ``bar``. A failed attempt is left to the schedule, which starts the
    step again on a later tick; after ``within_s`` the demo gives up."""
    deadline = time.monotonic() + within_s
    last: Job | None = None
    while time.monotonic() < deadline:
        last = await job_state(sessions, key)
        if last is not None:
            if bar is not None:
                bar.set(last.progress * 100, 100, last.message)
            if last.status is JobStatus.SUCCEEDED:
                return last
        await asyncio.sleep(POLL_S)
    seen = "never started" if last is None else f"{last.status.value}: {last.error or ''}"
    raise ScheduleStalled(f"{key} did not succeed within {within_s:.0f} s ({seen})")
