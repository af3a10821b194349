"""Jobs of reconciliation: ``payments.reconcile`` reconciles one date (an
operator's ``reconciliationRun``, or the daily sweep), and
``payments.reconcile_due`` is that sweep: hourly, once WeChat Pay's bills of
yesterday are out (10:00 China time), it reconciles yesterday unless a run
of it finished already. A failed day is thus tried again the next hour;
a date is reconciled by the sweep once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from fulfilment.reconciliation.models import ReconciliationRun
from fulfilment.reconciliation.platform import CHINA
from fulfilment.reconciliation.service import reconcile
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.wechatpay.provider import payment_provider

RECONCILE = "payments.reconcile"


RECONCILE_DUE = "payments.reconcile_due"


# WeChat Pay makes the previous day's bills after 09:00 China time; an hour
# of margin.
BILLS_READY = time(10, 0)


periodic(RECONCILE_DUE, every_s=3600)


def reconcile_key(bill_date: date, request_key: str) -> str:
    """The key of an operator's run request: asked again with the same
    request key (a retried mutation), the date is reconciled once."""
    return f"{RECONCILE}:{bill_date.isoformat()}:{request_key}"


def due_date(now: datetime) -> date | None:
    """The date the sweep reconciles at ``now``: yesterday (China time)
    once its bills are out, else None."""
    china = now.astimezone(CHINA)
    return china.date() - timedelta(days=1) if china.time() >= BILLS_READY else None


async def _run(ctx: JobContext, bill_date: date) -> dict[str, Any]:
    async with payment_provider() as client:
        if client is None:
            return {"date": bill_date.isoformat(), "skipped": "WeChat Pay is off"}
        await ctx.report(0.1, f"reconciling {bill_date.isoformat()}")
        run_id, outcome = await reconcile(ctx.sessions, client, bill_date, ctx.job_id)
    return {
        "date": bill_date.isoformat(),
        "run_id": run_id,
        "matched": outcome.matched,
        "mismatches": len(outcome.mismatches),
        "provider_paid_fen": outcome.provider_paid_fen,
        "platform_paid_fen": outcome.platform_paid_fen,
        "provider_refunded_fen": outcome.provider_refunded_fen,
        "platform_refunded_fen": outcome.platform_refunded_fen,
    }


@job_handler(RECONCILE)
async def reconcile_date(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Reconcile ``payload["date"]``: its result replaces the date's last."""
    return await _run(ctx, date.fromisoformat(str(payload["date"])))


@job_handler(RECONCILE_DUE)
async def reconcile_due(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Hourly: yesterday, once its bills are out and until a run of it finished."""
    bill_date = due_date(utcnow())
    if bill_date is None:
        return {"skipped": "yesterday's bills are not out yet"}
    async with ctx.step() as session:
        done = await session.scalar(
            select(ReconciliationRun.id)
            .where(
                ReconciliationRun.bill_date == bill_date,
                ReconciliationRun.finished_at.is_not(None),
            )
            .limit(1)
        )
    if done is not None:
        return {"date": bill_date.isoformat(), "run_id": done, "skipped": "reconciled already"}
    return await _run(ctx, bill_date)
