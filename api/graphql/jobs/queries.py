"""``jobs``: the operator's console list of background jobs, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from api.graphql.context import Info
from api.graphql.ids import decode_argument
from api.graphql.jobs.types import JobStatusEnum, JobType
from api.graphql.pagination import Connection, paginate
from kernel.accounts import Role
from kernel.jobs.models import JobStatus
from kernel.jobs.service import JobFilter, list_jobs


@strawberry.type
class JobQuery:
    @strawberry.field(
        description="Background jobs, newest first (operators). warehouseId and date match "
        "the jobs of one warehouse's delivery date (consolidation, sorting, shortage "
        "allocation); see docs/jobs-console.md."
    )
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: str | None = None,
        status: JobStatusEnum | None = None,  # type: ignore[valid-type]
        since: Annotated[
            dt.datetime | None, strawberry.argument(description="Created at or after; inclusive.")
        ] = None,
        until: Annotated[
            dt.datetime | None, strawberry.argument(description="Created before; exclusive.")
        ] = None,
        warehouse_id: strawberry.ID | None = None,
        date: Annotated[
            dt.date | None, strawberry.argument(description="The delivery date the job works on.")
        ] = None,
    ) -> Connection[JobType]:
        info.context.require(Role.OPERATOR)
        where = JobFilter(
            kind=kind,
            status=None if status is None else JobStatus(status),
            since=since,
            until=until,
            warehouse_id=(
                None
                if warehouse_id is None
                else decode_argument(warehouse_id, "Warehouse", ["warehouseId"])
            ),
            delivery_date=date,
        )
        return await paginate(
            info,
            first,
            after,
            lambda before_id, limit: list_jobs(info.context.session, where, before_id, limit),
            JobType.of,
        )
