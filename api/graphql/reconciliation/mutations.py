"""``reconciliationRun``: reconcile a date now (operators), as a job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.jobs.mutations import JobStartPayload, start_job
from fulfilment.reconciliation.errors import not_billed_yet
from fulfilment.reconciliation.jobs import RECONCILE, reconcile_key
from fulfilment.reconciliation.platform import CHINA
from kernel.accounts import Role
from kernel.clock import utcnow


@strawberry.input
class ReconciliationRunInput:
    date: dt.date = strawberry.field(description="The bill date (China time).")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Asking again with the same key answers the first run's job instead of "
        "reconciling again.",
    )


async def reconciliation_run(info: Info, input: ReconciliationRunInput) -> JobStartPayload:
    """Queue ``payments.reconcile`` for the date; its result replaces the
    date's last. WeChat Pay off: the job finishes saying it skipped."""
    info.context.require(Role.OPERATOR)

    async def payload(_: AsyncSession) -> dict[str, Any]:
        today = utcnow().astimezone(CHINA).date()
        if input.date > today:
            raise not_billed_yet(input.date, today)
        return {"date": input.date.isoformat()}

    key = (
        None if input.idempotency_key is None else reconcile_key(input.date, input.idempotency_key)
    )
    return await start_job(info, RECONCILE, payload, key=key)
