"""``tuangou demo --days N``: N days of overlapping campaigns on a platform
clock the demo moves forward, with every step of the night started by the
schedule, not by the demo (api/demo/week_day.py), and jobs run by this
process (SQLite) or by worker processes it starts (PostgreSQL)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter

from rich.console import Console
from sqlalchemy import select

from api.demo.context import Day
from api.demo.payments import DemoPay, sandbox_payments
from api.demo.region import build_region
from api.demo.run import DemoOptions, DemoRefused, demo_database, refuse_data
from api.demo.settlement import period_holding
from api.demo.sizes import SCALES
from api.demo.steps import Steps
from api.demo.timeline import Timeline
from api.demo.week_api import API_PROCESSES, week_api
from api.demo.week_books import DayBooks, day_books, render_week
from api.demo.week_clock import WeekClock, until
from api.demo.week_day import Week, copy_campaign, evening, night_and_day
from api.demo.week_workers import running_jobs
from api.migrate import migrate
from api.sandbox.embedded import why_not_embedded
from kernel.clock import CLOCK_FILE_ENV, business_date, utcnow
from kernel.db import create_engine, create_sessionmaker
from kernel.settings import Settings
from leaders.commission.models import Settlement
from leaders.commission.settlement import closes_at

CLOCK_FILE = "platform-clock"
SETTLEMENT_PATIENCE_S = 300.0


@dataclass(frozen=True)
class WeekOptions:
    days: int = 7
    demo: DemoOptions = field(default_factory=DemoOptions)
    workers: int = 2  # PostgreSQL only
    kill_a_worker: bool = True  # PostgreSQL only: in the middle night
    # PostgreSQL only: the served API's processes; 0 serves none, the demo
    # calls the app in its own process (as on SQLite).
    api_processes: int = API_PROCESSES


@dataclass
class WeekResult:
    settings: Settings
    days: list[DayBooks]
    settled_fen: int
    wall_s: float
    workers: int
    killed: int
    tokens: dict[str, str]

    @property
    def orders(self) -> int:
        return sum(d.orders for d in self.days)

    @property
    def commission_fen(self) -> int:
        return sum(d.commission_fen for d in self.days)

    @property
    def reconciled(self) -> bool:
        """Every day's books, and the week's commission against its settlement."""
        return all(d.reconciled for d in self.days) and self.commission_fen == self.settled_fen

    def figures(self) -> dict[str, object]:
        """The benchmark's JSON line."""
        return {
            "days": len(self.days),
            "orders": self.orders,
            "wall_s": round(self.wall_s, 1),
            "reconciled": self.reconciled,
        }


def first_delivery(now: datetime, settings: Settings) -> date:
    """The Monday at least two days ahead: the week is one settlement period,
    and its first campaign opens a day and a half before its cutoff."""
    today = business_date(now, settings.zone)
    ahead = today + timedelta(days=2)
    return ahead + timedelta(days=(7 - ahead.weekday()) % 7)


@contextmanager
def platform_clock(out: Path) -> Iterator[WeekClock]:
    """A fresh clock file in ``out``, named in the environment (workers
    inherit it) for as long as the block runs."""
    out.mkdir(parents=True, exist_ok=True)
    path = (out / CLOCK_FILE).resolve()
    path.unlink(missing_ok=True)
    saved = os.environ.get(CLOCK_FILE_ENV)
    os.environ[CLOCK_FILE_ENV] = str(path)
    try:
        yield WeekClock(path)
    finally:
        if saved is None:
            os.environ.pop(CLOCK_FILE_ENV, None)
        else:
            os.environ[CLOCK_FILE_ENV] = saved


def week_settings(base: Settings, options: WeekOptions) -> Settings:
    """The demo's settings: periodic jobs tick every second (the clock jumps
    hours at a time) and a killed worker's job is found stale quickly."""
    scale = SCALES[options.demo.size]
    return base.model_copy(
        update={
            "database_url": demo_database(options.demo),
            "periodic_tick_s": 1.0,
            "job_stale_after_s": 10,
            "job_sweep_s": 2.0,
            "routing_time_limit_s": options.demo.route_time_limit_s or scale.route_time_limit_s,
        }
    )


async def _settled(week: Week, last: date) -> int:
    """The clock past the week's settlement period's after-sale window; the
    hourly job settles it. What it settled."""
    settings = week.base.settings
    period_end = period_holding(last, settings)
    week.clock.move_to(closes_at(period_end, settings) + timedelta(minutes=5))
    with week.base.steps.step(f"Settlement of the period ending {period_end} (hourly job)") as bar:

        async def probe() -> Settlement | None:
            async with week.base.sessions() as session:
                return await session.scalar(
                    select(Settlement).where(Settlement.period_end == period_end)
                )

        unsettled = f"the period ending {period_end} was not settled"
        done = await until(probe, SETTLEMENT_PATIENCE_S, unsettled)
        bar.note = f"{done.statement_count} statements, {done.total_fen / 100:,.2f} yuan"
    return done.total_fen


async def _run_days(week: Week, first: date, days: int) -> dict[date, float]:
    """Calendar day by day from the eve of the first delivery to the last."""
    last = first + timedelta(days=days - 1)
    walls: dict[date, float] = {}
    today = first - timedelta(days=1)
    while today <= last:
        if today >= first:
            walls[today] = await night_and_day(week, today)
        if (
            first <= today + timedelta(days=2) <= last
            and today + timedelta(days=1) in week.campaigns
        ):
            source = today + timedelta(days=1)
            await copy_campaign(week, today, source, today + timedelta(days=2))
        if today + timedelta(days=1) <= last:
            await evening(week, today)
        today += timedelta(days=1)
    return walls


async def _week(
    options: WeekOptions, settings: Settings, pay: DemoPay, clock: WeekClock, steps: Steps
) -> WeekResult:
    scale = SCALES[options.demo.size]
    first = first_delivery(utcnow(), settings)
    # Day one's campaign opens at noon two days before it delivers.
    timeline = Timeline(
        datetime.combine(first - timedelta(days=2), datetime.min.time(), tzinfo=settings.zone)
        + timedelta(hours=13),
        settings.zone,
        first,
    )
    clock.move_to(timeline.started)
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    started = perf_counter()
    try:
        await refuse_data(sessions, settings)
        rng = random.Random(options.demo.seed)
        region = await build_region(sessions, settings, scale, timeline, rng, steps)
        base = Day(sessions, settings, region, timeline, rng, steps)
        middle = first + timedelta(days=options.days // 2)
        count = options.workers
        async with (
            running_jobs(settings, sessions, options.demo.out, count) as workers,
            week_api(settings, pay, options.demo.out, options.api_processes) as http,
        ):
            kill_on = middle if options.kill_a_worker and not settings.jobs_inline else None
            week = Week(
                base, clock, http, pay, workers, scale.orders, {first: region.campaign_id}, kill_on
            )
            walls = await _run_days(week, first, options.days)
            settled = await _settled(week, first + timedelta(days=options.days - 1))
        books = []
        async with sessions() as session:
            for delivery, wall in walls.items():
                found = await day_books(session, week.campaigns[delivery], DayBooks(delivery))
                found.wall_s = wall
                books.append(found)
    finally:
        await engine.dispose()
    wall_s = perf_counter() - started
    killed = workers.killed
    return WeekResult(
        settings,
        books,
        settled,
        wall_s,
        0 if settings.jobs_inline else count,
        killed,
        region.tokens,
    )


async def run_week(options: WeekOptions, base: Settings, console: Console) -> WeekResult:
    """Build the region and run the week; raises DemoRefused as ``run_demo``
    does, and when a day's books or the week's settlement do not reconcile."""
    refusal = why_not_embedded(base)
    if refusal is not None:
        raise DemoRefused(f"the demo pays through a WeChat Pay sandbox, and {refusal}")
    settings = week_settings(base, options)
    steps = Steps(console)
    with steps.step("Database schema"):
        migrate(settings)
    with platform_clock(options.demo.out) as clock:
        async with sandbox_payments(settings, options.demo.sandbox) as pay:
            result = await _week(options, pay.settings, pay, clock, steps)
    render_week(console, result.days, result.settled_fen)
    if not result.reconciled:
        raise DemoRefused("the week's books do not reconcile (see the table)")
    return result
