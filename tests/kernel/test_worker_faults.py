"""Workers ride out the faults of a real operation (issue 20): a PostgreSQL
restart, a worker killed mid-job, a database gone for good. The scenario
tests run real ``tuangou worker`` processes against a cluster of their own,
which they restart and stop (never the server other tests use)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text, update

from api.graphql.unavailable import database_unavailable
from api.migrate import migrate
from fulfilment.routing.jobs import PLAN_ROUTES
from fulfilment.routing.models import RoutePlan, RoutePlanStatus
from kernel.accounts import Role, create_user
from kernel.clock import set_platform_time, utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.pruning import PRUNE
from kernel.jobs.queue import Backoff, ProcrastinateQueue, WorkerGaveUp
from kernel.jobs.runner import claim, fail_stale_jobs
from kernel.jobs.service import enqueue
from kernel.settings import Settings
from tests.conftest import TOKEN_SECRET, TestDB, app_client
from tests.support.pg_cluster import Cluster, own_cluster
from tests.support.routing import sorted_day, store_plan

FAST_FAULTS = {
    "TUANGOU_JOB_STALE_AFTER_S": "10",
    "TUANGOU_JOB_SWEEP_S": "2",
    "TUANGOU_WORKER_GIVE_UP_S": "8",
}


async def test_a_dead_workers_route_plan_ends_failed(db: TestDB) -> None:
    day = await sorted_day(db)
    plan = await store_plan(
        db,
        day.shop.warehouse_id,
        day.shop.delivery_date,
        [[day.shop.pickup_point_id]],
        status=RoutePlanStatus.PLANNING,
    )
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, PLAN_ROUTES, {"plan_id": plan.plan_id})
    assert await claim(db.sessions, job.id) is not None
    async with unit_of_work(db.sessions) as session:
        old = utcnow() - timedelta(minutes=5)
        await session.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=old))

    assert await fail_stale_jobs(db.sessions, 40) == 1
    async with db.sessions() as session:
        stored = await session.get(RoutePlan, plan.plan_id)
        failed = await session.get(Job, job.id)
    assert stored is not None and stored.status is RoutePlanStatus.FAILED
    assert failed is not None and failed.status is JobStatus.FAILED
    assert await fail_stale_jobs(db.sessions, 40) == 0  # once


async def abandoned(db: TestDB, kind: str, key: str, payload: dict[str, Any]) -> int:
    """A ``kind`` job claimed by a worker that then stopped beating."""
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, kind, payload, key=key)
    assert await claim(db.sessions, job.id) is not None
    async with unit_of_work(db.sessions) as session:
        old = utcnow() - timedelta(minutes=5)
        await session.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=old))
    return job.id


async def test_a_dead_workers_periodic_run_starts_again_at_once(db: TestDB) -> None:
    """The night's schedule is such a run: its next period is a minute away."""
    job_id = await abandoned(db, PRUNE, f"{PRUNE}@7", {"period": 7})
    other_id = await abandoned(db, PING, "ping-once", {})
    assert await fail_stale_jobs(db.sessions, 40) == 2
    assert await fail_stale_jobs(db.sessions, 40) == 0
    async with db.sessions() as session:
        jobs = (await session.scalars(select(Job).order_by(Job.id))).all()
    by_id = {job.id: job for job in jobs}
    assert by_id[job_id].status is JobStatus.FAILED and by_id[other_id].status is JobStatus.FAILED
    (rerun,) = [job for job in jobs if job.id not in (job_id, other_id)]  # not the ping's
    assert (rerun.kind, rerun.status, rerun.payload) == (PRUNE, JobStatus.QUEUED, {"period": 7})
    assert rerun.key == f"{PRUNE}@7/rerun-{job_id}"


def test_backoff_doubles_resets_after_a_good_run_and_gives_up() -> None:
    backoff = Backoff(give_up_s=20)
    delays = []
    for _ in range(3):
        backoff.failed(ran_s=0.1, problem="down")
        delays.append(backoff.delay)
    assert delays == [2.0, 4.0, 8.0]
    backoff.failed(ran_s=120, problem="restart")  # it had run well for two minutes
    assert backoff.delay == 1.0 and backoff.failing_s == 0
    with pytest.raises(WorkerGaveUp):
        for _ in range(10):
            backoff.failed(ran_s=0.1, problem="down")


@contextmanager
def _worker(url: str, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    command = shutil.which("tuangou") or str(Path(sys.executable).with_name("tuangou"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TUANGOU_")}
    environment.update(
        TUANGOU_DATABASE_URL=url, TUANGOU_TOKEN_SECRET=TOKEN_SECRET, **FAST_FAULTS, **env
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [command, "worker"], env=environment, cwd=log.parent, stdout=out, stderr=out
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _settings(cluster: Cluster) -> Settings:
    return Settings(database_url=cluster.url, token_secret=TOKEN_SECRET, jobs_mode="queue")


async def _start_ping(cluster: Cluster, **payload: Any) -> int:
    """A ping job, committed and handed to the queue, as the API does."""
    settings = _settings(cluster)
    engine = create_engine(cluster.url)
    sessions = create_sessionmaker(engine)
    queue = ProcrastinateQueue(settings, sessions)
    try:
        async with unit_of_work(sessions) as session:
            job, _ = await enqueue(session, PING, {"steps": 1, **payload})
        await queue.dispatch(job.id)
        return job.id
    finally:
        await queue.stop()
        await engine.dispose()


async def _status(cluster: Cluster, job_id: int, wanted: set[str], within_s: float) -> str:
    engine = create_engine(cluster.url)
    deadline = time.monotonic() + within_s
    status = "?"
    try:
        while time.monotonic() < deadline:
            try:
                async with engine.connect() as conn:
                    found = await conn.execute(
                        text("SELECT status FROM jobs WHERE id = :i"), {"i": job_id}
                    )
                    status = str(found.scalar_one())
            except OSError:
                pass  # the server is still coming back
            if status in wanted:
                return status
            await asyncio.sleep(0.5)
        return status
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_a_worker_rides_out_a_restart_and_exits_non_zero_when_the_database_stays_away(
    tmp_path: Path,
) -> None:
    with own_cluster() as cluster:
        migrate(_settings(cluster))
        with _worker(cluster.url, tmp_path / "worker.log") as worker:
            first = await _start_ping(cluster)
            assert await _status(cluster, first, {"succeeded"}, 60) == "succeeded"

            cluster.restart()
            second = await _start_ping(cluster)
            assert await _status(cluster, second, {"succeeded"}, 90) == "succeeded", (
                tmp_path / "worker.log"
            ).read_text()
            assert worker.poll() is None, "the worker stopped at the restart"

            cluster.stop()
            try:
                code = worker.wait(120)
            except subprocess.TimeoutExpired:
                pytest.fail("the worker waited for ever for a database that stays away")
            assert code != 0
            assert "gave up" in (tmp_path / "worker.log").read_text()
            cluster.start()  # for the cluster's own tear-down


@pytest.mark.slow
async def test_a_killed_workers_job_is_failed_within_a_minute(tmp_path: Path) -> None:
    with own_cluster() as cluster:
        migrate(_settings(cluster))
        with _worker(cluster.url, tmp_path / "first.log") as first:
            job_id = await _start_ping(cluster, steps=100, step_seconds=1)
            assert await _status(cluster, job_id, {"running"}, 60) == "running"
            first.kill()  # kill -9: no goodbye, no cleanup
            first.wait()
        started = time.monotonic()
        with _worker(cluster.url, tmp_path / "second.log"):
            assert await _status(cluster, job_id, {"failed"}, 60) == "failed"
            noticed_s = time.monotonic() - started
            # The queue's own row goes too, by the dead worker's heartbeat.
            assert await _queue_rows_doing(cluster, within_s=30) == 0
        assert noticed_s < 60


async def _queue_rows_doing(cluster: Cluster, within_s: float) -> int:
    engine = create_engine(cluster.url)
    deadline = time.monotonic() + within_s
    try:
        while True:
            async with engine.connect() as conn:
                doing = int(
                    await conn.scalar(
                        text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
                    )
                    or 0
                )
            if doing == 0 or time.monotonic() > deadline:
                return doing
            await asyncio.sleep(1)
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_the_api_answers_503_json_while_the_database_is_away() -> None:
    with own_cluster() as cluster:
        settings = _settings(cluster)
        migrate(settings)
        engine = create_engine(cluster.url)
        async with unit_of_work(create_sessionmaker(engine)) as session:
            _, token = await create_user(
                session, name="运营", role=Role.OPERATOR, secret=TOKEN_SECRET
            )
        await engine.dispose()
        async with app_client(cluster.url, jobs_mode="queue") as gql:
            query = {"query": "{ viewer { name } }"}
            signed = {"Authorization": f"Bearer {token}"}
            assert (await gql.http.post("/graphql", json=query, headers=signed)).status_code == 200
            cluster.stop()
            for headers in (signed, {"Authorization": "Bearer tg_some-token-of-someone"}):
                answer = await gql.http.post("/graphql", json=query, headers=headers)
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"] == "5"
                [error] = answer.json()["errors"]
                assert error["extensions"] == {"code": "UNAVAILABLE", "retryAfterSeconds": 5}
            cluster.start()
            again = await gql.http.post("/graphql", json=query, headers=signed)
            assert again.status_code == 200 and again.json()["data"]["viewer"], again.text


def test_what_counts_as_the_database_being_away() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    try:
        try:
            raise refused
        except OSError as inner:
            raise RuntimeError("while loading") from inner
    except RuntimeError as outer:
        assert database_unavailable(outer)
    assert database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    assert not database_unavailable(ValueError("a bug"))
    assert not database_unavailable(sa_exc.IntegrityError("INSERT", {}, Exception("dup")))
    locked = sa_exc.OperationalError("UPDATE", {}, Exception("database is locked"))
    assert database_unavailable(locked)
    missing = sa_exc.OperationalError("SELECT", {}, Exception("no such table: orders"))
    assert not database_unavailable(missing)


async def test_moving_the_platform_clock_ahead_does_not_fail_running_jobs(
    db: TestDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, PLAN_ROUTES, {"plan_id": 1})
    assert await claim(db.sessions, job.id) is not None
    # The week demo jumps from the evening into the night: hours, at once.
    clock = tmp_path / "clock"
    monkeypatch.setenv("TUANGOU_CLOCK_FILE", str(clock))
    set_platform_time(utcnow() + timedelta(hours=6))
    assert await fail_stale_jobs(db.sessions, 40) == 0
    async with db.sessions() as session:
        running = await session.get(Job, job.id)
    assert running is not None and running.status is JobStatus.RUNNING
