"""Jobs of pickup: completing orders nobody collected within the configured
days after delivery (read from the process's settings)."""

from __future__ import annotations

from typing import Any

from fulfilment.pickup.recording import auto_complete_pickups
from fulfilment.pickup.rules import PickupRules
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.settings import get_settings

AUTO_COMPLETE = "pickups.auto_complete"


periodic(AUTO_COMPLETE, every_s=600)


@job_handler(AUTO_COMPLETE)
async def complete_uncollected(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Complete the orders not collected in time, a batch per transaction;
    each accrues its leader's commission as if collected."""
    rules = PickupRules.of(get_settings())
    completed = 0
    while True:
        async with ctx.step() as session:
            count = await auto_complete_pickups(session, utcnow(), rules)
        completed += count
        await ctx.report(0.5 if count else 1.0, f"{completed} orders completed")
        if count == 0:
            return {"completed": completed}
