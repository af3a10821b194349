"""Job kinds and their handlers. Domain packages register handlers; the worker
and the API import those packages, so every kind is known where jobs run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.clock import machine_now
from kernel.db import unit_of_work
from kernel.jobs.models import Job, JobStatus
from kernel.settings import Settings, get_settings


@dataclass
class JobContext:
    """What a handler gets: its job id, and units of work for its steps."""

    job_id: int
    sessions: async_sessionmaker[AsyncSession]
    # Of whoever runs it: the app's own for its inline jobs (a test's, a
    # demo's), a worker's from its environment. Handlers read these, not
    # get_settings(), so an app built with other settings runs its jobs
    # with them.
    settings: Settings = field(default_factory=get_settings)

    @asynccontextmanager
    async def step(self) -> AsyncIterator[AsyncSession]:
        """One transaction per job step, so a crash loses at most one step."""
        async with unit_of_work(self.sessions) as session:
            yield session

    async def report(self, progress: float, message: str = "") -> None:
        """Record progress (0–1) in its own short transaction so that readers
        see it at once; doubles as the worker's heartbeat."""
        async with unit_of_work(self.sessions) as session:
            await session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.status == JobStatus.RUNNING)
                .values(
                    progress=min(max(progress, 0.0), 1.0),
                    message=message[:500],
                    heartbeat_at=machine_now(),
                )
            )


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[dict[str, Any] | None]]

_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the coroutine that runs jobs of ``kind``."""

    def register(fn: JobHandler) -> JobHandler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise RuntimeError(f"job kind {kind!r} registered twice")
        _HANDLERS[kind] = fn
        return fn

    return register


# What a job owns when its worker died mid-run: a plan left PLANNING, a
# settlement half done, a step its schedule should start again. The
# stale-job sweep calls the kind's hook in the transaction that marks the
# job failed.
AbandonHook = Callable[[AsyncSession, Job], Awaitable[None]]
_ABANDONED: dict[str, AbandonHook] = {}


def on_abandoned(kind: str) -> Callable[[AbandonHook], AbandonHook]:
    """Register what to undo or mark failed when a ``kind`` job's worker
    died: the hook gets the sweep's session and the job (already FAILED)."""

    def register(fn: AbandonHook) -> AbandonHook:
        _ABANDONED[kind] = fn
        return fn

    return register


def abandon_hook_for(kind: str) -> AbandonHook | None:
    return _ABANDONED.get(kind)


_PERIODIC: dict[str, int] = {}


def periodic(kind: str, every_s: int) -> None:
    """Run jobs of ``kind`` every ``every_s`` seconds (once per period across
    all workers: each period's job has its own key)."""
    _PERIODIC[kind] = every_s


def periodic_kinds() -> dict[str, int]:
    return dict(_PERIODIC)


def handler_for(kind: str) -> JobHandler | None:
    return _HANDLERS.get(kind)
