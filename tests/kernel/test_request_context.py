"""A request's id follows its work below the HTTP layer: the jobs it queues
remember it, a job runs under it, and the outbox messages written meanwhile
carry it to the webhook receiver."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.jobs.models import Job
from kernel.jobs.registry import JobContext, job_handler
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from kernel.outbox import OutboxMessage, publish
from kernel.request_context import current_request_id, request_scope
from tests.conftest import TestDB

KIND = "tests.request_id_echo"


@job_handler(KIND)
async def _echo(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    async with ctx.step() as session:
        publish(session, topic="test.echo", url="http://127.0.0.1:9/", secret="s", payload={})
    return {"seen": current_request_id()}


async def test_a_job_remembers_its_request_and_runs_under_it(db: TestDB) -> None:
    with request_scope("req-7f3a"):
        async with unit_of_work(db.sessions) as session:
            job, _ = await enqueue(session, KIND)
    assert current_request_id() is None
    await run_job(db.sessions, job.id)
    async with db.sessions() as session:
        done = await session.get(Job, job.id)
        assert done is not None and done.request_id == "req-7f3a"
        assert done.result == {"seen": "req-7f3a"}
        message = (await session.scalars(select(OutboxMessage))).one()
    assert message.request_id == "req-7f3a"


async def test_work_outside_any_request_has_no_id(db: TestDB) -> None:
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, KIND)
    await run_job(db.sessions, job.id)
    async with db.sessions() as session:
        done = await session.get(Job, job.id)
        assert done is not None and done.request_id is None and done.result == {"seen": None}


async def test_a_job_started_over_http_carries_the_requests_id(db: TestDB, gql: Any) -> None:
    _, token = await db.user(Role.OPERATOR)
    answer = await gql.http.post(
        "/graphql",
        json={
            "query": "mutation { diagnosticsPingStart(input: {steps: 1}) { job { id } } }",
        },
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-ping-1"},
    )
    assert answer.headers["X-Request-ID"] == "req-ping-1", answer.text
    assert (
        await db.scalar("SELECT request_id FROM jobs WHERE kind = 'diagnostics.ping'")
        == "req-ping-1"
    )
