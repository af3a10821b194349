"""campaignCutoff and purchaseOrdersConsolidate: both start jobs."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import user_error
from api.ids import decode
from api.mutations.jobs import JobStartPayload, start_job
from fulfilment.jobs import CONSOLIDATE, CUTOFF
from fulfilment.models import Campaign, Warehouse
from kernel.accounts import Role
from kernel.errors import DomainError, NotFound


@strawberry.input
class CampaignCutoffInput:
    id: strawberry.ID
    early: bool = strawberry.field(
        default=False, description="Close the campaign now, before its cutoff time."
    )


async def campaign_cutoff(info: Info, input: CampaignCutoffInput) -> JobStartPayload:
    """Cut a campaign off (and consolidate its day's purchase orders) as a
    job; starting it again returns the same job."""
    info.context.require(Role.OPERATOR)
    try:
        campaign_id = decode(input.id, "Campaign", ["id"])
    except DomainError as exc:
        return JobStartPayload(job=None, user_errors=[user_error(exc)])

    async def payload(session: AsyncSession) -> dict[str, Any]:
        if await session.get(Campaign, campaign_id) is None:
            raise NotFound("Campaign", ["id"])
        return {"campaign_id": campaign_id, "early": input.early}

    return await start_job(info, CUTOFF, payload, key=f"{CUTOFF}:{campaign_id}")


@strawberry.input
class PurchaseOrdersConsolidateInput:
    warehouse_id: strawberry.ID
    delivery_date: date


async def purchase_orders_consolidate(
    info: Info, input: PurchaseOrdersConsolidateInput
) -> JobStartPayload:
    """Consolidate again (after late cancellations): changed POs get a new
    revision, unchanged ones keep theirs."""
    info.context.require(Role.OPERATOR)

    async def payload(session: AsyncSession) -> dict[str, Any]:
        warehouse_id = decode(input.warehouse_id, "Warehouse", ["warehouseId"])
        if await session.get(Warehouse, warehouse_id) is None:
            raise NotFound("Warehouse", ["warehouseId"])
        return {"warehouse_id": warehouse_id, "delivery_date": input.delivery_date.isoformat()}

    return await start_job(info, CONSOLIDATE, payload)
