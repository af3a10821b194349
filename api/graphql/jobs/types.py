"""Background jobs as the client sees them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.ids import node_db_ids
from api.graphql.permissions import can_see_job
from api.graphql.users import UserType
from kernel.accounts import Role
from kernel.jobs.models import Job, JobStatus

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")


def _operator(info: Info) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.role is Role.OPERATOR


@strawberry.type(name="Job")
class JobType(relay.Node):
    id: relay.NodeID[int]
    kind: str
    status: JobStatusEnum  # type: ignore[valid-type]
    progress: float = strawberry.field(description="0 to 1.")
    message: str
    result: JSON | None
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    key: str | None = strawberry.field(
        description="Starting again with this key answers this job (a failed one runs again)."
    )
    request_id: str | None = strawberry.field(
        description="The X-Request-ID of the HTTP request that queued it."
    )
    created_by_id: strawberry.Private[int | None]
    stored_payload: strawberry.Private[dict[str, Any]]
    claimed_by: strawberry.Private[str | None]

    @strawberry.field(description="What the job was asked to do (operators only; else null).")
    def payload(self, info: Info) -> JSON | None:
        return cast(JSON, self.stored_payload) if _operator(info) else None

    @strawberry.field(
        description="The process running it, or that ran it last, as host:pid: the worker "
        "to look at when it stalls (operators only; else null). Null while queued."
    )
    def worker(self, info: Info) -> str | None:
        return self.claimed_by if _operator(info) else None

    @strawberry.field(description="Who started it; null for the platform's own jobs.")
    async def created_by(self, info: Info) -> UserType | None:
        if self.created_by_id is None:
            return None
        user = await info.context.loaders.user.load(self.created_by_id)
        return None if user is None else UserType.of(user)

    @classmethod
    def of(cls, job: Job) -> JobType:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            progress=job.progress,
            message=job.message,
            result=cast(JSON, job.result),
            error=job.error,
            attempts=job.attempts,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            key=job.key,
            request_id=job.request_id,
            created_by_id=job.created_by_id,
            stored_payload=dict(job.payload or {}),
            claimed_by=job.worker,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[JobType | None]:
        ids = node_db_ids(node_ids)
        # Jobs change while being watched: read them fresh, not from the identity map.
        stmt = select(Job).where(Job.id.in_(ids)).execution_options(populate_existing=True)
        found = {job.id: job for job in (await info.context.session.execute(stmt)).scalars()}
        viewer = info.context.viewer
        return [
            cls.of(found[i]) if i in found and can_see_job(viewer, found[i]) else None for i in ids
        ]
