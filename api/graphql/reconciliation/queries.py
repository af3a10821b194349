"""``reconciliation(date)``: a date's reconciliation result (operators)."""

from __future__ import annotations

import datetime as dt

import strawberry

from api.graphql.context import Info
from api.graphql.reconciliation.types import ReconciliationType
from fulfilment.reconciliation.queries import latest_run
from kernel.accounts import Role


@strawberry.type
class ReconciliationQuery:
    @strawberry.field(
        description="WeChat Pay's bill of a date matched against the platform's payments "
        "and refunds: the newest finished run's totals and mismatches, or null when the "
        "date was never reconciled (operators)."
    )
    async def reconciliation(self, info: Info, date: dt.date) -> ReconciliationType | None:
        info.context.require(Role.OPERATOR)
        async with info.context.loaders.lock:
            run = await latest_run(info.context.session, date)
        return None if run is None else ReconciliationType.of(run)
