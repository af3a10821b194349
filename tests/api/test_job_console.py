"""The operator's job console: the ``jobs`` list (newest first, filters,
pages), a failed keyed job run again (jobRetry, or starting its key again),
a queued job cancelled, the early and on-time cutoff answering one job, and
who may do any of it. Jobs run inline on SQLite and in a real ``tuangou
worker`` on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.graphql.ids import decode, encode
from fulfilment.campaigns.models import Campaign
from fulfilment.purchasing.jobs import CONSOLIDATE
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.runner import claim, worker_name
from kernel.jobs.service import JobErrorCode, enqueue, retry_job
from tests.conftest import TestDB, error_codes
from tests.kernel.test_jobs import Workers, read_job, start_ping, wait_for_job
from tests.support.factories import open_shop


@pytest.fixture
def runner(db: TestDB, tmp_path: Path) -> Iterator[Workers | None]:
    """One real worker process on PostgreSQL; the app itself on SQLite."""
    if db.kind != "postgres":
        yield None
        return
    pool = Workers(tmp_path)
    pool.start(1, db.url)
    try:
        yield pool
    finally:
        pool.stop()


JOBS = """
query($first: Int, $after: String, $kind: String, $status: JobStatus, $w: ID, $d: Date,
      $since: DateTime, $until: DateTime) {
  jobs(first: $first, after: $after, kind: $kind, status: $status, warehouseId: $w, date: $d,
       since: $since, until: $until) {
    nodes { id kind status error key requestId payload worker attempts createdBy { name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


RETRY = """
mutation($id: ID!) { jobRetry(input: {id: $id}) {
  job { id status attempts error finishedAt } userErrors { code field message } } }
"""


CANCEL = """
mutation($id: ID!) { jobCancel(input: {id: $id}) {
  job { id status error } userErrors { code field message } } }
"""


CUTOFF = """
mutation($id: ID!, $early: Boolean!) { campaignCutoff(input: {id: $id, early: $early}) {
  job { id status } userErrors { code field message } } }
"""


async def jobs(gql: Any, token: str, **variables: Any) -> dict[str, Any]:
    body = await gql(JOBS, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["jobs"]
    return result


async def queued(db: TestDB, kind: str, payload: dict[str, Any], key: str | None = None) -> int:
    """A job queued straight in the database: no one dispatches it, so it
    stays QUEUED (the app dispatches queued jobs only when it starts)."""
    async with unit_of_work(db.sessions) as session:
        job, is_new = await enqueue(session, kind, payload, key=key)
        assert is_new
        return job.id


async def test_a_failed_job_is_listed_first_and_runs_again_to_success(db, gql, runner):
    _, token = await db.user(Role.OPERATOR, "Operator Wu")
    ok = await start_ping(gql, token, message="fine", steps=1)
    await wait_for_job(gql, token, ok["id"], runner)
    started = await start_ping(
        gql, token, message="flaky", steps=1, fail=True, failAttempts=1, key="flaky"
    )
    failed = await wait_for_job(gql, token, started["id"], runner)
    assert failed["status"] == "FAILED" and "attempt 1 of 1" in failed["error"]

    (listed,) = (await jobs(gql, token, status="FAILED"))["nodes"]
    assert listed["id"] == started["id"]
    assert listed["key"] == "flaky"
    assert listed["createdBy"] == {"name": "Operator Wu"}
    assert listed["requestId"]
    # The process that ran it: the worker on PostgreSQL, the app on SQLite.
    ran_it = worker_name(runner.procs[0].pid) if runner is not None else worker_name()
    assert listed["worker"] == ran_it
    assert listed["payload"] == {
        "message": "flaky",
        "steps": 1,
        "fail": True,
        "fail_attempts": 1,
    }
    # (The app's periodic jobs are in the list too: the pings alone here.)
    pings = (await jobs(gql, token, kind=PING))["nodes"]
    assert [j["id"] for j in pings] == [started["id"], ok["id"]]

    body = await gql(RETRY, {"id": started["id"]}, token=token)
    retried = body["data"]["jobRetry"]
    assert retried["userErrors"] == []
    assert retried["job"]["id"] == started["id"]
    done = await wait_for_job(gql, token, started["id"], runner)
    assert done["status"] == "SUCCEEDED", done
    assert done["attempts"] == 2
    assert done["error"] is None
    assert done["result"]["echo"] == "flaky"

    again = (await gql(RETRY, {"id": started["id"]}, token=token))["data"]["jobRetry"]
    assert again["job"] is None
    assert again["userErrors"][0]["code"] == "JOB_NOT_FAILED"
    assert again["userErrors"][0]["field"] == ["id"]
    assert await db.scalar("SELECT count(*) FROM jobs WHERE key = 'flaky'") == 1


async def test_starting_a_failed_key_again_runs_the_same_job_again(db, gql, runner):
    _, token = await db.user(Role.OPERATOR)
    first = await start_ping(
        gql, token, message="k", steps=1, fail=True, failAttempts=1, key="again"
    )
    assert (await wait_for_job(gql, token, first["id"], runner))["status"] == "FAILED"

    second = await start_ping(
        gql, token, message="k", steps=1, fail=True, failAttempts=1, key="again"
    )
    assert second["id"] == first["id"]
    done = await wait_for_job(gql, token, first["id"], runner)
    assert (done["status"], done["attempts"]) == ("SUCCEEDED", 2)

    # A succeeded key answers its job and runs nothing more.
    third = await start_ping(
        gql, token, message="k", steps=1, fail=True, failAttempts=1, key="again"
    )
    assert (third["id"], third["status"]) == (first["id"], "SUCCEEDED")
    assert (await read_job(db, decode(first["id"], "Job", ["id"]))).attempts == 2


async def test_two_retries_at_once_queue_the_job_once(db):
    job_id = await queued(db, PING, {"steps": 1}, key="twice")
    async with unit_of_work(db.sessions) as session:
        failed = await session.get(Job, job_id)
        assert failed is not None
        failed.status, failed.error, failed.attempts = JobStatus.FAILED, "boom", 1

    async def retry() -> str:
        try:
            async with unit_of_work(db.sessions) as session:
                await retry_job(session, job_id)
        except DomainError as exc:
            assert exc.code is JobErrorCode.NOT_FAILED
            return "refused"
        return "queued"

    outcomes = await asyncio.gather(retry(), retry())
    assert sorted(outcomes) == ["queued", "refused"]
    job = await read_job(db, job_id)
    assert (job.status, job.error, job.attempts) == (JobStatus.QUEUED, None, 1)


async def test_a_queued_job_is_cancelled_and_can_then_be_retried(db, gql):
    _, token = await db.user(Role.OPERATOR, "Operator Li")
    job_id = await queued(db, PING, {"steps": 1})
    gid = encode("Job", job_id)

    cancelled = (await gql(CANCEL, {"id": gid}, token=token))["data"]["jobCancel"]
    assert cancelled["userErrors"] == []
    assert cancelled["job"] == {"id": gid, "status": "FAILED", "error": "cancelled by Operator Li"}

    again = (await gql(CANCEL, {"id": gid}, token=token))["data"]["jobCancel"]
    assert again["job"] is None
    assert again["userErrors"][0]["code"] == "JOB_NOT_QUEUED"

    retried = (await gql(RETRY, {"id": gid}, token=token))["data"]["jobRetry"]
    assert retried["userErrors"] == []
    assert retried["job"]["error"] is None
    assert retried["job"]["finishedAt"] is None


async def test_the_list_pages_newest_first_and_filters(db, gql):
    _, token = await db.user(Role.OPERATOR)
    day = utcnow().date() + timedelta(days=1)
    ids = [await queued(db, PING, {"steps": 1, "n": n}) for n in range(3)]
    w7 = await queued(db, CONSOLIDATE, {"warehouse_id": 7, "delivery_date": day.isoformat()})
    w8 = await queued(db, CONSOLIDATE, {"warehouse_id": 8, "delivery_date": day.isoformat()})
    pings = [encode("Job", i) for i in reversed(ids)]

    # The app's own periodic jobs are listed too, so each check names a kind.
    page = await jobs(gql, token, first=2, kind=PING)
    assert [j["id"] for j in page["nodes"]] == pings[:2]
    assert page["pageInfo"]["hasNextPage"]
    rest = await jobs(gql, token, first=10, kind=PING, after=page["pageInfo"]["endCursor"])
    assert [j["id"] for j in rest["nodes"]] == pings[2:]
    assert not rest["pageInfo"]["hasNextPage"]
    newest = (await jobs(gql, token, first=1, kind=CONSOLIDATE))["nodes"]
    assert newest[0]["id"] == encode("Job", w8)
    warehouse = await jobs(gql, token, w=encode("Warehouse", 7))
    assert [j["id"] for j in warehouse["nodes"]] == [encode("Job", w7)]
    dated = await jobs(gql, token, d=day.isoformat())
    assert [j["id"] for j in dated["nodes"]] == [encode("Job", w8), encode("Job", w7)]
    assert (await jobs(gql, token, d=(day + timedelta(days=1)).isoformat()))["nodes"] == []
    assert (await jobs(gql, token, status="SUCCEEDED", kind=PING))["nodes"] == []
    assert len((await jobs(gql, token, status="QUEUED", kind=PING))["nodes"]) == 3
    later = (utcnow() + timedelta(minutes=5)).isoformat()
    assert (await jobs(gql, token, since=later))["nodes"] == []
    assert len((await jobs(gql, token, until=later, kind=CONSOLIDATE))["nodes"]) == 2


async def test_early_and_on_time_cutoffs_answer_one_job(db, gql, runner):
    shop = await open_shop(db)
    token = shop.operator_token
    early = await gql(CUTOFF, {"id": shop.campaign_gid, "early": True}, token=token)
    first = early["data"]["campaignCutoff"]
    assert first["userErrors"] == []
    assert (await wait_for_job(gql, token, first["job"]["id"], runner))["status"] == "SUCCEEDED"

    # The regular run (the campaign's time has come by now) answers the early one.
    on_time = await gql(CUTOFF, {"id": shop.campaign_gid, "early": False}, token=token)
    assert on_time["data"]["campaignCutoff"] == {
        "job": {"id": first["job"]["id"], "status": "SUCCEEDED"},
        "userErrors": [],
    }
    assert await db.scalar("SELECT count(*) FROM jobs WHERE kind = 'campaigns.cutoff'") == 1


async def test_an_early_cutoff_after_the_on_time_one_answers_it(db, gql, runner):
    shop = await open_shop(db)
    async with unit_of_work(db.sessions) as session:
        campaign = await session.get(Campaign, shop.campaign_id)
        assert campaign is not None
        campaign.cutoff_at = utcnow() - timedelta(seconds=1)
    token = shop.operator_token
    on_time = await gql(CUTOFF, {"id": shop.campaign_gid, "early": False}, token=token)
    first = on_time["data"]["campaignCutoff"]
    assert first["userErrors"] == []
    assert (await wait_for_job(gql, token, first["job"]["id"], runner))["status"] == "SUCCEEDED"

    early = await gql(CUTOFF, {"id": shop.campaign_gid, "early": True}, token=token)
    assert early["data"]["campaignCutoff"]["job"]["id"] == first["job"]["id"]
    assert early["data"]["campaignCutoff"]["userErrors"] == []


OWN_JOB = "query($id: ID!) { job(id: $id) { id status worker payload } }"


async def test_only_operators_see_which_process_runs_a_job(db, gql):
    dispatcher, dispatcher_token = await db.user(Role.DISPATCHER)
    _, operator_token = await db.user(Role.OPERATOR)
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, PING, {"steps": 1}, created_by_id=dispatcher.id)
    variables = {"id": encode("Job", job.id)}
    queued_job = (await gql(OWN_JOB, variables, token=operator_token))["data"]["job"]
    assert queued_job["worker"] is None  # nobody has claimed it yet

    assert await claim(db.sessions, job.id) is not None

    seen = (await gql(OWN_JOB, variables, token=operator_token))["data"]["job"]
    assert seen["status"] == "RUNNING" and seen["worker"] == worker_name()
    own = (await gql(OWN_JOB, variables, token=dispatcher_token))["data"]["job"]
    assert own["status"] == "RUNNING" and own["worker"] is None and own["payload"] is None


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.DISPATCHER, Role.SUPPLIER])
async def test_only_operators_use_the_console(db, gql, role):
    db_id = await queued(db, PING, {"steps": 1})
    job_id = encode("Job", db_id)
    _, token = await db.user(role)
    for document, variables in ((JOBS, {}), (RETRY, {"id": job_id}), (CANCEL, {"id": job_id})):
        assert error_codes(await gql(document, variables, token=token)) == ["FORBIDDEN"]
        assert error_codes(await gql(document, variables)) == ["UNAUTHENTICATED"]
    assert await db.scalar("SELECT status FROM jobs WHERE id = :j", j=db_id) == "queued"


async def test_malformed_and_unknown_ids_are_refused(db, gql):
    _, token = await db.user(Role.OPERATOR)
    for document, field in ((RETRY, "jobRetry"), (CANCEL, "jobCancel")):
        for bad, code in (
            ("nope", "INVALID_ID"),
            (encode("Warehouse", 1), "INVALID_ID"),
            (encode("Job", 999_999), "NOT_FOUND"),
        ):
            body = await gql(document, {"id": bad}, token=token)
            assert body["data"][field]["userErrors"][0]["code"] == code, body
    for variables in ({"w": "nope"}, {"first": 0}, {"first": 101}, {"after": "garbage"}):
        assert error_codes(await gql(JOBS, variables, token=token)) == ["BAD_USER_INPUT"]
