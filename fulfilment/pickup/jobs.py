"""Jobs of pickup: completing orders nobody collected within the configured
days after delivery, and reminding customers of today's uncollected orders
(both read from the process's settings)."""

from __future__ import annotations

from typing import Any

from fulfilment.pickup.recording import auto_complete_pickups
from fulfilment.pickup.reminders import remind_uncollected
from fulfilment.pickup.rules import PickupRules
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.notifications import gateway_from

AUTO_COMPLETE = "pickups.auto_complete"
REMIND = "pickups.remind"


periodic(AUTO_COMPLETE, every_s=600)
# Every ten minutes: reminders go out shortly after the configured time, and
# a run after an outage that same evening catches up (each order once).
periodic(REMIND, every_s=600)


@job_handler(AUTO_COMPLETE)
async def complete_uncollected(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Complete the orders not collected in time, a batch per transaction;
    each accrues its leader's commission as if collected."""
    rules = PickupRules.of(ctx.settings)
    completed = 0
    while True:
        async with ctx.step() as session:
            count = await auto_complete_pickups(session, utcnow(), rules)
        completed += count
        await ctx.report(0.5 if count else 1.0, f"{completed} orders completed")
        if count == 0:
            return {"completed": completed}


@job_handler(REMIND)
async def remind_customers(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Remind customers of today's delivered orders not yet collected at the
    configured local time, once per order, a batch per transaction."""
    settings = ctx.settings
    gateway = gateway_from(settings)
    reminded = 0
    while True:
        async with ctx.step() as session:
            count = await remind_uncollected(
                session,
                utcnow(),
                zone=settings.zone,
                remind_at=settings.pickup_reminder_at,
                gateway=gateway,
            )
        reminded += count
        await ctx.report(0.5 if count else 1.0, f"{reminded} customers reminded")
        if count == 0:
            return {"reminded": reminded}
