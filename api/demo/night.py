"""The night after the cutoff: the cutoff job (which consolidates purchase
orders), suppliers confirming (a few lines short), the warehouse receiving
(a few units failing QC), the day's shortages allocated and refunded, and
sorting into per-point loads."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.context import Day
from api.demo.steps import Bar
from api.job_runs import ProgressCallback, run_now
from fulfilment.purchasing import receiving
from fulfilment.purchasing.jobs import ALLOCATE, CUTOFF
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from fulfilment.sorting.jobs import SORT
from kernel.accounts import User
from kernel.db import unit_of_work

SHORT_CONFIRMED_LINES = 3  # lines suppliers cannot fill completely
QC_FAILED_LINES = 2  # lines where some units fail the warehouse's check
DayLines = dict[PurchaseOrder, list[PurchaseOrderLine]]


def reporting(bar: Bar) -> ProgressCallback:
    """A job's progress (0–1) shown on ``bar`` (out of 100)."""
    return lambda fraction, message: bar.set(fraction * 100, 100, message)


async def day_lines(session: AsyncSession, warehouse_id: int, delivery_date: date) -> DayLines:
    """The day's purchase orders with the lines of their current revision."""
    rows = await session.execute(
        select(PurchaseOrder, PurchaseOrderLine)
        .join(
            PurchaseOrderLine,
            (PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            & (PurchaseOrderLine.revision == PurchaseOrder.revision),
        )
        .where(
            PurchaseOrder.warehouse_id == warehouse_id,
            PurchaseOrder.delivery_date == delivery_date,
        )
        .order_by(PurchaseOrder.id, PurchaseOrderLine.product_id)
    )
    lines: dict[PurchaseOrder, list[PurchaseOrderLine]] = {}
    for po, line in rows.all():
        lines.setdefault(po, []).append(line)
    return lines


async def run_night(day: Day) -> Counter[str]:
    """The night's steps; a tally of what they did."""
    night: Counter[str] = Counter()
    await _cutoff(day, night)
    await supply(day, night)
    await _allocate_and_sort(day, night)
    return night


async def supply(day: Day, night: Counter[str]) -> None:
    """After the cutoff: suppliers confirm the day's purchase orders (a few
    lines short) and the warehouse receives them (a few units failing QC)
    and closes receiving; ``night`` tallies it."""
    sessions, region, timeline = day.sessions, day.region, day.timeline
    async with sessions() as session:
        lines = await day_lines(session, region.warehouse_id, timeline.delivery_date)
    everything = [(po, line) for po, po_lines in lines.items() for line in po_lines]
    wanted = min(len(everything), SHORT_CONFIRMED_LINES + QC_FAILED_LINES)
    picked = day.rng.sample(everything, wanted)
    short = {line.id: line for _, line in picked[:SHORT_CONFIRMED_LINES]}
    failing = {line.id for _, line in picked[SHORT_CONFIRMED_LINES:]}
    confirmed = await _confirm(day, lines, short, night)
    await _receive(day, lines, confirmed, failing, night)


async def _cutoff(day: Day, night: Counter[str]) -> None:
    """The cutoff job, which also consolidates the purchase orders."""
    sessions, region, steps = day.sessions, day.region, day.steps
    with steps.step("Cutoff and consolidation (job)", total=100) as bar:
        result = await run_now(
            sessions,
            CUTOFF,
            {"campaign_id": region.campaign_id, "early": True},
            created_by_id=region.operator_id,
            key=f"{CUTOFF}:{region.campaign_id}",
            on_progress=reporting(bar),
        )
        night["purchase_orders"] = len(result["purchase_orders"])
        bar.note = (
            f"{result['expired_orders']} unpaid expired, {result['cancelled_items']} item below "
            f"its threshold ({result['refunded_lines']} lines refunded), "
            f"{night['purchase_orders']} purchase orders"
        )


async def _confirm(
    day: Day, lines: DayLines, short: dict[int, PurchaseOrderLine], night: Counter[str]
) -> dict[int, dict[int, int]]:
    """Suppliers confirm every purchase order, the ``short`` lines short."""
    sessions, timeline, steps = day.sessions, day.timeline, day.steps
    orders = list(lines)
    confirmed: dict[int, dict[int, int]] = {}
    with steps.step("Suppliers confirm purchase orders", total=len(orders)) as bar:
        for po in orders:
            units = confirmed[po.id] = {}
            for line in lines[po]:
                # Short by more than the case-rounding surplus, so customers feel it.
                missing = line.surplus_units + max(1, line.ordered_units // 8)
                short_by = min(missing, line.purchase_units) if line.id in short else 0
                units[line.product_id] = line.purchase_units - short_by
                night["short_confirmed_units"] += short_by
            async with unit_of_work(sessions) as session:
                _, summary = await receiving.confirm(
                    session, po.id, po.supplier_id, units, timeline.at(0, 30)
                )
            night["shorted_units"] += summary.units
            night["shortage_refund_fen"] += summary.refund_fen
            bar.advance()
        bar.note = f"{len(short)} lines short, {night['short_confirmed_units']} units"
    return confirmed


async def _receive(
    day: Day,
    lines: DayLines,
    confirmed: dict[int, dict[int, int]],
    failing: set[int],
    night: Counter[str],
) -> None:
    """Receiving records what arrived, the ``failing`` lines partly failing QC."""
    sessions, region, timeline, steps = day.sessions, day.region, day.timeline, day.steps
    orders = list(lines)
    with steps.step("Receiving and QC, receiving closed", total=len(orders)) as bar:
        async with sessions() as session:
            clerk = await session.get(User, region.operator_id)
            assert clerk is not None
        for po in orders:
            async with unit_of_work(sessions) as session:
                for line in lines[po]:
                    arrived = confirmed[po.id][line.product_id]
                    accepted = max(0, arrived - 2) if line.id in failing else arrived
                    night["qc_rejected_units"] += arrived - accepted
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
            night["shorted_units"] += summary.units
            night["shortage_refund_fen"] += summary.refund_fen
            bar.advance()
        bar.note = f"{night['qc_rejected_units']} units failed QC"


async def _allocate_and_sort(day: Day, night: Counter[str]) -> None:
    """The shortage allocation job, then the sorting job."""
    sessions, region, timeline, steps = day.sessions, day.region, day.timeline, day.steps
    warehouse_day = {
        "warehouse_id": region.warehouse_id,
        "delivery_date": timeline.delivery_date.isoformat(),
    }
    with steps.step("Shortage allocation (job)", total=100) as bar:
        result = await run_now(
            sessions,
            ALLOCATE,
            warehouse_day,
            created_by_id=region.operator_id,
            on_progress=reporting(bar),
        )
        night["shorted_units"] += result["shorted_units"]
        night["shortage_refund_fen"] += result["refund_fen"]
        bar.note = (
            f"{night['shorted_units']} units short in all, "
            f"¥{night['shortage_refund_fen'] / 100:,.2f} refunded"
        )
    with steps.step("Sorting (job)", total=100) as bar:
        result = await run_now(
            sessions,
            SORT,
            {**warehouse_day, "tote_volume_ml": day.settings.tote_volume_ml},
            created_by_id=region.operator_id,
            on_progress=reporting(bar),
        )
        bar.note = (
            f"{result['pickup_points']} points, {result['units']:,} units, "
            f"{result['totes']:,} totes"
        )
