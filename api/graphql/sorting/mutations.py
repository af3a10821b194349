"""sortingRun, and the warehouse-and-date payload that the night's jobs on
one warehouse's day share (shortagesAllocate uses it too)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.ids import decode
from api.graphql.jobs.mutations import JobStartPayload, start_job
from fulfilment.campaigns.models import Warehouse
from fulfilment.sorting.jobs import SORT
from kernel.accounts import Role
from kernel.errors import NotFound


async def warehouse_day(
    session: AsyncSession, warehouse_id: strawberry.ID, delivery_date: date
) -> dict[str, Any]:
    """The payload of the jobs that work on one warehouse's delivery date."""
    decoded = decode(warehouse_id, "Warehouse", ["warehouseId"])
    if await session.get(Warehouse, decoded) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    return {"warehouse_id": decoded, "delivery_date": delivery_date.isoformat()}


@strawberry.input(description="A warehouse's delivery date.")
class SortingRunInput:
    warehouse_id: strawberry.ID
    delivery_date: date


async def sorting_run(info: Info, input: SortingRunInput) -> JobStartPayload:
    """Sort a warehouse's delivery date (again): pickup point loads and totes."""
    ctx = info.context
    ctx.require(Role.OPERATOR, Role.WAREHOUSE)

    async def payload(session: AsyncSession) -> dict[str, Any]:
        day = await warehouse_day(session, input.warehouse_id, input.delivery_date)
        return {**day, "tote_volume_ml": ctx.settings.tote_volume_ml}

    return await start_job(info, SORT, payload)
