"""Jobs of orders: the periodic expiry of unpaid orders."""

from __future__ import annotations

from typing import Any

from fulfilment.orders.expiry import expire_unpaid
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic

EXPIRE_UNPAID = "orders.expire_unpaid"


periodic(EXPIRE_UNPAID, every_s=60)


@job_handler(EXPIRE_UNPAID)
async def expire_unpaid_orders(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Expire overdue unpaid orders in batches, one transaction per batch."""
    expired = 0
    while True:
        async with ctx.step() as session:
            count = await expire_unpaid(session, utcnow())
        expired += count
        await ctx.report(0.5 if count else 1.0, f"{expired} orders expired")
        if count == 0:
            return {"expired": expired}
