"""Who runs the week's jobs: on SQLite this process's inline queue, as
``tuangou serve`` runs them; on PostgreSQL separate ``tuangou worker``
processes the demo starts (and one of which it kills in the middle of a
night, to show the week survives it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.handlers import load_job_handlers
from kernel.jobs.queue import InlineQueue
from kernel.jobs.runner import worker_name
from kernel.settings import Settings, get_settings
from kernel.wechatpay import provider

# What the workers need to know that a default would get wrong. The
# WeChat Pay settings point them at the demo's sandbox.
SHARED = (
    "database_url",
    "token_secret",
    "timezone",
    "periodic_tick_s",
    "job_stale_after_s",
    "job_sweep_s",
    "routing_time_limit_s",
    "tote_volume_ml",
)
# Jobs each worker runs at once. When the clock jumps to the night, every
# periodic kind's new period starts together (the hourly reconciliation,
# statistics, pruning, settlements beside the cutoff); with two slots a
# worker made the cutoff wait minutes behind them. Mostly waiting on
# PostgreSQL, they share a core well.
WORKER_CONCURRENCY = 4


def environment(settings: Settings) -> dict[str, str]:
    """``settings`` as the ``TUANGOU_*`` variables a worker reads."""
    names = [*SHARED, *(n for n in Settings.model_fields if n.startswith("wechatpay_"))]
    return {f"TUANGOU_{name.upper()}": str(getattr(settings, name)) for name in names}


@contextmanager
def settings_in_environment(settings: Settings) -> Iterator[None]:
    """This process's jobs (which read ``get_settings()``) see ``settings``
    too, for as long as the block runs."""
    names = environment(settings)
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


@dataclass
class Workers:
    """The worker processes (none on SQLite) and what became of them."""

    out: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: int = 0

    def start(self, env: dict[str, str]) -> None:
        """One more ``tuangou worker``, its output in the out directory."""
        command = shutil.which("tuangou") or str(Path(sys.executable).with_name("tuangou"))
        log = (self.out / f"worker-{len(self.processes) + 1}.log").open("wb")
        self.processes.append(
            # Unbuffered: a killed worker's log ends with its last line.
            subprocess.Popen(
                [command, "worker", "--concurrency", str(WORKER_CONCURRENCY)],
                env={**env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=log,
            )
        )

    def holding(self, worker: str | None) -> int | None:
        """The live worker process a job's ``worker`` (host:pid) names."""
        for number, process in enumerate(self.processes):
            if process.poll() is None and worker == worker_name(process.pid):
                return number
        return None

    def kill(self, number: int, env: dict[str, str]) -> None:
        """Kill worker ``number`` without warning (SIGKILL, as a crash or an
        OOM kill would) and start another in its place, as a supervisor
        would: the killed worker's job is failed as stale and run again."""
        victim = self.processes[number]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.killed += 1
        self.start(env)

    def stop(self) -> None:
        stop_processes(self.processes)


def stop_processes(processes: list[subprocess.Popen[bytes]], grace_s: float = 30) -> None:
    """SIGTERM to each live one, then SIGKILL to any still running after
    ``grace_s``."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def running_jobs(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    out: Path,
    count: int,
) -> AsyncIterator[Workers]:
    """Jobs running for the block: ``count`` worker processes on PostgreSQL,
    this process's inline queue on SQLite."""
    load_job_handlers()
    provider.configure(provider.config_from_settings(settings))
    workers = Workers(out)
    with settings_in_environment(settings):
        if settings.jobs_inline:
            queue = InlineQueue(sessions, settings.periodic_tick_s, settings)
            await queue.start()
            try:
                yield workers
            finally:
                await queue.stop()
            return
        env = {k: v for k, v in os.environ.items()}
        for _ in range(count):
            workers.start(env)
        try:
            yield workers
        finally:
            workers.stop()
