"""Every operator report over a month of medium days on PostgreSQL.

    python scripts/bench_reports.py [--days 30] [--orders 30000]
                                    [--budget-s 300] [--keep] [--reuse NAME]
                                    [--postgres-url URL]

Creates a throwaway database (tuangou_bench_<random>), migrates it and seeds
it day by day (scripts/bench_reports_seed.py: a medium region's 30,000 paid
orders a day, about 90,000 order lines, with refunds, shortfalls, commission
and purchase orders; weekly settlements and payouts). If seeding the month
would take longer than ``--budget-s`` seconds, it stops after the last day
that fit and says so. Then it runs every report (the real domain functions,
``fulfilment.reports``) over the seeded range, unfiltered and filtered by
one leader and one category, twice each, and prints a table of the slowest
run of each, with the machine's load average (timings on a shared machine
are slower). The database is dropped afterwards (unless ``--keep``), also
on failure or Ctrl-C; ``--reuse NAME`` times a kept one again, unseeded.

The last line printed is one JSON object: {"days", "order_lines", "max_report_s"}.
The target (issue 22) is max_report_s < 2."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench_reports_seed import day, weekly, world
from benchdb import create_database, drop_database, with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
POINTS, CUSTOMERS, PRODUCTS, SUPPLIERS = 300, 5_000, 120, 8  # medium (api/demo/sizes.py)


async def _run_all(url: str, sql_batches: list[list[str]]) -> None:
    from kernel.db import create_engine

    engine = create_engine(url)
    try:
        for batch in sql_batches:
            async with engine.begin() as conn:
                for sql in batch:
                    await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def seed(url: str, args: argparse.Namespace, first: date) -> tuple[int, float]:
    """Seed up to ``args.days`` days within the budget: (days seeded, seconds)."""
    from kernel.clock import utcnow

    t0 = time.perf_counter()
    await _run_all(url, [world(POINTS, CUSTOMERS, PRODUCTS, SUPPLIERS, utcnow())])
    seeded = 0
    for d in range(args.days):
        started = time.perf_counter()
        batch = day(
            d,
            first + timedelta(days=d),
            orders=args.orders,
            points=POINTS,
            customers=CUSTOMERS,
            products=PRODUCTS,
        )
        await _run_all(url, [batch])
        seeded += 1
        took = time.perf_counter() - started
        print(f"  day {d + 1}: {took:.1f}s", flush=True)
        if time.perf_counter() - t0 + took > args.budget_s and seeded < args.days:
            print(f"seeding budget of {args.budget_s}s reached after {seeded} days", flush=True)
            break
    weeks = [first + timedelta(days=7 * (w + 1)) for w in range(seeded // 7)]
    await _run_all(url, [weekly(end, n + 1, POINTS) for n, end in enumerate(weeks)])
    await _run_all(url, [["ANALYZE"]])
    return seeded, time.perf_counter() - t0


Report = Callable[[Any, Any, Any], Awaitable[Any]]


def reports(zone: Any) -> dict[str, Report]:
    from fulfilment.reports.after_sale import after_sale_by_product
    from fulfilment.reports.leaders import leader_ranking
    from fulfilment.reports.refunds import refunds_by_reason
    from fulfilment.reports.registers import (
        payout_days,
        payout_register,
        settlement_register,
        settlement_totals,
    )
    from fulfilment.reports.sales import sales_report
    from fulfilment.reports.suppliers import supplier_fill

    async def ranking(s: Any, d: Any, f: Any) -> Any:
        return await leader_ranking(s, d, f, zone, limit=101)

    async def settlements(s: Any, d: Any, f: Any) -> Any:
        return (await settlement_totals(s, d, f), await settlement_register(s, d, f, limit=101))

    async def payouts(s: Any, d: Any, f: Any) -> Any:
        return (await payout_days(s, d, f, zone), await payout_register(s, d, f, zone, limit=101))

    return {
        "sales": sales_report,
        "leader ranking (first page)": ranking,
        "supplier fill": lambda s, d, f: supplier_fill(s, d, f),
        "after-sale by product": after_sale_by_product,
        "refunds by reason": refunds_by_reason,
        "settlement register (first page)": settlements,
        "payout register (first page)": payouts,
    }


async def time_reports(url: str, first: date, days: int) -> list[tuple[str, str, float]]:
    from fulfilment.reports.filters import DateRange, ReportFilter
    from kernel.db import create_engine, create_sessionmaker
    from kernel.settings import Settings

    zone = Settings(database_url=url).zone
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    span = DateRange(first, first + timedelta(days=days - 1))
    filters = {
        "all": ReportFilter(),
        "one leader": ReportFilter(leader_id=7),
        "one category": ReportFilter(category="水果"),
    }
    timings = []
    try:
        for name, report in reports(zone).items():
            for label, given in filters.items():
                if "register" in name and given.category is not None:
                    continue  # registers belong to no product
                if name == "supplier fill" and given.leader_id is not None:
                    continue  # purchase orders belong to no leader
                worst = 0.0
                for _ in range(2):
                    async with sessions() as session:
                        t0 = time.perf_counter()
                        await report(session, span, given)
                        worst = max(worst, time.perf_counter() - t0)
                timings.append((name, label, worst))
                print(f"  {name} [{label}]: {worst:.3f}s", flush=True)
    finally:
        await engine.dispose()
    return timings


async def count(url: str, sql: str) -> int:
    from kernel.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.exec_driver_sql(sql)).scalar_one())
    finally:
        await engine.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders", type=int, default=30_000, help="paid orders a day")
    parser.add_argument("--budget-s", type=float, default=300.0, help="seeding time budget")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", help="time the reports on a database kept earlier (no seeding)")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    args = parser.parse_args()
    if not 1 <= args.days <= 366 or args.orders < 1:
        parser.error("need 1–366 days and at least one order a day")
    return args


def table(days: int, wanted: int, lines: int, seed_s: float, timings: list[Any]) -> None:
    rows = [
        ("days seeded", f"{days} of {wanted}" + ("" if days == wanted else " (seeding budget)")),
        ("order lines", f"{lines:,}"),
        ("seeding", f"{seed_s:.1f} s"),
        ("load average (1 min)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"),
    ] + [(f"{name} [{label}]", f"{s:.3f} s") for name, label, s in timings]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def main() -> int:
    args = parse_args()
    name = args.reuse or f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.postgres_url, name)
    created = False

    def on_sigterm(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from api.cli.app import migrate
        from kernel.settings import Settings

        first = date(2026, 11, 2)  # a Monday: weeks settle whole
        if args.reuse:
            days, seed_s = asyncio.run(count(url, "SELECT count(*) FROM campaigns")), 0.0
        else:
            print(f"database {name}: creating and migrating", flush=True)
            create_database(args.postgres_url, name)
            created = True
            migrate(Settings(database_url=url))
            days, seed_s = asyncio.run(seed(url, args, first))
        lines = asyncio.run(count(url, "SELECT count(*) FROM order_lines"))
        print(f"seeded {days} days, {lines:,} order lines in {seed_s:.1f}s", flush=True)
        timings = asyncio.run(time_reports(url, first, days))
        table(days, args.days, lines, seed_s, timings)
        worst = max(s for _, _, s in timings)
        print(json.dumps({"days": days, "order_lines": lines, "max_report_s": round(worst, 3)}))
        return 0
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        print(text if len(text) < 6000 else text[:3000] + "\n…\n" + text[-3000:], file=sys.stderr)
        print(json.dumps({"days": 0, "error": f"{type(exc).__name__}: {exc}"[:500]}))
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if created and not args.keep:
            try:
                drop_database(args.postgres_url, name)
            except Exception as exc:
                print(f"could not drop database {name}: {exc}", file=sys.stderr)
        elif created:
            print(f"kept database {name}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
