"""The night's fulfilment steps at scale on PostgreSQL: cutoff, consolidation,
shortage allocation and sorting over a million order lines.

    python scripts/bench_purchasing.py [--lines 1000000] [--points 2000]
                                       [--products 500] [--suppliers 40]
                                       [--postgres-url URL] [--seed 42]
                                       [--sql-log FILE] [--drop-index NAME]

Creates a throwaway database (tuangou_bench_<random>), migrates it, and seeds
it with set-based SQL (INSERT … SELECT generate_series): one warehouse,
suppliers, products (case packs 1–24, some items with a group threshold that
is missed and some with one that is met, some capped), approved leaders'
pickup points served by the warehouse, one campaign whose cutoff has passed,
and ``--lines`` order lines over ~lines/3 orders from many customers — 95 %
PAID (distinct transaction ids, paid over the evening, ties to the second
included), 5 % still PENDING_PAYMENT.

Then it times the real domain functions, each step in its own unit of work:

  cutoff         run_cutoff(campaign)
  consolidation  consolidate(warehouse, delivery date)
  allocation     ~5 % of the products on the purchase orders are confirmed
                 short: confirm(...) once per purchase order concerned (each
                 its own unit of work, as suppliers would), which allocates
                 the shortage at once; the step's time is the sum
  sorting        sort_day(tote 40 l); warehouse_totals and one pick_list are
                 timed as well

and the peak RSS of this process after each step (ru_maxrss is a high-water
mark). It checks the books afterwards, prints a table, and drops the database
again, also on failure or Ctrl-C.

The last line printed is one JSON object:
{"lines": …, "cutoff_s": …, "consolidation_s": …, "allocation_s": …,
 "sorting_s": …, "peak_mb": …, …}
"""

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
from pathlib import Path
from typing import Any

# Beside this script: the seeding, the timed steps, the checks of the books.
from bench_purchasing_checks import Check, check_books
from bench_purchasing_seed import World, seed_world
from bench_purchasing_steps import Run, SqlLog, peak_mb, run_steps
from benchdb import create_database, drop_database, with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


TARGETS = {"consolidation": 3.0, "allocation": 5.0, "sorting": 5.0}
PEAK_TARGET_MB = 500.0


def report(
    args: argparse.Namespace, world: World, run: Run, checks: list[Check], seed_s: float
) -> dict[str, Any]:
    rows: list[tuple[str, str]] = [
        (
            "seed",
            f"{args.lines} lines, {world.orders} orders ({world.paid_orders} paid, "
            f"{world.pending_orders} pending), {world.customers} customers, {args.points} "
            f"pickup points, {args.products} products, {args.suppliers} suppliers "
            f"in {seed_s:.1f} s",
        ),
        (
            "items",
            f"{world.missed_items} set to miss their threshold, {world.met_items} to meet it, "
            f"{world.capped_items} capped",
        ),
    ]
    for step in run.steps.values():
        target = TARGETS.get(step.name)
        verdict = ""
        if target is not None:
            verdict = f" (target < {target:.0f} s: {'met' if step.seconds < target else 'MISSED'})"
        rows.append(
            (
                step.name,
                f"{step.seconds:7.2f} s  peak {step.peak_mb:5.0f} MB  "
                f"{step.statements:4d} stmts{verdict}  {step.detail}",
            )
        )
    peak = max(s.peak_mb for s in run.steps.values())
    rows.append(
        ("peak RSS", f"{peak:.0f} MB (target < {PEAK_TARGET_MB:.0f} MB: "
         f"{'met' if peak < PEAK_TARGET_MB else 'MISSED'})")
    )  # fmt: skip
    for check in checks:
        rows.append((f"check: {check.name}", ("OK " if check.ok else "FAILED ") + check.detail))
    width = max(len(k) for k, _ in rows)
    print()
    print("purchasing benchmark".center(width + 60))
    print("-" * (width + 60))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 60))
    s = run.steps
    return {
        "lines": args.lines,
        "cutoff_s": round(s["cutoff"].seconds, 3),
        "consolidation_s": round(s["consolidation"].seconds, 3),
        "allocation_s": round(s["allocation"].seconds, 3),
        "sorting_s": round(s["sorting"].seconds, 3),
        "peak_mb": round(peak, 1),
        "warehouse_totals_s": round(s["warehouse_totals"].seconds, 3),
        "pick_list_s": round(s["pick_list"].seconds, 3),
        "seed_s": round(seed_s, 1),
        "orders": world.orders,
        "shorted_products": len(run.shorted_products),
        "peak_mb_by_step": {k: round(v.peak_mb, 1) for k, v in s.items()},
        "checks_ok": all(c.ok for c in checks),
    }


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lines", type=int, default=1_000_000, help="order lines (default 1000000)")
    p.add_argument("--points", type=int, default=2000, help="pickup points (default 2000)")
    p.add_argument("--products", type=int, default=500, help="products (default 500)")
    p.add_argument("--suppliers", type=int, default=40, help="suppliers (default 40)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--postgres-url", default=os.environ.get("TUANGOU_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    p.add_argument(
        "--sql-log", type=Path, default=None, help="write every timed statement here, with its ms"
    )
    p.add_argument(
        "--drop-index",
        action="append",
        default=[],
        metavar="NAME",
        help="drop this index after migrating (A/B measurements; repeatable)",
    )
    args = p.parse_args()
    if args.products < 40 or args.points < 1 or args.suppliers < 1 or args.lines < 100:
        p.error("need at least 40 products, 1 point, 1 supplier and 100 lines")
    return args


async def _main(url: str, args: argparse.Namespace, log: SqlLog) -> tuple[World, Run, float]:
    from kernel.clock import utcnow

    t0 = time.perf_counter()
    world = await seed_world(url, args, utcnow())
    seed_s = time.perf_counter() - t0
    print(
        f"seeded {args.lines} lines in {world.orders} orders ({world.pending_orders} pending) "
        f"in {seed_s:.1f}s; peak {peak_mb():.0f} MB",
        flush=True,
    )
    run = await run_steps(url, world, args, log)
    return world, run, seed_s


def main() -> int:
    args = parse_args()
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.postgres_url, name)
    created = False
    sql_out = args.sql_log.open("w") if args.sql_log else None
    log = SqlLog(sql_out)

    def on_sigterm(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from api.cli.app import migrate
        from kernel.settings import Settings

        print(f"database {name}: creating and migrating", flush=True)
        create_database(args.postgres_url, name)
        created = True
        migrate(Settings(database_url=url))
        world, run, seed_s = asyncio.run(_main(url, args, log))
        checks = asyncio.run(check_books(url, world, run))
        figures = report(args, world, run, checks, seed_s)
        print(json.dumps(figures))
        return 0 if figures["checks_ok"] else 1
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        # SQLAlchemy errors quote the whole statement: keep the report readable.
        text = "".join(traceback.format_exception(exc))
        print(text if len(text) < 6000 else text[:3000] + "\n…\n" + text[-3000:], file=sys.stderr)
        print(json.dumps({"lines": args.lines, "error": f"{type(exc).__name__}: {exc}"[:500]}))
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if sql_out is not None:
            sql_out.close()
        if created:
            try:
                drop_database(args.postgres_url, name)
            except Exception as exc:
                print(f"could not drop database {name}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
