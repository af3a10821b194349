"""Jobs of the commission ledger: settling a period (commission.settle,
started by an operator or by the hourly sweep), computing levels
(commission.levels) and the hourly sweep itself (commission.due), which
settles the newest closed period and computes last month's levels once.

The sweep settles only a period after the latest one settled: periods are
settled in order, and a database may hold a later settlement than the real
clock's newest closed period (the demo's day runs on a clock ahead of the
real one and settles next week's period). Then the sweep has nothing to do
and says so; it does not fail every hour."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from kernel.clock import business_date, utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.settings import Settings
from leaders.commission.levels import compute_levels, levels_computed_for, previous_month
from leaders.commission.models import Settlement
from leaders.commission.settlement import latest_closed_period, settle

SETTLE = "commission.settle"


LEVELS = "commission.levels"


DUE = "commission.due"


periodic(DUE, every_s=3600)


# What settling depends on, carried in the payload so the job settles the
# period the API checked, with the API's settings.
_SETTLEMENT_KNOBS = ("timezone", "after_sale_window_hours", "settlement_period_days")


def settlement_payload(
    settings: Settings, period_end: date | None, created_by_id: int | None
) -> dict[str, Any]:
    """The payload of a settlement job for ``period_end`` (None: the newest
    closed period when the job runs)."""
    return {
        "period_end": period_end.isoformat() if period_end else None,
        "created_by_id": created_by_id,
        "settings": {knob: getattr(settings, knob) for knob in _SETTLEMENT_KNOBS},
    }


def _settings(ctx: JobContext, payload: dict[str, Any]) -> Settings:
    return ctx.settings.model_copy(update=payload.get("settings") or {})


@job_handler(SETTLE)
async def settle_period(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Settle one period in one transaction: all of it or none."""
    settings = _settings(ctx, payload)
    raw = payload.get("period_end")
    await ctx.report(0.1, "settling")
    async with ctx.step() as session:
        done = await settle(
            session,
            utcnow(),
            settings,
            period_end=date.fromisoformat(raw) if raw else None,
            created_by_id=payload.get("created_by_id"),
        )
    return {
        "settlement_id": done.id,
        "period_end": done.period_end.isoformat(),
        "statements": done.statement_count,
        "lines": done.line_count,
        "total_fen": done.total_fen,
    }


@job_handler(LEVELS)
async def compute_month_levels(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Levels from the net sales of ``month`` (default: last month)."""
    settings = _settings(ctx, payload)
    now = utcnow()
    raw = payload.get("month")
    month = date.fromisoformat(raw) if raw else previous_month(business_date(now, settings.zone))
    async with ctx.step() as session:
        accounts = await compute_levels(session, month, settings, now)
    return {"month": month.isoformat(), "accounts": accounts}


@job_handler(DUE)
async def commission_due(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Hourly: last month's levels once, then the newest closed period."""
    settings = ctx.settings
    now = utcnow()
    month = previous_month(business_date(now, settings.zone))
    result: dict[str, Any] = {}
    async with ctx.step() as session:
        done = await levels_computed_for(session)
        if done is None or done < month:
            result["level_accounts"] = await compute_levels(session, month, settings, now)
    await ctx.report(0.3, "levels up to date")
    period_end = latest_closed_period(now, settings)
    result["period_end"] = period_end.isoformat()
    async with ctx.step() as session:
        latest = await session.scalar(select(func.max(Settlement.period_end)))
        # A later period settled already: settling this earlier one would
        # break the order. Nothing to do until the clock passes the latest.
        ahead = latest is not None and latest > period_end
        settlement = None if ahead else await settle(session, now, settings, period_end=period_end)
    if settlement is None:
        assert latest is not None
        result["settlement_id"] = None
        result["latest_settled"] = latest.isoformat()
        await ctx.report(1.0, f"nothing to settle: {latest.isoformat()} is settled already")
        return result
    result["settlement_id"] = settlement.id
    return result
