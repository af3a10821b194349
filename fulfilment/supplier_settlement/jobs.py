"""The hourly sweep of supplier statements (supplier_settlement.due).

It issues the newest period whose after-sale window has closed (the same
moment the leaders' settlement waits for: the period's last deliveries are
received and closed by then, and most quality claims on them are in), for
every supplier with something to settle that has no statement of that
period or a later one. Issuing is idempotent, so a sweep that runs again, or
after an operator issued the period by hand, changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.supplier_settlement.models import SupplierStatement
from fulfilment.supplier_settlement.statements import issue_statements
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic
from leaders.commission.settlement import latest_closed_period

DUE = "supplier_settlement.due"


periodic(DUE, every_s=3600)


@job_handler(DUE)
async def supplier_statements_due(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Issue the newest closed period's statements in one transaction."""
    settings = ctx.settings
    now = utcnow()
    period_end = latest_closed_period(now, settings)
    async with ctx.step() as session:
        before = {s.id for s in await _period(session, period_end)}
        issued = await issue_statements(
            session, period_end, settings, supplier_id=None, by=None, now=now
        )
    new = [s.id for s in issued if s.id not in before]
    await ctx.report(1.0, f"{len(new)} statement(s) issued")
    return {"period_end": period_end.isoformat(), "statements": new}


async def _period(session: AsyncSession, period_end: date) -> list[SupplierStatement]:
    rows = await session.execute(
        select(SupplierStatement).where(SupplierStatement.period_end == period_end)
    )
    return list(rows.scalars())
