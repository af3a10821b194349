"""Jobs of sorting: one warehouse's day sorted into pick lists and totes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fulfilment.sorting.grids import sort_for_grids
from fulfilment.sorting.sorting import sort_day
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler

SORT = "sorting.run"


@job_handler(SORT)
async def sort_warehouse_day(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Sort a warehouse's delivery date: every pickup point's load and totes,
    and for a central with grid warehouses, what goes to each grid (stage
    one; the grids sort per point from the points' loads)."""
    warehouse_id = int(payload["warehouse_id"])
    day = date.fromisoformat(payload["delivery_date"])
    tote_volume_ml = int(payload["tote_volume_ml"])
    async with ctx.step() as session:
        now = utcnow()
        summary = await sort_day(session, warehouse_id, day, tote_volume_ml=tote_volume_ml, now=now)
        grids = await sort_for_grids(
            session, warehouse_id, day, tote_volume_ml=tote_volume_ml, now=now
        )
    return asdict(summary) | {"grids": grids.grids, "grid_handling_units": grids.handling_units}
