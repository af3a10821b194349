"""Background jobs: started through GraphQL, run inline on SQLite and by real
``tuangou worker`` processes on PostgreSQL, each job run exactly once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import select, update

from api.graphql.ids import decode
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.pruning import RETENTION, prune_periodic_runs
from kernel.jobs.queue import ProcrastinateQueue
from kernel.jobs.runner import claim, fail_stale_jobs, run_job, worker_name
from kernel.jobs.service import JobErrorCode, enqueue
from kernel.outbox import DELIVER
from tests.conftest import TOKEN_SECRET

DEADLINE_S = 20.0


FINISHED = {"SUCCEEDED", "FAILED"}


START = """
mutation Start($input: DiagnosticsPingStartInput!) {
  diagnosticsPingStart(input: $input) {
    job { id kind status attempts }
    userErrors { code message field }
  }
}
"""


JOB = """
query Job($id: ID!) {
  job(id: $id) { id kind status progress message result error attempts finishedAt }
}
"""


class Workers:
    """``tuangou worker`` subprocesses, stopped when the test ends."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def start(self, n: int, url: str) -> None:
        exe = Path(sys.executable).with_name("tuangou")
        command = str(exe) if exe.exists() else shutil.which("tuangou")
        assert command, "the tuangou console script is not installed"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUANGOU_")}
        env.update(TUANGOU_DATABASE_URL=url, TUANGOU_TOKEN_SECRET=TOKEN_SECRET)
        for _ in range(n):
            log = (self.log_dir / f"worker-{len(self.procs)}.log").open("wb")
            self._logs.append(log)
            self.procs.append(
                subprocess.Popen(
                    [command, "worker"],
                    env=env,
                    cwd=self.log_dir,  # no stray .env file is read
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def logs(self) -> str:
        parts = []
        for i, _ in enumerate(self.procs):
            path = self.log_dir / f"worker-{i}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- worker {i} ---\n{text[-4000:]}")
        return "\n".join(parts)

    def check_alive(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                pytest.fail(f"worker {i} exited with {proc.returncode}\n{self.logs()}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in self._logs:
            log.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Workers]]:
    """``workers(n, url)`` starts n real worker processes on the PostgreSQL
    database at ``url``; they get SIGTERM (then SIGKILL) when the test ends."""
    pool = Workers(tmp_path)

    def start(n: int, url: str) -> Workers:
        pool.start(n, url)
        return pool

    try:
        yield start
    finally:
        pool.stop()


@pytest.fixture
def job_runner(db: Any, workers: Callable[..., Workers]) -> Workers | None:
    """Whatever runs jobs for the app on this database: the app itself on
    SQLite, one real worker process on PostgreSQL."""
    if db.kind == "postgres":
        return workers(1, db.url)
    return None


async def start_ping(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    body = await gql(START, {"input": input}, token=token)
    assert "errors" not in body, body
    payload = body["data"]["diagnosticsPingStart"]
    assert payload["userErrors"] == []
    job: dict[str, Any] = payload["job"]
    return job


async def wait_for_job(
    gql: Any, token: str, job_id: str, runner: Workers | None = None
) -> dict[str, Any]:
    """Poll ``job(id)`` until it has finished (bounded)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        body = await gql(JOB, {"id": job_id}, token=token)
        assert "errors" not in body, body
        job: dict[str, Any] = body["data"]["job"]
        assert job is not None
        if job["status"] in FINISHED:
            return job
        if runner is not None:
            runner.check_alive()
        if time.monotonic() > deadline:
            logs = runner.logs() if runner else ""
            pytest.fail(f"job {job_id} still {job['status']} after {DEADLINE_S}s\n{logs}")
        await asyncio.sleep(0.05)


async def read_job(db: Any, job_id: int) -> Job:
    async with db.sessions() as session:
        job: Job | None = await session.get(Job, job_id)
        assert job is not None
        return job


async def new_job(db: Any, payload: dict[str, Any] | None = None, key: str | None = None) -> int:
    async with unit_of_work(db.sessions) as session:
        job, is_new = await enqueue(session, PING, payload or {"steps": 1}, key=key)
        assert is_new
        return job.id


async def test_ping_job_runs_to_success(db, gql, job_runner):
    _, token = await db.user(Role.OPERATOR)
    await db.user(Role.CUSTOMER)

    started = await start_ping(gql, token, message="hi", steps=3)
    assert started["status"] == "QUEUED"
    assert started["kind"] == "diagnostics.ping"

    job = await wait_for_job(gql, token, started["id"], job_runner)
    assert job["status"] == "SUCCEEDED", job
    assert job["result"] == {"echo": "hi", "users": 2, "steps": 3}
    assert job["progress"] == 1.0
    assert job["attempts"] == 1
    assert job["error"] is None
    assert job["finishedAt"] is not None


async def test_failing_job_is_recorded_as_failed(db, gql, job_runner):
    _, token = await db.user(Role.OPERATOR)

    started = await start_ping(gql, token, message="boom", steps=2, fail=True)
    assert started["status"] == "QUEUED"

    job = await wait_for_job(gql, token, started["id"], job_runner)
    assert job["status"] == "FAILED", job
    assert "failed on request" in job["error"]
    assert job["result"] is None
    assert job["attempts"] == 1
    assert job["finishedAt"] is not None


async def test_same_key_twice_is_one_job_run_once(db, gql, job_runner):
    _, token = await db.user(Role.OPERATOR)

    first = await start_ping(gql, token, message="once", key="k1")
    second = await start_ping(gql, token, message="once", key="k1")
    assert second["id"] == first["id"]

    job = await wait_for_job(gql, token, first["id"], job_runner)
    assert job["status"] == "SUCCEEDED", job
    assert job["attempts"] == 1

    again = await start_ping(gql, token, message="once", key="k1")
    assert again["id"] == first["id"]
    assert again["status"] == "SUCCEEDED"
    assert await db.scalar("SELECT count(*) FROM jobs WHERE kind = 'diagnostics.ping'") == 1
    assert (await read_job(db, decode(first["id"], "Job", ["id"]))).attempts == 1


async def test_same_key_concurrently_is_one_job_run_once(db, gql, job_runner):
    _, token = await db.user(Role.OPERATOR)

    results = await asyncio.gather(
        *(start_ping(gql, token, message="race", key="k1") for _ in range(2))
    )
    assert results[0]["id"] == results[1]["id"]

    job = await wait_for_job(gql, token, results[0]["id"], job_runner)
    assert job["status"] == "SUCCEEDED", job
    assert job["attempts"] == 1
    assert await db.scalar("SELECT count(*) FROM jobs WHERE kind = 'diagnostics.ping'") == 1


async def test_two_workers_run_each_job_once_despite_double_dispatch(pg, workers):
    pool = workers(2, pg.url)

    async with unit_of_work(pg.sessions) as session:
        ids = []
        for i in range(20):
            job, is_new = await enqueue(
                session, PING, {"message": f"m{i}", "steps": 2, "step_seconds": 0.02}, key=f"j{i}"
            )
            assert is_new
            ids.append(job.id)

    async def statuses() -> dict[int, Job]:
        async with pg.sessions() as session:
            rows = await session.execute(select(Job).where(Job.id.in_(ids)))
            return {job.id: job for job in rows.scalars()}

    queue = ProcrastinateQueue(pg.settings, pg.sessions)
    await queue.start()
    try:
        for job_id in ids:
            await queue.dispatch(job_id)
        # Wait until a worker has taken a job, so that some second deliveries
        # really reach the workers instead of being folded into the first.
        deadline = time.monotonic() + DEADLINE_S
        while all(j.status is JobStatus.QUEUED for j in (await statuses()).values()):
            pool.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"no worker took a job\n{pool.logs()}")
            await asyncio.sleep(0.05)
        for job_id in ids:
            await queue.dispatch(job_id)
    finally:
        await queue.stop()

    deadline = time.monotonic() + DEADLINE_S
    while True:
        jobs = await statuses()
        busy = await pg.scalar(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'tuangou.run_job' AND status IN ('todo', 'doing')"
        )
        unfinished = [j for j in jobs.values() if j.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
        if busy == 0 and not unfinished:
            break
        pool.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"jobs not finished: {[j.status for j in jobs.values()]}\n{pool.logs()}")
        await asyncio.sleep(0.1)

    assert len(jobs) == 20
    assert {j.status for j in jobs.values()} == {JobStatus.SUCCEEDED}, pool.logs()
    assert [j.attempts for j in jobs.values()] == [1] * 20
    assert {j.result["echo"] for j in jobs.values() if j.result} == {f"m{i}" for i in range(20)}
    # Each job names the worker process that ran it.
    assert {j.worker for j in jobs.values()} <= {worker_name(p.pid) for p in pool.procs}
    deliveries = await pg.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'tuangou.run_job'"
    )
    assert deliveries > 20  # some jobs really were delivered twice
    failed = await pg.scalar(
        "SELECT count(*) FROM procrastinate_jobs "
        "WHERE task_name = 'tuangou.run_job' AND status <> 'succeeded'"
    )
    assert failed == 0, pool.logs()


async def test_a_job_runs_once_even_when_run_twice(db):
    job_id = await new_job(db, {"message": "x", "steps": 2})

    assert await run_job(db.sessions, job_id) is JobStatus.SUCCEEDED
    assert await run_job(db.sessions, job_id) is None

    job = await read_job(db, job_id)
    assert job.status is JobStatus.SUCCEEDED
    assert job.attempts == 1
    assert job.result == {"echo": "x", "users": 0, "steps": 2}


async def test_a_claimed_job_is_not_run_by_a_second_runner(db):
    job_id = await new_job(db)

    claimed = await claim(db.sessions, job_id)
    assert claimed is not None
    assert claimed.status is JobStatus.RUNNING
    assert claimed.worker == worker_name() == f"{socket.gethostname()}:{os.getpid()}"

    assert await claim(db.sessions, job_id) is None
    assert await run_job(db.sessions, job_id) is None

    job = await read_job(db, job_id)
    assert job.status is JobStatus.RUNNING
    assert job.attempts == 1
    assert job.result is None


async def test_run_job_of_a_missing_job_does_nothing(db):
    assert await run_job(db.sessions, 987654) is None


async def test_stale_running_job_is_failed_and_fresh_one_is_left_alone(db):
    stale_id = await new_job(db)
    fresh_id = await new_job(db)
    assert await claim(db.sessions, stale_id) is not None
    assert await claim(db.sessions, fresh_id) is not None
    async with unit_of_work(db.sessions) as session:
        await session.execute(
            update(Job).where(Job.id == stale_id).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )

    assert await fail_stale_jobs(db.sessions, db.settings.job_stale_after_s) == 1

    stale = await read_job(db, stale_id)
    assert stale.status is JobStatus.FAILED
    assert stale.error and "no heartbeat" in stale.error
    assert stale.finished_at is not None
    fresh = await read_job(db, fresh_id)
    assert fresh.status is JobStatus.RUNNING
    assert fresh.error is None

    # Nothing else is stale now: a second sweep changes nothing.
    assert await fail_stale_jobs(db.sessions, db.settings.job_stale_after_s) == 0


async def test_job_of_unknown_kind_is_refused(db):
    with pytest.raises(DomainError) as caught:
        async with unit_of_work(db.sessions) as session:
            await enqueue(session, "no.such.kind", {"x": 1})
    assert caught.value.code is JobErrorCode.UNKNOWN_KIND
    assert caught.value.code.value == "UNKNOWN_JOB_KIND"
    assert await db.scalar("SELECT count(*) FROM jobs WHERE kind = 'no.such.kind'") == 0


async def test_pruning_forgets_old_successful_periodic_runs_only(db):
    now = utcnow()
    old, recent = now - RETENTION - timedelta(hours=1), now - timedelta(hours=1)
    rows = {
        "old periodic": (DELIVER, JobStatus.SUCCEEDED, old),
        "recent periodic": (DELIVER, JobStatus.SUCCEEDED, recent),
        "old failed periodic": (DELIVER, JobStatus.FAILED, old),
        "old started by a person": (PING, JobStatus.SUCCEEDED, old),
    }
    async with unit_of_work(db.sessions) as session:
        for name, (kind, status, finished) in rows.items():
            session.add(Job(kind=kind, key=name, status=status, payload={}, finished_at=finished))
    async with unit_of_work(db.sessions) as session:
        assert await prune_periodic_runs(session, now - RETENTION) == 1
    async with unit_of_work(db.sessions) as session:
        left = set((await session.execute(select(Job.key))).scalars())
    assert left == set(rows) - {"old periodic"}
