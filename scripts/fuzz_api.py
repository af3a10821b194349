"""Generated values for every argument of every query and mutation, longer
than the test (tests/api/test_fuzz_inputs.py) runs them.

    python scripts/fuzz_api.py [--examples 50] [--roles operator,leader]
                               [--fields 'order|pickup'] [--seed 0]
                               [--database-url URL]

Without ``--database-url`` it fuzzes a fresh SQLite file in a temporary
folder. A PostgreSQL URL names the server: a throwaway database
(tuangou_fuzz_<random>) is created there, migrated, and dropped after the
run, also on failure or Ctrl-C. A SQLite URL names a file to create (it
must not exist yet).

The day of data and the engine are the test's (tests/support/fuzz*.py):
they are built from the test factories, so this script imports them from
``tests.support`` rather than copying them. Each field prints one row as
it finishes: requests, user errors, top-level errors, internal errors,
requests that changed data although refused, failed jobs; then every
failure grouped by field and cause with a reproducible example; and, as
the very last line, one JSON object:
{"requests": …, "internal_errors": …, "mutated_on_error": …, "failed_jobs": …}
The exit status is 1 when any request failed a check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchdb import create_database, drop_database, with_database
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from tests.support.fuzz import FieldStats

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLUMNS = ("requests", "user err", "top err", "internal", "mutated", "jobs", "s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=50, help="examples per field")
    parser.add_argument("--database-url", default=None, help="SQLite file or PostgreSQL server")
    parser.add_argument("--roles", default=None, help="comma-separated, e.g. anonymous,operator")
    parser.add_argument("--fields", default=None, help="regular expression on field names")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def row(stats: FieldStats) -> str:
    values = (
        stats.requests,
        stats.user_errors,
        stats.top_errors,
        stats.internal_errors,
        stats.mutated_on_error,
        stats.failed_jobs,
    )
    cells = "".join(f"{v:>10}" for v in values)
    flag = "  FAIL" if stats.failures else ""
    return f"{stats.target.label:<34}{cells}{stats.seconds:>10.1f}{flag}"


async def fuzz(url: str, args: argparse.Namespace) -> list[FieldStats]:
    """Seed the day on the migrated database ``url`` and fuzz every field."""
    from kernel.db import create_engine, create_sessionmaker
    from tests.conftest import TestDB, test_settings
    from tests.support.fuzz import fuzzer_for, in_order
    from tests.support.fuzz_day import ROLES, seed_day

    roles = args.roles.split(",") if args.roles else list(ROLES)
    engine = create_engine(url)
    kind = make_url(url).get_backend_name()
    db = TestDB(kind, url, test_settings(url), engine, create_sessionmaker(engine))
    out = []
    try:
        started = time.monotonic()
        day = await seed_day(db)
        print(f"seeded the day in {time.monotonic() - started:.1f} s", flush=True)
        print(f"{'field':<34}" + "".join(f"{c:>10}" for c in COLUMNS), flush=True)
        async with fuzzer_for(db.settings, engine, day) as fuzzer:
            for target in in_order(fuzzer.schema, args.fields):
                stats = await fuzzer.run_field(target, roles, args.examples, args.seed)
                print(row(stats), flush=True)
                out.append(stats)
    finally:
        await engine.dispose()
    return out


def migrated(url: str) -> None:
    from api.cli.app import migrate
    from tests.conftest import test_settings

    migrate(test_settings(url))


def run(args: argparse.Namespace) -> list[FieldStats]:
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/fuzz.db"
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        if database and Path(database).exists():
            raise SystemExit(f"{database} exists: give a new file")
        migrated(url)
        return asyncio.run(fuzz(url, args))
    name = f"tuangou_fuzz_{uuid.uuid4().hex[:10]}"
    create_database(url, name)
    try:
        migrated(with_database(url, name))
        return asyncio.run(fuzz(with_database(url, name), args))
    finally:
        drop_database(url, name)


def summary(fields: list[FieldStats]) -> dict[str, Any]:
    return {
        "requests": sum(f.requests for f in fields),
        "internal_errors": sum(f.internal_errors for f in fields),
        "mutated_on_error": sum(f.mutated_on_error for f in fields),
        "failed_jobs": sum(f.failed_jobs for f in fields),
        "failing_requests": sum(len(f.failures) for f in fields),
        "fields": len(fields),
        "seconds": round(sum(f.seconds for f in fields), 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tests.support.fuzz_day import ROLES

    unknown = set(args.roles.split(",") if args.roles else ()) - set(ROLES)
    if unknown:
        raise SystemExit(f"unknown roles {sorted(unknown)}; choose from {', '.join(ROLES)}")
    # The app logs each masked error with its traceback; the engine keeps
    # them for the report, so they need not fill the terminal too.
    logging.getLogger().addHandler(logging.NullHandler())
    from tests.support.fuzz_report import report

    fields = run(args)
    failures = [outcome for field in fields for outcome in field.failures]
    if failures:
        print(f"\n{len(failures)} failing requests, by field and cause:\n{report(failures, 600)}")
    totals = summary(fields)
    print(json.dumps(totals))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
