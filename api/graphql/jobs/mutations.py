"""diagnosticsPingStart: a trivial job, to check that workers run jobs;
jobRetry and jobCancel: the operator's console over failed and queued jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.jobs.types import JobType
from api.graphql.transactions import in_transaction
from kernel.accounts import Role
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.service import cancel_job, enqueue, retry_job

R = TypeVar("R")


@strawberry.input
class DiagnosticsPingStartInput:
    message: str = ""
    steps: int = 3
    fail: bool = strawberry.field(default=False, description="Make the job fail, to see it fail.")
    fail_attempts: int = strawberry.field(
        default=0,
        description="Diagnostic, with fail: fail the first N attempts only (0: every "
        "attempt), to watch jobRetry succeed.",
    )
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
    viewer = info.context.require()

    async def work(session: AsyncSession) -> tuple[Job, Job]:
        job, _ = await enqueue(
            session, kind, await payload(session), key=key, created_by_id=viewer.id
        )
        return job, job

    job, errors = await queue_in_transaction(info, work)
    return JobStartPayload(job=None if job is None else JobType.of(job), user_errors=errors)


async def queue_in_transaction(
    info: Info, work: Callable[[AsyncSession], Awaitable[tuple[R, Job]]]
) -> tuple[R | None, list[UserError]]:
    """Run ``work`` (which queues a job beside other changes) in one
    transaction, then hand its job to the workers."""
    started, errors = await in_transaction(info.context, work)
    if started is None:
        return None, errors
    result, job = started
    # Dispatched only after the row is committed, so a worker can find it; a
    # repeat while still queued dispatches again (the claim makes it harmless).
    if job.status is JobStatus.QUEUED:
        await info.context.queue.dispatch(job.id)
    return result, []


async def diagnostics_ping_start(info: Info, input: DiagnosticsPingStartInput) -> JobStartPayload:
    info.context.require(Role.OPERATOR)

    async def payload(_: AsyncSession) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message": input.message[:200],
            "steps": input.steps,
            "fail": input.fail,
        }
        # Only when asked: payloads of plain pings stay as they were, so a
        # key reused by an older client still matches its job.
        if input.fail and input.fail_attempts > 0:
            payload["fail_attempts"] = min(input.fail_attempts, 10)
        return payload

    return await start_job(info, PING, payload, key=input.key)


@strawberry.input
class JobIdInput:
    id: strawberry.ID


async def _console(
    info: Info, input: JobIdInput, change: Callable[[AsyncSession, int], Awaitable[Job]]
) -> JobStartPayload:
    async def work(session: AsyncSession) -> tuple[Job, Job]:
        job = await change(session, decode(input.id, "Job", ["id"]))
        return job, job

    job, errors = await queue_in_transaction(info, work)
    return JobStartPayload(job=None if job is None else JobType.of(job), user_errors=errors)


async def job_retry(info: Info, input: JobIdInput) -> JobStartPayload:
    """Run a FAILED job again: the same row (kind, payload, key) queued as a
    new attempt and handed to the workers; any other status is refused."""
    info.context.require(Role.OPERATOR)
    return await _console(info, input, retry_job)


async def job_cancel(info: Info, input: JobIdInput) -> JobStartPayload:
    """A QUEUED job is not run: it fails, "cancelled by" the operator."""
    operator = info.context.require(Role.OPERATOR)

    async def cancel(session: AsyncSession, job_id: int) -> Job:
        return await cancel_job(session, job_id, operator.name)

    return await _console(info, input, cancel)
