"""Keep the query planner informed, and the tables free of dead rows.

Without statistics SQLite guesses which index to use, and after an evening of
orders it guessed wrong for a pickup point's pick list: it walked every paid
order by status (88 ms) instead of the point's orders (2 ms). ANALYZE, bounded
by ``analysis_limit`` so that it stays in the tens of milliseconds on a big
file, fixes that; hourly is often enough for how fast the data changes.

PostgreSQL's autovacuum does this there, unless the server has it off (this
project's CI machine does, for its tests' speed; a DBA may). Then nothing ever
vacuums or analyzes: an evening pays every order twice over (placed, then
paid), leaving as many dead rows as live ones in ``orders``, and each night
reads through more of them. So with autovacuum off the same hourly job stands
in for it, with its default thresholds, and says so in its result.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from kernel.jobs.registry import JobContext, job_handler, periodic

log = logging.getLogger(__name__)

REFRESH = "db.statistics"
periodic(REFRESH, every_s=3600)

# Rows sampled per index: enough to tell a selective index from a poor one.
ANALYSIS_LIMIT = 1000
# Autovacuum's default thresholds: a table is vacuumed once its dead rows
# pass 50 + 20 % of its rows, analyzed once its changed rows pass 50 + 10 %.
_DUE = text(
    "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables "
    "WHERE n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup "
    "ORDER BY relname"
)


async def refresh_statistics(session: AsyncSession) -> bool:
    """Refresh the planner's statistics where the platform must (SQLite);
    whether anything was done."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    await session.execute(text(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
    await session.execute(text("ANALYZE"))
    return True


async def stand_in_for_autovacuum(
    engine: AsyncEngine, *, autovacuum: bool | None = None
) -> list[str]:
    """On PostgreSQL with autovacuum off, VACUUM (ANALYZE) each table that
    autovacuum would have by now; the tables done. ``autovacuum``: what to
    take the server's setting to be (None: ask it)."""
    if engine.dialect.name != "postgresql":
        return []
    # One connection outside any transaction: VACUUM runs in none.
    async with engine.connect() as connection:
        plain = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if autovacuum is None:
            autovacuum = await plain.scalar(text("SELECT current_setting('autovacuum')")) == "on"
        if autovacuum:
            return []
        tables = list(await plain.scalars(_DUE))
        for table in tables:
            # A catalog name, quoted by format('%I'): not the user's text.
            await plain.execute(text(f"VACUUM (ANALYZE) {table}"))
    return tables


@job_handler(REFRESH)
async def refresh(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every hour: the planner's statistics on SQLite; on PostgreSQL with
    autovacuum off, what autovacuum would have done."""
    async with ctx.step() as session:
        analyzed = await refresh_statistics(session)
    engine = ctx.sessions.kw.get("bind")
    vacuumed = await stand_in_for_autovacuum(engine) if isinstance(engine, AsyncEngine) else []
    if vacuumed:
        log.warning("autovacuum is off: vacuumed and analyzed %s", ", ".join(vacuumed))
    return {"analyzed": analyzed or bool(vacuumed), "vacuumed": vacuumed}
