"""One settlement over a million ledger entries on PostgreSQL.

    python scripts/bench_settlement.py [--accruals 1000000] [--reversals 50000]
                                       [--leaders 5000] [--postgres-url URL]

Creates a throwaway database (tuangou_bench_<random>), migrates it, and seeds
it with set-based SQL (INSERT … SELECT generate_series): ``--leaders``
approved leaders with their commission accounts, ``--accruals`` accrual
entries picked up during the newest closed settlement period (spread over
the leaders, each 10 % of a net amount), and
``--reversals`` partial reversals of some of them, booked inside the
after-sale window; balances before and after chain per leader, as the
ledger writer would have written them.

Then it times the real domain function — ``leaders.commission.settlement.settle`` for
that period, in one unit of work — and a second run of the same period
(which must change nothing), with the peak RSS of this process (a
high-water mark: Python never holds the rows). It checks the books
afterwards (one statement per leader, every entry settled once, each
statement the sum of its lines, nothing left pending), prints a table,
and drops the database again, also on failure or Ctrl-C.

The last line printed is one JSON object:
{"accruals": …, "settlement_s": …, "peak_mb": …, …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import sys
import time
import traceback
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchdb import create_database, drop_database, with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def peak_mb() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ts(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def seed_statements(
    *, accruals: int, reversals: int, leaders: int, start: datetime, end: datetime, now: datetime
) -> list[str]:
    """The seeding SQL, in order; every value interpolated is an int or a
    datetime computed here. Accrual g belongs to leader 1 + g % leaders and
    is picked up somewhere in [start, end); every (accruals / reversals)-th
    accrual is refunded by half an hour later."""
    A, R, L = accruals, reversals, leaders
    step = max(1, A // max(R, 1))
    span_s = int((end - start).total_seconds()) - 3600
    ts_now = _ts(now)
    return [
        "SET LOCAL session_replication_role = replica",  # FK triggers off: bulk load
        f"""INSERT INTO users (id, name, role, created_at)
            SELECT g, '团长' || g, 'leader', {ts_now} FROM generate_series(1, {L}) g""",
        f"""INSERT INTO leaders (id, user_id, status, applied_at, decided_at, approved_at)
            SELECT g, g, 'approved', {ts_now}, {ts_now}, {ts_now}
              FROM generate_series(1, {L}) g""",
        # The lines: net 1.00–200.99 yuan, commission 10 % of it.
        f"""CREATE TEMP TABLE bench_lines ON COMMIT DROP AS
            SELECT g AS id, 1 + g % {L} AS leader_id,
                   100 + (g * 7919) % 20000 AS net,
                   round((100 + (g * 7919) % 20000) * 0.1) AS commission,
                   {_ts(start)} + make_interval(secs => (g * 104729) % {span_s}) AS picked
              FROM generate_series(1::bigint, {A}) g""",
        # Accruals (ids 1..A), then the reversals of half of every step-th
        # line (ids A+1..): balances chain per leader in id order.
        f"""INSERT INTO commission_entries (id, leader_id, kind, account, amount_fen,
                balance_before_fen, balance_after_fen, base_fen, rate_bps, order_line_id,
                refund_id, reverses_id, basis_at, occurred_at, created_at)
            SELECT id, leader_id, kind, 'pending', amount,
                   coalesce(sum(amount) OVER w, 0) - amount, coalesce(sum(amount) OVER w, 0),
                   base, 1000, order_line_id, refund_id, reverses_id, basis_at, occurred_at,
                   {ts_now}
              FROM (
                SELECT id, leader_id, 'accrual' AS kind, commission AS amount, net AS base,
                       id AS order_line_id, NULL::bigint AS refund_id,
                       NULL::bigint AS reverses_id, picked AS basis_at, picked AS occurred_at
                  FROM bench_lines
                UNION ALL
                SELECT {A} + r, l.leader_id, 'reversal', -round(l.commission / 2.0),
                       -(l.net / 2), l.id, r, l.id, l.picked, l.picked + INTERVAL '30 minutes'
                  FROM generate_series(1, {R}) r JOIN bench_lines l ON l.id = r * {step}
              ) e
            WINDOW w AS (PARTITION BY leader_id ORDER BY id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)""",
        f"""INSERT INTO commission_accounts (leader_id, pending_fen, available_fen, updated_at)
            SELECT g, coalesce(s.total, 0), 0, {ts_now}
              FROM generate_series(1, {L}) g
              LEFT JOIN (SELECT leader_id, sum(amount_fen) AS total
                           FROM commission_entries GROUP BY leader_id) s ON s.leader_id = g""",
        "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))",
        "SELECT setval(pg_get_serial_sequence('leaders', 'id'), (SELECT max(id) FROM leaders))",
        "SELECT setval(pg_get_serial_sequence('commission_entries', 'id'), "
        "(SELECT max(id) FROM commission_entries))",
    ]


async def seed(url: str, args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    from sqlalchemy import text

    from kernel.db import create_engine
    from kernel.settings import Settings
    from leaders.commission.settlement import latest_closed_period, period_end_at

    settings = Settings(database_url=url)
    period = latest_closed_period(now, settings)
    end = period_end_at(period, settings)
    start = end - timedelta(days=settings.settlement_period_days)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for sql in seed_statements(
                accruals=args.accruals,
                reversals=args.reversals,
                leaders=args.leaders,
                start=start,
                end=end,
                now=now,
            ):
                await conn.execute(text(sql))
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("commission_entries", "commission_accounts", "leaders"):
                await conn.execute(text(f"VACUUM ANALYZE {table}"))
    finally:
        await engine.dispose()
    return {"period_end": period, "settings": settings}


async def time_settlement(url: str, world: dict[str, Any]) -> dict[str, Any]:
    from kernel.clock import utcnow
    from kernel.db import create_engine, create_sessionmaker, unit_of_work
    from leaders.commission.settlement import settle

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        t0 = time.perf_counter()
        async with unit_of_work(sessions) as session:
            done = await settle(
                session, utcnow(), world["settings"], period_end=world["period_end"]
            )
        settlement_s = time.perf_counter() - t0
        after_first = peak_mb()
        t0 = time.perf_counter()
        async with unit_of_work(sessions) as session:
            again = await settle(
                session, utcnow(), world["settings"], period_end=world["period_end"]
            )
        rerun_s = time.perf_counter() - t0
    finally:
        await engine.dispose()
    return {
        "settlement_id": done.id,
        "statements": done.statement_count,
        "lines": done.line_count,
        "total_fen": done.total_fen,
        "same_settlement": again.id == done.id,
        "settlement_s": settlement_s,
        "rerun_s": rerun_s,
        "peak_mb": after_first,
    }


async def check_books(url: str, args: argparse.Namespace, run: dict[str, Any]) -> dict[str, bool]:
    from sqlalchemy import text

    from kernel.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            async def one(sql: str) -> Any:
                return (await conn.execute(text(sql))).scalar()

            ledger_total = await one(
                "SELECT sum(amount_fen) FROM commission_entries WHERE kind <> 'settlement'"
            )
            return {
                "statement_per_leader": run["statements"] == args.leaders,
                "every_entry_once": run["lines"] == args.accruals + args.reversals
                and await one("SELECT sum(line_count) FROM commission_statements")
                == args.accruals + args.reversals,
                "statements_sum_lines": await one(
                    "SELECT sum(total_fen) FROM commission_statements"
                )
                == ledger_total,
                "nothing_pending": await one(
                    "SELECT count(*) FROM commission_accounts WHERE pending_fen <> 0"
                )
                == 0,
                "available_is_ledger": await one(
                    "SELECT sum(available_fen) FROM commission_accounts"
                )
                == ledger_total
                == run["total_fen"],
                "rerun_changed_nothing": run["same_settlement"]
                and await one("SELECT count(*) FROM commission_entries")
                == args.accruals + args.reversals + 2 * args.leaders,
            }
    finally:
        await engine.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accruals", type=int, default=1_000_000)
    parser.add_argument("--reversals", type=int, default=50_000)
    parser.add_argument("--leaders", type=int, default=5_000)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    args = parser.parse_args()
    if not 0 <= args.reversals <= args.accruals or args.leaders < 1:
        parser.error("need 0 <= reversals <= accruals and at least one leader")
    return args


def report(
    args: argparse.Namespace, run: dict[str, Any], checks: dict[str, bool], seed_s: float
) -> dict[str, Any]:
    rows = [
        ("accruals", f"{args.accruals:,}"),
        ("reversals", f"{args.reversals:,}"),
        ("leaders", f"{args.leaders:,}"),
        ("seeding", f"{seed_s:.1f} s"),
        ("settlement", f"{run['settlement_s']:.2f} s"),
        ("statements", f"{run['statements']:,}"),
        ("statement lines", f"{run['lines']:,}"),
        ("settled total", f"{run['total_fen']:,} fen"),
        ("second run (no change)", f"{run['rerun_s']:.3f} s"),
        ("peak RSS", f"{run['peak_mb']:.0f} MB"),
    ] + [(f"check: {name}", "ok" if ok else "FAILED") for name, ok in checks.items()]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return {
        "accruals": args.accruals,
        "reversals": args.reversals,
        "leaders": args.leaders,
        "statements": run["statements"],
        "settlement_s": round(run["settlement_s"], 3),
        "rerun_s": round(run["rerun_s"], 3),
        "peak_mb": round(run["peak_mb"], 1),
        "checks_ok": all(checks.values()),
    }


def main() -> int:
    args = parse_args()
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.postgres_url, name)
    created = False

    def on_sigterm(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from api.cli.app import migrate
        from kernel.clock import utcnow
        from kernel.settings import Settings

        print(f"database {name}: creating and migrating", flush=True)
        create_database(args.postgres_url, name)
        created = True
        migrate(Settings(database_url=url))
        t0 = time.perf_counter()
        world = asyncio.run(seed(url, args, utcnow()))
        seed_s = time.perf_counter() - t0
        print(f"seeded in {seed_s:.1f}s; peak {peak_mb():.0f} MB", flush=True)
        run = asyncio.run(time_settlement(url, world))
        checks = asyncio.run(check_books(url, args, run))
        figures = report(args, run, checks, seed_s)
        print(json.dumps(figures))
        return 0 if figures["checks_ok"] else 1
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        print(text if len(text) < 6000 else text[:3000] + "\n…\n" + text[-3000:], file=sys.stderr)
        print(
            json.dumps({"accruals": args.accruals, "error": f"{type(exc).__name__}: {exc}"[:500]})
        )
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if created:
            try:
                drop_database(args.postgres_url, name)
            except Exception as exc:
                print(f"could not drop database {name}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
