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
import signal
import time
from collections.abc import Awaitable, Callable
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


async def start_periodic(
    sessions: async_sessionmaker[AsyncSession],
    dispatch: Callable[[int], Awaitable[None]],
    stopping: asyncio.Event,
    every_s: float,
) -> None:
    """Until ``stopping``, every ``every_s``: queue this period's job of each
    periodic kind and hand the new ones to ``dispatch``."""
    while not stopping.is_set():
        try:
            for job_id in await enqueue_due(sessions):
                await dispatch(job_id)
        except Exception:  # the database is away; the next tick tries again
            log.exception("could not start periodic jobs")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every_s)


class InlineQueue:
    """Runs jobs as asyncio tasks of this process (the embedded default)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tick_s: float = 60.0,
        settings: Settings | None = None,
    ) -> None:
        self.sessions = sessions
        self.tick_s = tick_s
        self.settings = settings  # the jobs' (the environment's when None)
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
        self._ticker = asyncio.create_task(
            start_periodic(self.sessions, self.dispatch, self._stopping, self.tick_s),
            name="periodic-jobs",
        )

    async def dispatch(self, job_id: int) -> None:
        task = asyncio.create_task(
            run_job(self.sessions, job_id, self.settings), name=f"job-{job_id}"
        )
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
        await run_job(self.sessions, job_id, self.settings)

    async def _sweep(self, timestamp: int) -> None:
        await self._sweep_stale()
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
        """Work until SIGTERM or SIGINT: for ``tuangou worker``.

        procrastinate's worker stops, quietly, when its database connection
        breaks (a PostgreSQL restart ends its LISTEN). Here it is started
        again, with backoff, on a fresh pool; after ``worker_give_up_s`` of
        failing without a good run it raises ``WorkerGaveUp`` so the process
        exits non-zero and its supervisor restarts it. Beside it, every
        ``job_sweep_s``, dead workers' jobs are failed (``_sweep_stale``)."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        sweeper = asyncio.create_task(self._sweeping(stopping), name="stale-job sweep")
        ticker = None
        if self.settings.periodic_tick_s < 60:
            # procrastinate's cron ticks each minute at most; a faster
            # platform clock (the week demo) needs periodic jobs more often.
            ticker = asyncio.create_task(
                start_periodic(
                    self.sessions, self.dispatch, stopping, self.settings.periodic_tick_s
                ),
                name="periodic-jobs",
            )
        try:
            await self._supervise(stopping, concurrency)
        finally:
            sweeper.cancel()
            if ticker is not None:
                ticker.cancel()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    async def _supervise(self, stopping: asyncio.Event, concurrency: int) -> None:
        backoff = Backoff(self.settings.worker_give_up_s)
        while not stopping.is_set():
            started = time.monotonic()
            problem = await self._work_until_stopped(stopping, concurrency)
            if problem is None:
                return
            backoff.failed(ran_s=time.monotonic() - started, problem=problem)
            log.warning("worker lost its queue (%s); again in %.0f s", problem, backoff.delay)
            await self._close_quietly()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), backoff.delay)

    async def _work_until_stopped(self, stopping: asyncio.Event, concurrency: int) -> str | None:
        """Run procrastinate's worker; None once asked to stop, else why it ended."""
        try:
            await self._open()
            worker = asyncio.create_task(
                self.app.run_worker_async(
                    queues=[QUEUE_NAME], concurrency=concurrency, install_signal_handlers=False
                )
            )
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.is_set():
                worker.cancel()  # procrastinate finishes the jobs in hand, then stops
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                return None
            stop.cancel()
            worker.result()
            return "its database connection was lost"
        except Exception as exc:  # the database down, refusing, restarting
            return f"{type(exc).__name__}: {exc}"

    async def _close_quietly(self) -> None:
        with contextlib.suppress(Exception):
            await self.app.close_async()
        self._opened = False

    async def _sweeping(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.settings.job_sweep_s)
            try:
                await self._sweep_stale()
            except Exception as exc:  # the database is away; the next round tries again
                log.warning("stale-job sweep failed: %s", exc)

    async def _sweep_stale(self) -> None:
        """Fail our dead workers' jobs and the queue's own rows they held,
        then hand out the periodic runs those jobs start again."""
        failed = await fail_stale_jobs(self.sessions, self.settings.job_stale_after_s)
        if failed:
            log.warning("marked %s stale jobs failed", failed)
        if not self._opened:
            return
        from procrastinate.jobs import Status

        manager = self.app.job_manager
        for stalled in await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.job_stale_after_s
        ):
            await manager.finish_job(stalled, status=Status.FAILED, delete_job=False)
        if failed:
            for job_id in await queued_job_ids(self.sessions):
                await self.dispatch(job_id)


class WorkerGaveUp(RuntimeError):
    """The worker could not run for ``worker_give_up_s``."""


class Backoff:
    """Delays between a worker's restarts: 1 s doubling to 30 s, reset by a
    run that lasted a minute; gives up after ``give_up_s`` of failures."""

    def __init__(self, give_up_s: float) -> None:
        self.give_up_s = give_up_s
        self.delay = 1.0
        self.failing_s = 0.0

    def failed(self, *, ran_s: float, problem: str) -> None:
        if ran_s >= 60:
            self.delay, self.failing_s = 1.0, 0.0
        else:
            self.failing_s += ran_s + self.delay
            self.delay = min(self.delay * 2, 30.0)
        if self.failing_s > self.give_up_s:
            raise WorkerGaveUp(f"no queue for {self.failing_s:.0f} s: {problem}")


def build_queue(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> JobQueue:
    """The queue the settings ask for (inline on SQLite)."""
    if settings.jobs_inline:
        return InlineQueue(sessions, settings.periodic_tick_s, settings)
    return ProcrastinateQueue(settings, sessions)
