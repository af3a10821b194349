"""A job's heartbeat never outlives its job holding the database: on SQLite a
beat cancelled while it waited for the write lock went on to take the lock in
aiosqlite's thread and kept it, so every writer after it (the job's own end,
the next request) failed "database is locked" ten seconds later."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update

from kernel.db import unit_of_work
from kernel.jobs import runner
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import JobContext
from kernel.jobs.service import enqueue
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
