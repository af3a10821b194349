"""A week of the platform running itself, on PostgreSQL with worker processes.

    python scripts/bench_week.py [--days 7] [--size medium] [--workers 2]
                                 [--no-kill] [--api-processes 2] [--postgres-url URL]

Runs ``tuangou demo --days`` (api/demo/week.py) into a throwaway database
(tuangou_bench_<random>, dropped afterwards, also on failure or Ctrl-C):
the region built, then each day a campaign copied, the evening's orders
placed and paid through the WeChat Pay sandbox, and the platform clock
moved through the night while the schedule, run by ``--workers`` separate
``tuangou worker`` processes, cuts off, consolidates, allocates shortages,
sorts and plans; one worker is killed while it plans the middle night
(unless ``--no-kill``). Prints the demo's per-step lines, the per-day
table, a summary table, and as its last line one JSON object:
{"days", "orders", "wall_s", "reconciled"}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path

from benchdb import create_database, drop_database, with_database

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from api.demo.run import DemoOptions  # noqa: E402
from api.demo.sizes import Size  # noqa: E402
from api.demo.week import WeekOptions, WeekResult, run_week  # noqa: E402
from api.demo.week_api import API_PROCESSES  # noqa: E402
from kernel.loop import run as run_on_loop  # noqa: E402
from kernel.settings import Settings  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _summary(console: Console, result: WeekResult, size: str) -> None:
    table = Table(title=f"bench_week: {size} region, {len(result.days)} days", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("paid orders", f"{result.orders:,}")
    table.add_row("workers (killed mid-plan)", f"{result.workers} ({result.killed})")
    table.add_row("wall time", f"{result.wall_s:,.1f} s")
    table.add_row("per day", f"{result.wall_s / max(1, len(result.days)):,.1f} s")
    table.add_row("commission = settlement", f"{result.commission_fen == result.settled_fen}")
    table.add_row("every day reconciled", f"{all(d.reconciled for d in result.days)}")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--size", choices=[s.value for s in Size], default="medium")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-kill", action="store_true", help="Kill no worker.")
    parser.add_argument(
        "--api-processes",
        type=int,
        default=API_PROCESSES,
        help="The served API's processes (0: the app in the demo's own process).",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    args = parser.parse_args()
    console = Console(width=140)
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    create_database(args.postgres_url, name)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-week-") as out:
            demo = DemoOptions(
                size=Size(args.size),
                seed=args.seed,
                out=Path(out),
                database_url=with_database(args.postgres_url, name),
            )
            options = WeekOptions(
                days=args.days,
                demo=demo,
                workers=args.workers,
                kill_a_worker=not args.no_kill,
                api_processes=args.api_processes,
            )
            result = run_on_loop(run_week(options, Settings(), console))
    finally:
        drop_database(args.postgres_url, name)
    _summary(console, result, args.size)
    print(json.dumps(result.figures()))
    return 0 if result.reconciled else 1


if __name__ == "__main__":
    sys.exit(main())
