"""How a committed job reaches something that runs it.

PostgreSQL: procrastinate carries a ``run_job(job_id)`` task to workers on any
number of machines (LISTEN/NOTIFY, row locks). SQLite: the job runs as a task
inside the current process. Either way the ``jobs`` table, not the carrier, is
the record: a job is claimed there before it runs, so a duplicate delivery does
nothing, and jobs left queued are dispatched again at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.jobs.periodic import enqueue_due
from kernel.jobs.runner import fail_stale_jobs, queued_job_ids, run_job
from kernel.settings import Settings

log = logging.getLogger(__name__)

RUN_JOB_TASK = "tuangou.run_job"
QUEUE_NAME = "tuangou"


class JobQueue(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def dispatch(self, job_id: int) -> None: ...


class InlineQueue:
    """Runs jobs as asyncio tasks of this process (the embedded default)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tick_s: float = 60.0) -> None:
        self.sessions = sessions
        self.tick_s = tick_s
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        # Embedded mode has one process: whatever it left running when it
        # stopped will never finish, so say so, then resume the queued ones.
        self._stopping.clear()
        await fail_stale_jobs(self.sessions, 0)
        for job_id in await queued_job_ids(self.sessions):
            await self.dispatch(job_id)
        self._ticker = asyncio.create_task(self._tick(), name="periodic-jobs")

    async def _tick(self) -> None:
        while not self._stopping.is_set():
            try:
                for job_id in await enqueue_due(self.sessions):
                    await self.dispatch(job_id)
            except Exception:  # the next tick tries again
                log.exception("could not start periodic jobs")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tick_s)

    async def dispatch(self, job_id: int) -> None:
        task = asyncio.create_task(run_job(self.sessions, job_id), name=f"job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every job dispatched so far has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        # Never cancel the ticker mid-transaction: a cancelled SQLite write can
        # leave its connection holding the database lock. Ask it to stop instead.
        self._stopping.set()
        if self._ticker is not None:
            await self._ticker
            self._ticker = None
        await self.drain()


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as a plain libpq URL for procrastinate's psycopg."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class ProcrastinateQueue:
    """Hands jobs to procrastinate workers through PostgreSQL."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        import procrastinate

        self.settings = settings
        self.sessions = sessions
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=libpq_url(settings.database_url), min_size=1, max_size=4
            )
        )
        self._opened = False
        self._opening = asyncio.Lock()
        self.app.task(name=RUN_JOB_TASK, queue=QUEUE_NAME)(self._run)
        # Every minute one worker (the periodic task is deferred once per tick
        # across all workers) re-dispatches forgotten jobs and fails dead ones.
        self.app.periodic(cron="* * * * *", periodic_id="sweep")(
            self.app.task(name="tuangou.sweep", queue=QUEUE_NAME, pass_context=False)(self._sweep)
        )

    async def _run(self, job_id: int) -> None:
        await run_job(self.sessions, job_id)

    async def _sweep(self, timestamp: int) -> None:
        failed = await fail_stale_jobs(self.sessions, self.settings.job_stale_after_s)
        if failed:
            log.warning("marked %s stale jobs failed", failed)
        for job_id in {*await enqueue_due(self.sessions), *await queued_job_ids(self.sessions)}:
            await self.dispatch(job_id)

    async def start(self) -> None:
        # Opened on first use: an API process must start (and answer /healthz
        # with 503) while the database is down.
        pass

    async def _open(self) -> None:
        async with self._opening:
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    async def stop(self) -> None:
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def dispatch(self, job_id: int) -> None:
        from procrastinate.exceptions import AlreadyEnqueued

        try:
            await self._open()
            task = self.app.configure_task(RUN_JOB_TASK, queueing_lock=f"job-{job_id}")
            # Already waiting for a worker is fine: the claim makes copies harmless.
            with contextlib.suppress(AlreadyEnqueued):
                await task.defer_async(job_id=job_id)
        except Exception:
            # The job is committed as queued; the workers' sweep dispatches it.
            log.exception("could not hand job %s to the queue; the sweep will retry", job_id)

    async def run_worker(self, concurrency: int = 2) -> None:
        """Work until stopped by a signal: for ``tuangou worker``."""
        await self._open()
        await self.app.run_worker_async(queues=[QUEUE_NAME], concurrency=concurrency)


def install_queue_schema(database_url: str) -> bool:
    """Install procrastinate's tables beside ours, once (blocking; run with
    the migrations). Returns whether it installed them now."""
    import procrastinate
    import psycopg

    conninfo = libpq_url(database_url)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    if row and row[0]:
        return False
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))
    with app.open():
        app.schema_manager.apply_schema()
    return True


def build_queue(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> JobQueue:
    """The queue the settings ask for (inline on SQLite)."""
    if settings.jobs_inline:
        return InlineQueue(sessions)
    return ProcrastinateQueue(settings, sessions)
