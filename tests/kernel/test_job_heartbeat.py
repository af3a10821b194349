"""A job's heartbeat never outlives its job holding the database: on SQLite a
beat cancelled while it waited for the write lock went on to take the lock in
aiosqlite's thread and kept it, so every writer after it (the job's own end,
the next request) failed "database is locked" ten seconds later."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, update

from kernel.db import unit_of_work
from kernel.jobs import runner
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.queue import InlineQueue, build_queue
from kernel.jobs.registry import JobContext
from kernel.jobs.service import enqueue
from kernel.settings import get_settings
from tests.conftest import TestDB


async def _holds_the_write_lock(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    async with ctx.step() as session:
        await session.execute(update(Job).where(Job.id == ctx.job_id).values(message="busy"))
        # Long enough for several beats to queue behind this transaction.
        await asyncio.sleep(payload["hold_s"])
    return {"held": True}


async def test_a_job_that_outlasts_its_heartbeat_leaves_the_database_free(
    db: TestDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "HEARTBEAT_S", 0.05)
    monkeypatch.setattr(runner, "handler_for", lambda kind: _holds_the_write_lock)
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, "diagnostics.ping", {"hold_s": 0.3})

    status = await asyncio.wait_for(runner.run_job(db.sessions, job.id), timeout=8)

    assert status is JobStatus.SUCCEEDED
    # The next writer gets the database at once, not after a busy timeout.
    async with unit_of_work(db.sessions) as session:
        await asyncio.wait_for(
            session.execute(update(Job).where(Job.id == job.id).values(message="next")),
            timeout=2,
        )
    async with db.sessions() as session:
        done = await session.get(Job, job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert done.result == {"held": True}


async def _zone_of(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    return {"timezone": ctx.settings.timezone}


async def test_inline_jobs_run_with_their_apps_settings_not_the_environments(
    db: TestDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A test's or a demo's app, built with settings of its own: its jobs
    # must see those, not what the process's environment says.
    monkeypatch.setattr(runner, "handler_for", lambda kind: _zone_of)
    own = db.settings.model_copy(update={"timezone": "Asia/Urumqi"})
    assert get_settings().timezone != own.timezone
    embedded = own.model_copy(update={"database_url": "sqlite+aiosqlite://"})
    built = build_queue(embedded, db.sessions)  # create_app's queue
    assert isinstance(built, InlineQueue) and built.settings is embedded
    queue = InlineQueue(db.sessions, 60, own)
    async with unit_of_work(db.sessions) as session:
        mine, _ = await enqueue(session, "diagnostics.ping", {})
        theirs, _ = await enqueue(session, "diagnostics.ping", {})

    await queue.dispatch(mine.id)
    await queue.drain()
    assert await runner.run_job(db.sessions, theirs.id) is JobStatus.SUCCEEDED

    async with db.sessions() as session:
        results = {job.id: job.result for job in (await session.scalars(select(Job))).all()}
    assert results[mine.id] == {"timezone": "Asia/Urumqi"}
    assert results[theirs.id] == {"timezone": get_settings().timezone}


async def _works_a_while(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(payload["work_s"])
    return {"worked": True}


async def test_a_live_job_beats_often_enough_that_a_sweep_never_fails_it(
    db: TestDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stale window shorter than the default beat (the week demo finds a
    # killed worker's job in 10 s, beats came every 10 s): a sweep at the
    # wrong moment took a live job for a dead one.
    monkeypatch.setattr(runner, "handler_for", lambda kind: _works_a_while)
    window_s = 0.4
    quick = db.settings.model_copy(update={"job_stale_after_s": window_s})
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, "diagnostics.ping", {"work_s": 3 * window_s})

    running = asyncio.create_task(runner.run_job(db.sessions, job.id, quick))
    swept = 0
    while not running.done():
        swept += await runner.fail_stale_jobs(db.sessions, window_s)
        await asyncio.sleep(0.02)

    assert swept == 0
    assert running.result() is JobStatus.SUCCEEDED
