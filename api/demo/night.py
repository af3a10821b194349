"""The night after the cutoff: the cutoff job (which consolidates purchase
orders), suppliers confirming (a few lines short), the warehouse receiving
(a few units failing QC), the day's shortages allocated and refunded, and
sorting into per-point loads."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.region import Region
from api.demo.steps import Bar, Steps
from api.demo.timeline import Timeline
from api.job_runs import ProgressCallback, run_now
from fulfilment import receiving
from fulfilment.jobs import ALLOCATE, CUTOFF, SORT
from fulfilment.models import PurchaseOrder, PurchaseOrderLine
from kernel.accounts import User
from kernel.db import unit_of_work
from kernel.settings import Settings

SHORT_CONFIRMED_LINES = 3  # lines suppliers cannot fill completely
QC_FAILED_LINES = 2  # lines where some units fail the warehouse's check


@dataclass
class Night:
    purchase_orders: int = 0
    short_confirmed_units: int = 0
    qc_rejected_units: int = 0
    shorted_units: int = 0
    shortage_refund_fen: int = 0


def reporting(bar: Bar) -> ProgressCallback:
    """A job's progress (0–1) shown on ``bar`` (out of 100)."""
    return lambda fraction, message: bar.set(fraction * 100, 100, message)


async def day_purchase_orders(
    session: AsyncSession, region: Region, timeline: Timeline
) -> list[PurchaseOrder]:
    rows = await session.execute(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.warehouse_id == region.warehouse_id,
            PurchaseOrder.delivery_date == timeline.delivery_date,
        )
        .order_by(PurchaseOrder.id)
    )
    return list(rows.scalars())


async def current_lines(session: AsyncSession, po: PurchaseOrder) -> list[PurchaseOrderLine]:
    rows = await session.execute(
        select(PurchaseOrderLine)
        .where(
            PurchaseOrderLine.purchase_order_id == po.id,
            PurchaseOrderLine.revision == po.revision,
        )
        .order_by(PurchaseOrderLine.product_id)
    )
    return list(rows.scalars())


async def run_night(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    region: Region,
    timeline: Timeline,
    rng: random.Random,
    steps: Steps,
) -> Night:
    night = Night()
    day = {"warehouse_id": region.warehouse_id, "delivery_date": timeline.delivery_date.isoformat()}
    with steps.step("Cutoff and consolidation (job)", total=100) as bar:
        result = await run_now(
            sessions,
            CUTOFF,
            {"campaign_id": region.campaign_id, "early": True},
            created_by_id=region.operator_id,
            key=f"{CUTOFF}:{region.campaign_id}",
            on_progress=reporting(bar),
        )
        night.purchase_orders = len(result["purchase_orders"])
        bar.note = (
            f"{result['expired_orders']} unpaid expired, {result['cancelled_items']} item below "
            f"its threshold ({result['refunded_lines']} lines refunded), "
            f"{night.purchase_orders} purchase orders"
        )
    async with sessions() as session:
        orders = await day_purchase_orders(session, region, timeline)
        lines = {po.id: await current_lines(session, po) for po in orders}
    everything = [(po, line) for po in orders for line in lines[po.id]]
    picked = rng.sample(everything, min(len(everything), SHORT_CONFIRMED_LINES + QC_FAILED_LINES))
    short = {line.id: line for _, line in picked[:SHORT_CONFIRMED_LINES]}
    failing = {line.id for _, line in picked[SHORT_CONFIRMED_LINES:]}
    with steps.step("Suppliers confirm purchase orders", total=len(orders)) as bar:
        for po in orders:
            units = {}
            for line in lines[po.id]:
                # Short by more than the case-rounding surplus, so customers feel it.
                missing = line.surplus_units + max(1, line.ordered_units // 8)
                confirmed = max(0, line.purchase_units - missing) if line.id in short else None
                units[line.product_id] = line.purchase_units if confirmed is None else confirmed
                night.short_confirmed_units += line.purchase_units - units[line.product_id]
            async with unit_of_work(sessions) as session:
                _, summary = await receiving.confirm(
                    session, po.id, po.supplier_id, units, timeline.at(0, 30)
                )
            night.shorted_units += summary.units
            night.shortage_refund_fen += summary.refund_fen
            bar.advance()
        bar.note = f"{len(short)} lines short, {night.short_confirmed_units} units"
    with steps.step("Receiving and QC, receiving closed", total=len(orders)) as bar:
        async with sessions() as session:
            clerk = await session.get(User, region.operator_id)
            assert clerk is not None
        for po in orders:
            async with unit_of_work(sessions) as session:
                for line in await current_lines(session, po):
                    arrived = line.confirmed_units or 0
                    accepted = max(0, arrived - 2) if line.id in failing else arrived
                    night.qc_rejected_units += arrived - accepted
                    await receiving.record_receipt(
                        session,
                        po.id,
                        line.product_id,
                        received=arrived,
                        accepted=accepted,
                        delivery_ref=f"DN{po.id:04d}{line.product_id:04d}",
                        by=clerk,
                        now=timeline.at(3),
                    )
                _, summary = await receiving.close_receiving(session, po.id, timeline.at(4))
            night.shorted_units += summary.units
            night.shortage_refund_fen += summary.refund_fen
            bar.advance()
        bar.note = f"{night.qc_rejected_units} units failed QC"
    with steps.step("Shortage allocation (job)", total=100) as bar:
        result = await run_now(
            sessions, ALLOCATE, day, created_by_id=region.operator_id, on_progress=reporting(bar)
        )
        night.shorted_units += result["shorted_units"]
        night.shortage_refund_fen += result["refund_fen"]
        bar.note = (
            f"{night.shorted_units} units short in all, "
            f"¥{night.shortage_refund_fen / 100:,.2f} refunded"
        )
    with steps.step("Sorting (job)", total=100) as bar:
        result = await run_now(
            sessions,
            SORT,
            {**day, "tote_volume_ml": settings.tote_volume_ml},
            created_by_id=region.operator_id,
            on_progress=reporting(bar),
        )
        bar.note = (
            f"{result['pickup_points']} points, {result['units']:,} units, "
            f"{result['totes']:,} totes"
        )
    return night
