"""Who may do what: every role against every guarded operation, on fresh
data, and a refused call changes nothing."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import JobStatus
from kernel.jobs.service import enqueue
from kernel.outbox import OutboxMessage, OutboxStatus
from tests.conftest import error_codes
from tests.support.authz import (
    APPLY,
    APPROVE,
    JOB,
    LEADERS,
    PICKUP_POINTS,
    PING_START,
    REINSTATE,
    REJECT,
    SUSPEND,
    WAREHOUSE_CREATE,
    WAREHOUSES,
    approved_leader,
    pending_application,
    pickup_point_input,
    start_job,
    suspended_leader,
    warehouse_input,
)

ROLES = ["anonymous", "operator", "leader", "supplier", "dispatcher", "customer"]


SIGNED_IN = frozenset(ROLES) - {"anonymous"}


# Prepares an operation on fresh data, given (db, gql, operator token): the
# document, its variables, and an SQL probe of the state it would change.
Prepare = Callable[[Any, Any, str], Awaitable[tuple[str, dict[str, Any], str | None]]]


@dataclass
class Op:
    """One guarded operation: how to prepare it, the document and variables,
    and a probe of the database state it would change (to check a refused
    call changed nothing)."""

    field: str
    allowed: frozenset[str]
    prepare: Prepare
    # job(id) answers null to a viewer who may not see that job: not an error.
    nullable: bool = False

    def __repr__(self) -> str:
        return self.field


async def _warehouse_create(
    db: Any, gql: Any, operator: str
) -> tuple[str, dict[str, Any], str | None]:
    return WAREHOUSE_CREATE, {"input": warehouse_input()}, "SELECT count(*) FROM warehouses"


async def _leader_apply(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return APPLY, {"input": pickup_point_input()}, "SELECT count(*) FROM leaders"


def _decision(
    document: str, setup: Callable[[Any, Any, str], Awaitable[tuple[str, str]]]
) -> Prepare:
    async def prepare(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
        _, leader_id = await setup(db, gql, operator)
        db_id = int(base64.b64decode(leader_id).decode().split(":")[1])
        return document, {"id": leader_id}, f"SELECT status FROM leaders WHERE id = {db_id}"

    return prepare


async def _pending(db: Any, gql: Any, operator: str) -> tuple[str, str]:
    return await pending_application(db, gql)


async def _ping_start(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return PING_START, {}, "SELECT count(*) FROM jobs WHERE kind = 'diagnostics.ping'"


def _query(document: str) -> Prepare:
    async def prepare(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
        return document, {}, None

    return prepare


async def _job(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return JOB, {"id": await start_job(gql, operator)}, None


async def _console_job(
    db: Any, status: JobStatus, document: str
) -> tuple[str, dict[str, Any], str | None]:
    """A job left in ``status`` and never dispatched, for jobRetry/jobCancel."""
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, PING, {"steps": 1})
        job.status = status
    probe = f"SELECT status FROM jobs WHERE id = {job.id}"
    return document, {"id": encode("Job", job.id)}, probe


async def _job_retry(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return await _console_job(db, JobStatus.FAILED, JOB_RETRY)


async def _job_cancel(db: Any, gql: Any, operator: str) -> tuple[str, dict[str, Any], str | None]:
    return await _console_job(db, JobStatus.QUEUED, JOB_CANCEL)


async def _webhook_replay(
    db: Any, gql: Any, operator: str
) -> tuple[str, dict[str, Any], str | None]:
    async with unit_of_work(db.sessions) as session:
        dead = OutboxMessage(
            topic="t",
            url="http://127.0.0.1:9/h",
            secret="s",
            payload={},
            status=OutboxStatus.FAILED,
            attempts=8,
            next_attempt_at=utcnow(),
        )
        session.add(dead)
        await session.flush()
    probe = f"SELECT status FROM outbox_messages WHERE id = {dead.id}"
    return WEBHOOK_REPLAY, {"id": encode("OutboxMessage", dead.id)}, probe


JOBS = "{ jobs { nodes { id } } }"
WEBHOOK_DELIVERIES = "{ webhookDeliveries { nodes { id } } }"
_JOB_PAYLOAD = "job { id } userErrors { code }"
JOB_RETRY = f"mutation($id: ID!) {{ jobRetry(input: {{id: $id}}) {{ {_JOB_PAYLOAD} }} }}"
JOB_CANCEL = f"mutation($id: ID!) {{ jobCancel(input: {{id: $id}}) {{ {_JOB_PAYLOAD} }} }}"
WEBHOOK_REPLAY = (
    "mutation($id: ID!) { webhookDeliveryReplay(input: {id: $id}) "
    "{ delivery { id } userErrors { code } } }"
)


OPERATOR_ONLY = frozenset({"operator"})


OPS = [
    Op("warehouseCreate", OPERATOR_ONLY, _warehouse_create),
    Op("leaderApply", frozenset({"customer"}), _leader_apply),
    Op("leaderApprove", OPERATOR_ONLY, _decision(APPROVE, _pending)),
    Op("leaderReject", OPERATOR_ONLY, _decision(REJECT, _pending)),
    Op("leaderSuspend", OPERATOR_ONLY, _decision(SUSPEND, approved_leader)),
    Op("leaderReinstate", OPERATOR_ONLY, _decision(REINSTATE, suspended_leader)),
    Op("diagnosticsPingStart", OPERATOR_ONLY, _ping_start),
    Op("leaders", OPERATOR_ONLY, _query(LEADERS)),
    Op("pickupPoints", frozenset({"operator", "dispatcher", "customer"}), _query(PICKUP_POINTS)),
    Op("warehouses", frozenset({"operator", "dispatcher", "supplier"}), _query(WAREHOUSES)),
    Op("job", SIGNED_IN, _job, nullable=True),
    Op("jobs", OPERATOR_ONLY, _query(JOBS)),
    Op("jobRetry", OPERATOR_ONLY, _job_retry),
    Op("jobCancel", OPERATOR_ONLY, _job_cancel),
    Op("webhookDeliveries", OPERATOR_ONLY, _query(WEBHOOK_DELIVERIES)),
    Op("webhookDeliveryReplay", OPERATOR_ONLY, _webhook_replay),
]


async def token_for(role: str, db: Any, gql: Any, operator: str) -> str | None:
    if role == "anonymous":
        return None
    if role == "operator":
        return operator
    if role == "leader":
        token, _ = await approved_leader(db, gql, operator)
        body = await gql("{ viewer { role } }", token=token)
        assert body["data"]["viewer"]["role"] == "LEADER"
        return token
    _, token = await db.user(Role[role.upper()])
    return str(token)


def expected(role: str, op: Op) -> str:
    if role == "anonymous":
        return "UNAUTHENTICATED"
    return "ok" if role in op.allowed else "FORBIDDEN"


async def attempt(db: Any, gql: Any, role: str, op: Op) -> str:
    """Run ``op`` as ``role`` on fresh data; what happened, in one word (or a
    description of what went wrong)."""
    _, operator = await db.user(Role.OPERATOR)
    actor = await token_for(role, db, gql, operator)
    document, variables, probe = await op.prepare(db, gql, operator)
    before = await db.scalar(probe) if probe else None

    body = await gql(document, variables, token=actor)

    changed = probe is not None and await db.scalar(probe) != before
    codes = error_codes(body)
    if codes:
        if (body["data"] or {}).get(op.field) is not None:
            return f"{codes} with data {body['data']}"
        refused = " ".join(str(c) for c in codes)
        return f"{refused}, yet the data changed" if changed else refused
    result = body["data"][op.field]
    if result is None and not op.nullable:
        return f"null without an error: {body}"
    if result and result.get("userErrors"):
        return f"userErrors {result['userErrors']}"
    if probe and not changed:
        return "went through but changed nothing"
    return "ok"


@pytest.mark.parametrize("op", OPS, ids=repr)
async def test_role_matrix(db, gql, op: Op) -> None:
    """Each role on its own fresh data: anonymous callers must sign in, other
    roles are refused unless the operation is theirs, and a refused call
    changes nothing."""
    outcomes = {role: await attempt(db, gql, role, op) for role in ROLES}
    assert outcomes == {role: expected(role, op) for role in ROLES}
