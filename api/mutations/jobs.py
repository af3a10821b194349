"""diagnosticsPingStart: a trivial job, to check that workers run jobs."""

from __future__ import annotations

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


async def diagnostics_ping_start(info: Info, input: DiagnosticsPingStartInput) -> JobStartPayload:
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> tuple[Job, bool]:
        payload = {"message": input.message[:200], "steps": input.steps, "fail": input.fail}
        return await enqueue(session, PING, payload, key=input.key, created_by_id=operator.id)

    started, errors = await in_transaction(ctx, work)
    if started is None:
        return JobStartPayload(job=None, user_errors=errors)
    job, _ = started
    # Dispatched only after the row is committed, so a worker can find it; a
    # repeat while still queued dispatches again (the claim makes it harmless).
    if job.status is JobStatus.QUEUED:
        await ctx.queue.dispatch(job.id)
    return JobStartPayload(job=JobType.of(job), user_errors=[])
