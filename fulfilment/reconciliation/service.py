"""Reconciling one bill date: the run is opened, the bill downloaded (no
transaction open during an HTTP call), the platform's side read in one
short read, matched in Python, and the result written in one transaction
that also drops the mismatch lines of the date's older runs."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fulfilment.reconciliation import platform
from fulfilment.reconciliation.matching import (
    PAID,
    REFUNDED,
    Outcome,
    PlatformPayment,
    PlatformRefund,
    match_payments,
    match_refunds,
    parse_out_refund_no,
)
from fulfilment.reconciliation.models import ReconciliationMismatch, ReconciliationRun
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.wechatpay.bill import TradeBill
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import WechatPayRefused

log = logging.getLogger("tuangou.reconciliation")

# Rows per INSERT of mismatch lines: one statement per batch, not per line.
WRITE_BATCH = 1000


@dataclass(frozen=True)
class PlatformSide:
    """What the platform knows, read for one bill."""

    by_order: dict[str, list[PlatformPayment]]
    by_refund_id: dict[int, PlatformRefund]
    payments: list[PlatformPayment]
    refunds: list[PlatformRefund]


async def read_platform(session: AsyncSession, bill: TradeBill, bill_date: date) -> PlatformSide:
    """The notifications and refunds the bill names, and what the platform
    booked in the date's China day."""
    paid = [r for r in bill.rows if r.state == PAID]
    refund_ids = [
        parsed[0]
        for r in bill.rows
        if r.state == REFUNDED and (parsed := parse_out_refund_no(r.out_refund_no))
    ]
    return PlatformSide(
        by_order=await platform.notifications_of(session, (r.out_trade_no for r in paid)),
        by_refund_id=await platform.refunds_by_id(session, refund_ids),
        payments=await platform.payments_in(session, bill_date),
        refunds=await platform.refunds_in(session, bill_date),
    )


async def _billed_the_day_before(
    client: WechatPayClient, bill: TradeBill, side: PlatformSide, bill_date: date
) -> tuple[set[str], set[str]]:
    """Transaction ids and out_refund_nos of the previous day's bill, when
    the platform booked on this day something the bill lacks: a payment at
    23:59:59 whose notification came after midnight is the day before's."""
    paid = {r.transaction_id for r in bill.rows if r.state == PAID}
    refunded = {r.out_refund_no for r in bill.rows if r.state == REFUNDED}
    if all(p.transaction_id in paid for p in side.payments) and all(
        r.out_refund_no in refunded for r in side.refunds
    ):
        return set(), set()
    try:
        before = await client.trade_bill(bill_date - timedelta(days=1))
    except WechatPayRefused as exc:
        # No bill for that day (too old, or none made): nothing is excused.
        log.warning("no bill of %s to check the day's edge against: %s", bill_date, exc)
        return set(), set()
    return (
        {r.transaction_id for r in before.rows if r.state == PAID},
        {r.out_refund_no for r in before.rows if r.state == REFUNDED},
    )


def match(bill: TradeBill, side: PlatformSide, elsewhere: tuple[set[str], set[str]]) -> Outcome:
    """The bill against the platform's side: counts, totals, mismatches."""
    outcome = Outcome()
    match_payments(
        outcome,
        (r for r in bill.rows if r.state == PAID),
        side.by_order,
        side.payments,
        elsewhere[0],
    )
    match_refunds(
        outcome,
        (r for r in bill.rows if r.state == REFUNDED),
        side.by_refund_id,
        side.refunds,
        elsewhere[1],
    )
    return outcome


async def open_run(session: AsyncSession, bill_date: date, job_id: int | None) -> int:
    """A new run of ``bill_date``, not finished: no result until it is."""
    run = ReconciliationRun(bill_date=bill_date, job_id=job_id, started_at=utcnow())
    session.add(run)
    await session.flush()
    return run.id


async def record(session: AsyncSession, run_id: int, outcome: Outcome, now: datetime) -> None:
    """Write the outcome on its run, and forget the mismatch lines of the
    date's older runs (their totals stay, as history)."""
    run = await session.get(ReconciliationRun, run_id)
    assert run is not None
    totals = {k: v for k, v in asdict(outcome).items() if k != "mismatches"}
    await session.execute(
        update(ReconciliationRun)
        .where(ReconciliationRun.id == run_id)
        .values(**totals, mismatches=len(outcome.mismatches), finished_at=now)
    )
    older = select(ReconciliationRun.id).where(
        ReconciliationRun.bill_date == run.bill_date, ReconciliationRun.id != run_id
    )
    await session.execute(
        delete(ReconciliationMismatch).where(ReconciliationMismatch.run_id.in_(older))
    )
    lines = [{**asdict(m), "run_id": run_id} for m in outcome.mismatches]
    for start in range(0, len(lines), WRITE_BATCH):
        await session.execute(insert(ReconciliationMismatch), lines[start : start + WRITE_BATCH])


async def reconcile(
    sessions: async_sessionmaker[AsyncSession],
    client: WechatPayClient,
    bill_date: date,
    job_id: int | None = None,
) -> tuple[int, Outcome]:
    """Reconcile ``bill_date``; returns the run's id and what it found.
    A failure (the provider down, a bill not to be believed) leaves the run
    unfinished: the date's result stays the previous finished run's."""
    async with unit_of_work(sessions) as session:
        run_id = await open_run(session, bill_date, job_id)
    bill = await client.trade_bill(bill_date)
    async with unit_of_work(sessions) as session:
        side = await read_platform(session, bill, bill_date)
    elsewhere = await _billed_the_day_before(client, bill, side, bill_date)
    outcome = match(bill, side, elsewhere)
    async with unit_of_work(sessions) as session:
        await record(session, run_id, outcome, utcnow())
    return run_id, outcome
