"""The hourly planner-statistics job: SQLite gets its statistics (without
them it picked the wrong index for a pickup point's pick list after an
evening of orders); PostgreSQL is left to autovacuum."""

from __future__ import annotations

from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.jobs.statistics import refresh_statistics


async def test_statistics_are_refreshed_on_sqlite_only(db):
    for n in range(3):
        await db.user(Role.CUSTOMER, f"居民{n}")
    async with unit_of_work(db.sessions) as session:
        done = await refresh_statistics(session)
    assert done is db.settings.is_sqlite
    if db.settings.is_sqlite:
        # The users table and its phone index are described for the planner.
        rows = await db.scalar("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'users'")
        assert rows >= 1
