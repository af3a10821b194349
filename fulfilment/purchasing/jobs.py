"""Jobs of the night's purchasing: cutoff (one campaign, or every campaign
whose cutoff is due), consolidation into purchase orders, and the shortage
allocation once receiving is closed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.cutoff import check_cutoff_due, run_cutoff
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.purchasing.shortages import allocate_shortages
from kernel.clock import utcnow
from kernel.errors import NotFound
from kernel.jobs.models import JobStatus
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.jobs.service import job_by_key

CUTOFF = "campaigns.cutoff"


def cutoff_key(campaign_id: int) -> str:
    """The key of a campaign's cutoff job: a campaign is cut off once."""
    return f"{CUTOFF}:{campaign_id}"


async def cutoff_payload(
    session: AsyncSession, campaign_id: int, now: datetime, *, early: bool
) -> dict[str, Any]:
    """The payload to start the campaign's cutoff job with. An early and an
    on-time cutoff are one cutoff under one key, so once either was started
    the payload is the started job's: the second request answers that job
    instead of meeting another payload under its key (IDEMPOTENCY_CONFLICT).
    A started job that failed is run again as it was asked, once the new
    request's own timing rule allows it."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campaign", ["id"])
    started = await job_by_key(session, cutoff_key(campaign_id))
    if started is not None and started.kind == CUTOFF and started.status is not JobStatus.FAILED:
        return dict(started.payload)
    check_cutoff_due(campaign, now, early=early)
    if started is not None and started.kind == CUTOFF:
        return dict(started.payload)
    return {"campaign_id": campaign_id, "early": early}


CUTOFF_DUE = "campaigns.cutoff_due"


CONSOLIDATE = "purchasing.consolidate"


periodic(CUTOFF_DUE, every_s=60)


@job_handler(CUTOFF)
async def cutoff_campaign(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Cut one campaign off (``early``: an operator closing it now), then
    consolidate its warehouse's purchase orders for the delivery date."""
    async with ctx.step() as session:
        summary = await run_cutoff(
            session, int(payload["campaign_id"]), utcnow(), early=bool(payload.get("early"))
        )
    await ctx.report(
        0.5,
        f"cut off: {summary.expired_orders} unpaid orders expired, "
        f"{summary.cancelled_items} items below their group threshold",
    )
    consolidated = await _consolidate_for_campaign(ctx, int(payload["campaign_id"]))
    return {**asdict(summary), "purchase_orders": consolidated}


@job_handler(CUTOFF_DUE)
async def cutoff_due_campaigns(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every minute: cut off each campaign whose cutoff time has passed."""
    async with ctx.step() as session:
        due = list(
            (
                await session.execute(
                    select(Campaign.id).where(
                        Campaign.cutoff_at <= utcnow(), Campaign.cutoff_processed_at.is_(None)
                    )
                )
            ).scalars()
        )
    for done, campaign_id in enumerate(due, start=1):
        await cutoff_campaign(ctx, {"campaign_id": campaign_id})
        await ctx.report(done / len(due), f"{done} of {len(due)} campaigns cut off")
    return {"campaigns": due}


@job_handler(CONSOLIDATE)
async def consolidate_purchase_orders(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Re-run consolidation for a warehouse and delivery date (after late
    cancellations): changed POs get a new revision."""
    async with ctx.step() as session:
        orders = await consolidate(
            session,
            int(payload["warehouse_id"]),
            date.fromisoformat(payload["delivery_date"]),
            utcnow(),
        )
        return {"purchase_orders": [{"id": po.id, "revision": po.revision} for po in orders]}


async def _consolidate_for_campaign(ctx: JobContext, campaign_id: int) -> list[dict[str, int]]:
    async with ctx.step() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        open_twins = await session.execute(
            select(Campaign.id).where(
                Campaign.warehouse_id == campaign.warehouse_id,
                Campaign.delivery_date == campaign.delivery_date,
                Campaign.cutoff_processed_at.is_(None),
            )
        )
        if open_twins.first() is not None:
            return []  # the last campaign of the day to cut off consolidates
        orders = await consolidate(session, campaign.warehouse_id, campaign.delivery_date, utcnow())
        return [{"id": po.id, "revision": po.revision} for po in orders]


ALLOCATE = "shortages.allocate"


@job_handler(ALLOCATE)
async def allocate_day(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Allocate what is short on every purchase order of a warehouse's day
    (again after more goods arrived: only the unallocated part is added)."""
    async with ctx.step() as session:
        ids = list(
            (
                await session.execute(
                    select(PurchaseOrder.id).where(
                        PurchaseOrder.warehouse_id == int(payload["warehouse_id"]),
                        PurchaseOrder.delivery_date == date.fromisoformat(payload["delivery_date"]),
                    )
                )
            ).scalars()
        )
    units = refund = 0
    for done, po_id in enumerate(ids, start=1):
        async with ctx.step() as session:
            summary = await allocate_shortages(session, po_id, utcnow())
        units += summary.units
        refund += summary.refund_fen
        await ctx.report(done / len(ids), f"{done} of {len(ids)} purchase orders")
    return {"purchase_orders": len(ids), "shorted_units": units, "refund_fen": refund}
