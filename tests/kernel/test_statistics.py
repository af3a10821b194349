"""The hourly planner-statistics job: SQLite gets its statistics (without
them it picked the wrong index for a pickup point's pick list after an
evening of orders); PostgreSQL is left to autovacuum, unless the server has
it off: then the job stands in for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.jobs.statistics import refresh_statistics, stand_in_for_autovacuum
from tests.conftest import TestDB


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


async def test_with_autovacuum_off_the_hourly_job_vacuums_and_analyzes_what_changed(pg):
    probe = "maintenance_probe"
    async with pg.engine.connect() as conn:
        await conn.execute(text(f"CREATE TABLE {probe} (id integer)"))
        await conn.execute(text(f"INSERT INTO {probe} SELECT generate_series(1, 1000)"))
        await conn.execute(text(f"DELETE FROM {probe} WHERE id > 100"))
        # The counters reach pg_stat_user_tables when this backend reports
        # them, not at once: now, at the commit.
        await conn.execute(text("SELECT pg_stat_force_next_flush()"))
        await conn.commit()
    try:
        # With autovacuum on, the job leaves the server's own to it.
        assert await stand_in_for_autovacuum(pg.engine, autovacuum=True) == []
        assert await _maintained(pg, probe) == (None, None, 900)

        done = await stand_in_for_autovacuum(pg.engine, autovacuum=False)

        assert f"public.{probe}" in done
        vacuumed, analyzed, dead = await _maintained(pg, probe)
        assert vacuumed is not None and analyzed is not None and dead == 0
        # Done once: nothing of it is due again.
        assert f"public.{probe}" not in await stand_in_for_autovacuum(pg.engine, autovacuum=False)
    finally:
        async with pg.engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {probe}"))


async def _maintained(pg: TestDB, table: str) -> tuple[Any, ...]:
    rows = await pg.rows(
        "SELECT last_vacuum, last_analyze, n_dead_tup FROM pg_stat_user_tables WHERE relname = :t",
        t=table,
    )
    return rows[0]
