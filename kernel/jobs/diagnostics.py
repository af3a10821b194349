"""A trivial job kind that proves the whole job path on a database: queued,
claimed by a worker, progress in steps, a result read from the database."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from kernel.accounts import User
from kernel.jobs.models import Job
from kernel.jobs.registry import JobContext, job_handler

PING = "diagnostics.ping"


@job_handler(PING)
async def ping(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Count users in ``steps`` steps; fail on purpose when ``fail`` is set:
    every attempt, or with ``fail_attempts`` only the first that many
    (diagnostic: to watch a failed job run again and succeed)."""
    steps = max(1, min(int(payload.get("steps", 3)), 100))
    for step in range(steps):
        await asyncio.sleep(float(payload.get("step_seconds", 0.0)))
        await ctx.report((step + 1) / steps, f"step {step + 1} of {steps}")
    if payload.get("fail"):
        fail_attempts = int(payload.get("fail_attempts", 0))
        if fail_attempts <= 0:
            raise RuntimeError("failed on request")
        async with ctx.step() as session:
            attempt = (
                await session.execute(select(Job.attempts).where(Job.id == ctx.job_id))
            ).scalar_one()
        if attempt <= fail_attempts:
            raise RuntimeError(f"failed on request (attempt {attempt} of {fail_attempts})")
    async with ctx.step() as session:
        users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    return {"echo": str(payload.get("message", "")), "users": users, "steps": steps}
