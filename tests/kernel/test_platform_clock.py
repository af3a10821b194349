"""The platform clock (kernel/clock.py): the machine's, or moved by the
offset file the environment names; every process reading that file agrees,
and periodic jobs follow it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from kernel.clock import set_platform_time, utcnow
from kernel.db import unit_of_work
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.periodic import enqueue_due
from kernel.jobs.registry import periodic_kinds
from tests.conftest import TestDB

MOMENT = datetime(2027, 3, 1, 15, 30, tzinfo=UTC)


def close(a: datetime, b: datetime) -> bool:
    return abs(a - b) < timedelta(seconds=2)


def test_without_a_file_it_is_the_machines_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUANGOU_CLOCK_FILE", raising=False)
    assert close(utcnow(), datetime.now(UTC))


def test_moved_it_runs_on_from_the_new_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = tmp_path / "clock"
    monkeypatch.setenv("TUANGOU_CLOCK_FILE", str(clock))
    assert close(utcnow(), datetime.now(UTC))  # named but not written yet
    set_platform_time(MOMENT)
    assert close(utcnow(), MOMENT)
    set_platform_time(MOMENT + timedelta(days=1, hours=3))
    assert close(utcnow(), MOMENT + timedelta(days=1, hours=3))
    assert utcnow().tzinfo is not None


def test_another_process_reads_the_same_time(tmp_path: Path) -> None:
    clock = tmp_path / "clock"
    set_platform_time(MOMENT, str(clock))
    shown = subprocess.run(
        [sys.executable, "-c", "from kernel.clock import utcnow; print(utcnow().isoformat())"],
        env={**os.environ, "TUANGOU_CLOCK_FILE": str(clock)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert close(datetime.fromisoformat(shown.strip()), MOMENT)


def test_moving_without_a_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUANGOU_CLOCK_FILE", raising=False)
    with pytest.raises(RuntimeError, match="TUANGOU_CLOCK_FILE"):
        set_platform_time(MOMENT)


async def test_periodic_jobs_start_again_once_the_clock_has_moved(
    db: TestDB, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUANGOU_CLOCK_FILE", str(tmp_path / "clock"))
    set_platform_time(MOMENT)
    first = await enqueue_due(db.sessions)
    assert first and await enqueue_due(db.sessions) == first  # the same periods
    set_platform_time(MOMENT + timedelta(hours=2))
    second = await enqueue_due(db.sessions)
    assert second and not set(second) & set(first)
    async with db.sessions() as session:
        kinds = {job.kind for job in await session.scalars(select(Job).where(Job.id.in_(second)))}
    # Two hours on, every kind (hourly ones too) is in a new period.
    assert kinds == set(periodic_kinds())


async def test_a_periods_job_taken_or_failed_is_not_handed_out_again(db: TestDB) -> None:
    now_s = MOMENT.timestamp()
    first = await enqueue_due(db.sessions, now_s)
    running, failed, *waiting = first
    async with unit_of_work(db.sessions) as session:
        await session.execute(update(Job).where(Job.id == running).values(status=JobStatus.RUNNING))
        await session.execute(update(Job).where(Job.id == failed).values(status=JobStatus.FAILED))
    assert await enqueue_due(db.sessions, now_s) == waiting  # and made no new job
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == len(first)
