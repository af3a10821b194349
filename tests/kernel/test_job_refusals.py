"""A job that a business rule refuses when it runs (the state moved on since
the request) ends with the rule's code and message, not a traceback."""

from __future__ import annotations

from typing import Any

from kernel.db import unit_of_work
from kernel.errors import CommonErrorCode, DomainError
from kernel.jobs.models import JobStatus
from kernel.jobs.registry import JobContext, job_handler
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from tests.kernel.test_jobs import read_job

REFUSING = "test.refusing"


@job_handler(REFUSING)
async def _refusing(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    raise DomainError(CommonErrorCode.INVALID, "The state moved on.", ["periodEnd"])


async def test_a_job_a_rule_refuses_ends_with_the_rule_not_a_traceback(db, caplog):
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, REFUSING, {})
    assert await run_job(db.sessions, job.id) is JobStatus.FAILED
    stored = await read_job(db, job.id)
    assert stored.error == "INVALID: The state moved on."
    assert stored.result == {
        "refused": {"code": "INVALID", "message": "The state moved on.", "field": ["periodEnd"]}
    }
    assert not [r for r in caplog.records if r.exc_info], "a refusal logs no traceback"
