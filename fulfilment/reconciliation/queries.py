"""Reading a date's result: its newest finished run and that run's
mismatch lines (a page at a time, or all of them for the export)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.reconciliation.models import ReconciliationMismatch, ReconciliationRun


async def latest_run(session: AsyncSession, bill_date: date) -> ReconciliationRun | None:
    """The date's result: its newest finished run, if it has one."""
    return await session.scalar(
        select(ReconciliationRun)
        .where(ReconciliationRun.bill_date == bill_date, ReconciliationRun.finished_at.is_not(None))
        .order_by(ReconciliationRun.finished_at.desc(), ReconciliationRun.id.desc())
        .limit(1)
    )


async def mismatch_page(
    session: AsyncSession, run_id: int, after_id: int | None, limit: int
) -> Sequence[ReconciliationMismatch]:
    """Up to ``limit`` mismatch lines of a run, in id order, after ``after_id``."""
    stmt = select(ReconciliationMismatch).where(ReconciliationMismatch.run_id == run_id)
    if after_id is not None:
        stmt = stmt.where(ReconciliationMismatch.id > after_id)
    return (await session.scalars(stmt.order_by(ReconciliationMismatch.id).limit(limit))).all()


async def all_mismatches(session: AsyncSession, run_id: int) -> Sequence[ReconciliationMismatch]:
    """Every mismatch line of a run, in id order (the export's sheet)."""
    return (
        await session.scalars(
            select(ReconciliationMismatch)
            .where(ReconciliationMismatch.run_id == run_id)
            .order_by(ReconciliationMismatch.id)
        )
    ).all()
