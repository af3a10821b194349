"""Jobs of sorting: one warehouse's day sorted into pick lists and totes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fulfilment.sorting.sorting import sort_day
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler

SORT = "sorting.run"


@job_handler(SORT)
async def sort_warehouse_day(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Sort a warehouse's delivery date: every pickup point's load and totes."""
    async with ctx.step() as session:
        summary = await sort_day(
            session,
            int(payload["warehouse_id"]),
            date.fromisoformat(payload["delivery_date"]),
            tote_volume_ml=int(payload["tote_volume_ml"]),
            now=utcnow(),
        )
    return asdict(summary)
