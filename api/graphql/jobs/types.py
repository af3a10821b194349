"""Background jobs as the client sees them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.ids import node_db_ids
from api.graphql.permissions import can_see_job
from kernel.jobs.models import Job, JobStatus

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")


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
