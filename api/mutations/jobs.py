"""diagnosticsPingStart: a trivial job, to check that workers run jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.mutations.base import in_transaction
from api.types.jobs import JobType
from kernel.accounts import Role
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.service import enqueue


@strawberry.input
class DiagnosticsPingStartInput:
    message: str = ""
    steps: int = 3
    fail: bool = strawberry.field(default=False, description="Make the job fail, to see it fail.")
    key: str | None = strawberry.field(
        default=None, description="Starting twice with one key runs the job once."
    )


@strawberry.type
class JobStartPayload:
    job: JobType | None
    user_errors: list[UserError]


async def start_job(
    info: Info,
    kind: str,
    payload: Callable[[AsyncSession], Awaitable[dict[str, Any]]],
    *,
    key: str | None = None,
) -> JobStartPayload:
    """Queue a job as the signed-in user and hand it to the workers. The
    payload is built inside the transaction (it may decode IDs and check
    rules); a DomainError there becomes a UserError and queues nothing."""
    ctx = info.context
    viewer = ctx.require()

    async def work(session: AsyncSession) -> tuple[Job, bool]:
        return await enqueue(
            session, kind, await payload(session), key=key, created_by_id=viewer.id
        )

    started, errors = await in_transaction(ctx, work)
    if started is None:
        return JobStartPayload(job=None, user_errors=errors)
    job, _ = started
    # Dispatched only after the row is committed, so a worker can find it; a
    # repeat while still queued dispatches again (the claim makes it harmless).
    if job.status is JobStatus.QUEUED:
        await ctx.queue.dispatch(job.id)
    return JobStartPayload(job=JobType.of(job), user_errors=[])


async def diagnostics_ping_start(info: Info, input: DiagnosticsPingStartInput) -> JobStartPayload:
    info.context.require(Role.OPERATOR)

    async def payload(_: AsyncSession) -> dict[str, Any]:
        return {"message": input.message[:200], "steps": input.steps, "fail": input.fail}

    return await start_job(info, PING, payload, key=input.key)
