"""Keep SQLite's query planner informed.

Without statistics SQLite guesses which index to use, and after an evening of
orders it guessed wrong for a pickup point's pick list: it walked every paid
order by status (88 ms) instead of the point's orders (2 ms). ANALYZE, bounded
by ``analysis_limit`` so that it stays in the tens of milliseconds on a big
file, fixes that; hourly is often enough for how fast the data changes.
PostgreSQL's autovacuum already does this there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.jobs.registry import JobContext, job_handler, periodic

REFRESH = "db.statistics"
periodic(REFRESH, every_s=3600)

# Rows sampled per index: enough to tell a selective index from a poor one.
ANALYSIS_LIMIT = 1000


async def refresh_statistics(session: AsyncSession) -> bool:
    """Refresh the planner's statistics where the platform must (SQLite);
    whether anything was done."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    await session.execute(text(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
    await session.execute(text("ANALYZE"))
    return True


@job_handler(REFRESH)
async def refresh(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every hour: the planner's statistics (SQLite only)."""
    async with ctx.step() as session:
        done = await refresh_statistics(session)
    return {"analyzed": done}
