"""Jobs of after-sale: approving requests nobody answered within the
configured hours (read from the process's settings)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fulfilment.after_sale.requests import approve_after_sale, overdue_requests
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.jobs.registry import JobContext, job_handler, periodic

AUTO_APPROVE = "after_sale.auto_approve"


periodic(AUTO_APPROVE, every_s=300)


@job_handler(AUTO_APPROVE)
async def approve_overdue(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Approve the after-sale requests left unanswered too long, each in its
    own transaction; one an operator decided meanwhile stays as decided.
    One batch per run: the next run takes the rest."""
    after = timedelta(hours=ctx.settings.after_sale_auto_approve_hours)
    async with ctx.step() as session:
        due = await overdue_requests(session, utcnow(), after)
    approved = 0
    for done, request_id in enumerate(due, start=1):
        try:
            async with ctx.step() as session:
                await approve_after_sale(session, request_id, decided_by_id=None, now=utcnow())
            approved += 1
        except DomainError:
            pass
        if done % 50 == 0:
            await ctx.report(done / len(due), f"{approved} requests approved")
    return {"approved": approved, "skipped": len(due) - approved}
