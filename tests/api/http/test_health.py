"""/healthz (the process answers) and /readyz (this host should get traffic)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.http.app import create_app
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.models import Job, JobStatus
from kernel.outbox import OutboxMessage
from migrations import current_head
from tests import conftest
from tests.conftest import TestDB


@asynccontextmanager
async def http_for(url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the app, its lifespan not started: the probes need none,
    and no job queue then runs beside the test."""
    app = create_app(conftest.test_settings(url, **overrides))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
    finally:
        await app.state.engine.dispose()


async def readyz(db: TestDB, **overrides: Any) -> tuple[int, dict[str, Any]]:
    async with http_for(db.url, **{"jobs_mode": "inline", **overrides}) as http:
        response = await http.get("/readyz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_healthz_answers_without_asking_the_database() -> None:
    # Nothing listens on port 1: only /readyz notices.
    async with http_for("postgresql+asyncpg://nobody@127.0.0.1:1/none") as http:
        health = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert set(body["failed"]) == {"database", "migrations", "workers", "jobs", "outbox"}


async def test_ready_on_a_migrated_database_with_inline_jobs(db: TestDB) -> None:
    status, body = await readyz(db)
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["failed"] == []
    checks = body["checks"]
    assert checks["database"] == {"ok": True}
    head = current_head()
    assert checks["migrations"] == {"ok": True, "state": "head", "database": [head], "code": head}
    assert checks["workers"] == {"ok": True, "mode": "inline"}
    assert checks["jobs"]["count"] == 0
    assert checks["jobs"]["oldest_age_s"] is None
    assert checks["outbox"]["count"] == 0


async def test_a_database_behind_the_code_is_not_ready(db: TestDB) -> None:
    head = current_head()
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0017'"))
    try:
        status, body = await readyz(db)
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert status == 503
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"] == {
        "ok": False,
        "state": "behind",
        "database": ["0017"],
        "code": head,
    }


async def test_a_database_migrated_by_newer_code_is_still_ready(db: TestDB) -> None:
    # A rolling deploy: the new release migrated (expand only), old hosts serve on.
    head = current_head()
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    try:
        status, body = await readyz(db)
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert status == 200, body
    assert body["checks"]["migrations"]["state"] == "ahead"


@pytest.mark.postgres_only
async def test_queue_mode_needs_a_worker_with_a_fresh_heartbeat(pg: TestDB) -> None:
    async def workers_check() -> tuple[int, dict[str, Any]]:
        status, body = await readyz(pg, jobs_mode="queue", ready_worker_heartbeat_s=60)
        return status, body["checks"]["workers"]

    async def beat(age_s: int) -> None:
        async with pg.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) "
                    "VALUES (now() - make_interval(secs => :age))"
                ),
                {"age": age_s},
            )

    async with pg.engine.begin() as conn:
        await conn.execute(text("DELETE FROM procrastinate_workers"))
    try:
        status, workers = await workers_check()
        assert status == 503
        assert workers == {
            "ok": False,
            "mode": "queue",
            "alive": 0,
            "newest_heartbeat_age_s": None,
            "max_age_s": 60,
        }

        await beat(600)  # a worker that died ten minutes ago
        status, workers = await workers_check()
        assert status == 503
        assert workers["alive"] == 0
        assert workers["newest_heartbeat_age_s"] >= 590

        await beat(0)
        status, workers = await workers_check()
        assert status == 200, workers
        assert workers["ok"] is True
        assert workers["alive"] == 1
        assert workers["newest_heartbeat_age_s"] < 60
    finally:
        async with pg.engine.begin() as conn:
            await conn.execute(text("DELETE FROM procrastinate_workers"))


async def test_an_old_queued_job_is_a_backlog(db: TestDB) -> None:
    now = utcnow()
    async with unit_of_work(db.sessions) as session:
        session.add(Job(kind="health.old", status=JobStatus.QUEUED, created_at=now))
        session.add(
            Job(kind="health.old", status=JobStatus.QUEUED, created_at=now - timedelta(hours=1))
        )
        session.add(
            Job(kind="health.done", status=JobStatus.SUCCEEDED, created_at=now - timedelta(days=1))
        )
    status, body = await readyz(db, ready_queued_job_age_s=300)
    assert status == 503
    assert body["failed"] == ["jobs"]
    jobs = body["checks"]["jobs"]
    assert jobs["ok"] is False
    assert jobs["count"] == 2
    assert 3500 <= jobs["oldest_age_s"] < 7200
    assert jobs["max_age_s"] == 300


async def test_an_overdue_pending_outbox_message_is_a_backlog(db: TestDB) -> None:
    now = utcnow()

    def message(next_attempt_in: timedelta) -> OutboxMessage:
        return OutboxMessage(
            topic="health.test",
            url="http://127.0.0.1:1/hook",
            secret="s",
            payload={},
            created_at=now - timedelta(days=1),
            next_attempt_at=now + next_attempt_in,
        )

    async with unit_of_work(db.sessions) as session:
        # Backing off until later: waiting, but not late.
        session.add(message(timedelta(hours=1)))
        session.add(message(-timedelta(hours=2)))
    status, body = await readyz(db, ready_outbox_age_s=900)
    assert status == 503
    assert body["failed"] == ["outbox"]
    outbox = body["checks"]["outbox"]
    assert outbox["count"] == 1
    assert 7000 <= outbox["oldest_age_s"] < 14_400
    assert outbox["max_age_s"] == 900
