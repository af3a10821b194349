"""``tuangou demo``: a region built and a whole day run, end to end, through
the same domain functions, jobs and API the platform runs on."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.artifacts import Artifacts, write_artifacts
from api.demo.context import Day
from api.demo.handout import run_handout
from api.demo.intake import api_client, cancel_some, place_orders
from api.demo.network import TwoTiers, demo_scale
from api.demo.night import run_night
from api.demo.payments import DemoPay, pay_orders, refunds_and_reconciliation, sandbox_payments
from api.demo.region import Region, build_region
from api.demo.routes import plan_and_publish
from api.demo.settlement import run_settlement
from api.demo.sizes import Network, Size
from api.demo.steps import Steps, Timing
from api.demo.summary import Figures, collect, render
from api.demo.timeline import Timeline
from api.migrate import migrate
from api.sandbox.embedded import EmbeddedSandbox, why_not_embedded
from kernel.accounts import User
from kernel.clock import utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.jobs.statistics import refresh_statistics
from kernel.settings import Settings

DATABASE_FILE = "tuangou-demo.db"


class DemoRefused(Exception):
    """The demo cannot run, or its books do not reconcile: one line for the user."""


@dataclass(frozen=True)
class DemoOptions:
    size: Size = Size.MEDIUM
    seed: int = 7
    out: Path = Path("tuangou-demo")
    database_url: str | None = None  # None: a fresh SQLite file in ``out``
    route_time_limit_s: int | None = None  # None: the size's
    # TWO_TIER: a central warehouse and grid warehouses (api/demo/network.py).
    network: Network = Network.SINGLE
    # The WeChat Pay sandbox to pay through (``tuangou demo`` keeps its own
    # running to serve afterwards); None: one of the run's own.
    sandbox: EmbeddedSandbox | None = None


@dataclass
class DemoResult:
    settings: Settings
    figures: Figures
    files: list[Path]
    tokens: dict[str, str]
    warehouse_id: int
    delivery_date: str
    wall_s: float
    timings: list[Timing] = field(default_factory=list)
    cleared: int = 0  # an earlier demo's documents removed from the out directory


def demo_database(options: DemoOptions) -> str:
    """The demo's database URL: the one given, or a fresh SQLite file in the
    out directory (the previous demo's file is replaced)."""
    if options.database_url:
        return options.database_url
    options.out.mkdir(parents=True, exist_ok=True)
    path = (options.out / DATABASE_FILE).resolve()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


async def refuse_data(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """DemoRefused unless the database is empty (no users): the demo never
    mixes its region into someone's data."""
    async with sessions() as session:
        users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    if users:
        raise DemoRefused(
            f"the database at {settings.database_url.split('@')[-1]} already has data; "
            "the demo needs an empty one (or leave --database-url out)"
        )


async def _the_day(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    options: DemoOptions,
    steps: Steps,
    pay: DemoPay,
) -> tuple[Figures, Artifacts, Region, Timeline]:
    """The region built and the day run, paying through ``pay``'s sandbox."""
    scale = demo_scale(options.size, options.network)
    rng = random.Random(options.seed)
    timeline = Timeline.starting(utcnow(), settings.zone)
    region = await build_region(sessions, settings, scale, timeline, rng, steps)
    tiers = None
    if options.network is Network.TWO_TIER:
        tiers = await TwoTiers.build(sessions, settings, region, options.size, rng, steps)
    async with pay.in_process() as sandbox_http, api_client(settings, sandbox_http) as http:
        (intake,) = await place_orders(http, settings, [(region, scale.orders)], rng, steps)
        paid = await pay_orders(http, pay, region, intake, rng, steps)
        await cancel_some(http, region, intake, paid, rng, steps)
    # What the hourly statistics job would have done by now: the night's
    # per-point reads need SQLite to know its indexes' selectivity.
    with steps.step("Planner statistics (hourly job, run now)"):
        async with unit_of_work(sessions) as session:
            await refresh_statistics(session)
    day = Day(sessions, settings, region, timeline, rng, steps)
    await run_night(day)
    time_limit_s = options.route_time_limit_s or scale.route_time_limit_s
    if tiers is None:
        plan = await plan_and_publish(day, time_limit_s)
    else:
        plan = await tiers.morning(day, time_limit_s)
    await run_handout(day, plan)
    settlement = await run_settlement(day)
    money = await refunds_and_reconciliation(day, pay)
    artifacts = await write_artifacts(day, plan, settlement, options.out)
    async with sessions() as session:
        figures = await collect(
            session, region.campaign_id, plan, settlement, intake.refused, settings.zone
        )
    figures.money = money
    if tiers is not None:
        async with sessions() as session:
            figures.tiers = await tiers.figures(session, settings.zone)
    return figures, artifacts, region, timeline


async def run_demo(options: DemoOptions, base: Settings, console: Console) -> DemoResult:
    """Build the region and run the day; raises DemoRefused for a database
    that is not empty, for settings that name a real merchant (the demo
    pays through a WeChat Pay sandbox) and for books that do not reconcile."""
    started = perf_counter()
    refusal = why_not_embedded(base)
    if refusal is not None:
        raise DemoRefused(f"the demo pays through a WeChat Pay sandbox, and {refusal}")
    settings = base.model_copy(update={"database_url": demo_database(options)})
    steps = Steps(console)
    with steps.step("Database schema"):
        migrate(settings)
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:
        await refuse_data(sessions, settings)
        async with sandbox_payments(settings, options.sandbox) as pay:
            settings = pay.settings
            figures, artifacts, region, timeline = await _the_day(
                sessions, settings, options, steps, pay
            )
    finally:
        await engine.dispose()
    wall = perf_counter() - started
    render(console, figures, steps.timings, wall)
    problems = figures.problems()
    if problems:
        raise DemoRefused("the books do not reconcile: " + "; ".join(problems))
    return DemoResult(
        settings,
        figures,
        artifacts.files,
        region.tokens,
        region.warehouse_id,
        timeline.delivery_date.isoformat(),
        wall,
        steps.timings,
        artifacts.cleared,
    )
