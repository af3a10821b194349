"""The two-tier network's night plans, through real workers.

    python scripts/bench_network.py [--grids 10] [--points 1500] [--workers 2]
        [--trunk-limit 5] [--grid-limit 8] [--single-limit 30] [--postgres-url URL]

On a throwaway PostgreSQL database (tuangou_bench_<random>, dropped
afterwards) it builds a Changsha region (bench_network_seed.py): one
central warehouse, ``--grids`` grid warehouses on a ring and ``--points``
pickup points over the city with their sorted goods. ``--workers``
``tuangou worker`` processes run every plan as the platform's planning job.

First, for comparison, the single-tier plan: every point from the central
with the same vans the grids will share (not timed). Then the points go
under their nearest grid, and the timed part: the trunk plan (the central's
trucks to the grids, inside their 01:00–04:00 windows), then every grid's
last-mile plan (its vans to its points, leaving once the trunk has unloaded
there), queued together so the workers plan them in parallel.

Prints a table of the plans and, as its last line, one JSON object:
{"grids", "points", "plan_wall_s", "dropped", "km_total", "single_tier_km"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from benchdb import create_database, drop_database, with_database

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_network_seed import Region, seed_region, split_into_grids  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

import migrations  # noqa: E402
from api.demo.week_workers import environment  # noqa: E402
from api.handlers import load_job_handlers  # noqa: E402
from fulfilment.routing.jobs import PLAN_ROUTES, planning_payload  # noqa: E402
from fulfilment.routing.models import (  # noqa: E402
    PlanKind,
    RoutePlan,
    RoutePlanStatus,
    TrunkUnserved,
    UnservedStop,
)
from fulfilment.routing.plans import request_plan  # noqa: E402
from kernel.db import create_engine, create_sessionmaker, unit_of_work  # noqa: E402
from kernel.jobs.queue import ProcrastinateQueue  # noqa: E402
from kernel.jobs.service import enqueue  # noqa: E402
from kernel.settings import Settings  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
POLL_S = 0.2


def start_workers(settings: Settings, count: int, out: Path) -> list[subprocess.Popen[bytes]]:
    """``count`` ``tuangou worker`` processes on the bench's database."""
    command = shutil.which("tuangou") or str(Path(sys.executable).with_name("tuangou"))
    env = {**os.environ, **environment(settings)}
    return [
        subprocess.Popen(
            [command, "worker"],
            env=env,
            stdout=(out / f"worker-{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for n in range(count)
    ]


async def _plan(
    sessions: async_sessionmaker[AsyncSession],
    queue: ProcrastinateQueue,
    settings: Settings,
    warehouse_id: int,
    day: date,
    kind: PlanKind,
    limit_s: int,
) -> int:
    """Queue a plan as a dispatcher's click does; its id."""
    async with unit_of_work(sessions) as session:
        plan = await request_plan(
            session,
            warehouse_id,
            day,
            time_limit_s=limit_s,
            zone=settings.zone,
            by=None,
            kind=kind,
        )
        job, _ = await enqueue(session, PLAN_ROUTES, planning_payload(plan.id, settings))
        plan.job_id = job.id
        plan_id, job_id = plan.id, job.id
    await queue.dispatch(job_id)
    return plan_id


async def _planned(
    sessions: async_sessionmaker[AsyncSession], plan_ids: list[int]
) -> list[RoutePlan]:
    """Wait until none of the plans is PLANNING; the plans."""
    while True:
        async with sessions() as session:
            plans = list(await session.scalars(select(RoutePlan).where(RoutePlan.id.in_(plan_ids))))
        if all(p.status is not RoutePlanStatus.PLANNING for p in plans):
            return sorted(plans, key=lambda p: plan_ids.index(p.id))
        await asyncio.sleep(POLL_S)


async def _dropped(sessions: async_sessionmaker[AsyncSession], plan: RoutePlan) -> int:
    row = TrunkUnserved if plan.kind is PlanKind.TRUNK else UnservedStop
    async with sessions() as session:
        return len(list(await session.scalars(select(row.id).where(row.plan_id == plan.id))))


async def run(args: argparse.Namespace, url: str, out: Path) -> dict[str, object]:
    settings = Settings(database_url=url, routing_time_limit_s=args.grid_limit)
    migrations.upgrade(url)
    load_job_handlers()
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    queue = ProcrastinateQueue(settings, sessions)
    day = date.today() + timedelta(days=1)
    workers = start_workers(settings, args.workers, out)
    try:
        region = await seed_region(sessions, day, args.grids, args.points, args.seed)
        single_id = await _plan(
            sessions, queue, settings, region.central_id, day, PlanKind.DELIVERY, args.single_limit
        )
        [single] = await _planned(sessions, [single_id])
        await split_into_grids(sessions, region, day)
        started = time.monotonic()
        trunk_id = await _plan(
            sessions, queue, settings, region.central_id, day, PlanKind.TRUNK, args.trunk_limit
        )
        [trunk] = await _planned(sessions, [trunk_id])
        grid_ids = [
            await _plan(sessions, queue, settings, g, day, PlanKind.DELIVERY, args.grid_limit)
            for g in region.grid_ids
        ]
        grids = await _planned(sessions, grid_ids)
        wall = time.monotonic() - started
        return await _report(args, sessions, region, single, [trunk, *grids], wall)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        await queue.stop()
        await engine.dispose()


async def _report(
    args: argparse.Namespace,
    sessions: async_sessionmaker[AsyncSession],
    region: Region,
    single: RoutePlan,
    plans: list[RoutePlan],
    wall: float,
) -> dict[str, object]:
    table = Table(
        title=f"bench_network: {len(region.grid_ids)} grids, {len(region.point_ids)} points"
    )
    for column in ("plan", "status", "stops", "vehicles", "km", "dropped", "solve s"):
        table.add_column(column, justify="left" if column == "plan" else "right")
    dropped = 0
    for index, plan in enumerate([single, *plans]):
        lost = await _dropped(sessions, plan)
        name = "single tier" if index == 0 else "trunk" if index == 1 else f"grid {index - 1}"
        if index:
            dropped += lost
        table.add_row(
            name,
            plan.status.value,
            str(plan.stops),
            str(plan.vehicles_used),
            f"{plan.distance_m / 1000:,.1f}",
            str(lost),
            f"{plan.solve_s or 0:.1f}",
        )
    Console(width=120).print(table)
    km_total = sum(p.distance_m for p in plans) / 1000
    print(
        f"two tiers: {km_total:,.1f} km (trunk {plans[0].distance_m / 1000:,.1f} km) against "
        f"{single.distance_m / 1000:,.1f} km single tier; planned in {wall:.1f} s wall"
    )
    return {
        "grids": len(region.grid_ids),
        "points": len(region.point_ids),
        "plan_wall_s": round(wall, 1),
        "dropped": dropped,
        "km_total": round(km_total, 1),
        "single_tier_km": round(single.distance_m / 1000, 1),
        "single_tier_dropped": await _dropped(sessions, single),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, default=10)
    parser.add_argument("--points", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trunk-limit", type=int, default=5)
    parser.add_argument("--grid-limit", type=int, default=8)
    parser.add_argument("--single-limit", type=int, default=30)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    args = parser.parse_args()
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    create_database(args.postgres_url, name)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-network-") as out:
            figures = asyncio.run(run(args, with_database(args.postgres_url, name), Path(out)))
    finally:
        drop_database(args.postgres_url, name)
    print(json.dumps(figures))
    return 0 if figures["dropped"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
