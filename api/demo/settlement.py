"""The week's settlement: every leader's commission on goods collected in
the period that holds the delivery date, settled once its after-sale window
has closed (the settlement runs at that moment of the demo's clock)."""

from __future__ import annotations

from datetime import date, timedelta

from api.demo.context import Day
from kernel.db import unit_of_work
from kernel.settings import Settings
from leaders.commission.models import Settlement
from leaders.commission.settlement import ANCHOR, closes_at, settle


def period_holding(day: date, settings: Settings) -> date:
    """The end (exclusive) of the settlement period that holds ``day``."""
    after = day + timedelta(days=1)
    length = settings.settlement_period_days
    return after + timedelta(days=(length - (after - ANCHOR).days % length) % length)


async def run_settlement(day: Day) -> Settlement:
    """Settle the period holding the delivery date, once it may be settled."""
    settings = day.settings
    period_end = period_holding(day.timeline.delivery_date, settings)
    with day.steps.step(f"Settlement of the period ending {period_end.isoformat()}") as bar:
        async with unit_of_work(day.sessions) as session:
            done = await settle(
                session,
                closes_at(period_end, settings) + timedelta(minutes=1),
                settings,
                period_end=period_end,
                created_by_id=day.region.operator_id,
            )
        bar.note = f"{done.statement_count} statements, ¥{done.total_fen / 100:,.2f}"
    return done
