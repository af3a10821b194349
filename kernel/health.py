"""What readiness probes ask the database: plain queries on a connection,
each returning the numbers a probe reports (api/http/health.py judges them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from kernel.clock import as_utc, utcnow
from kernel.jobs.models import Job, JobStatus
from kernel.outbox import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Backlog:
    """How many items wait, and how long the one waiting longest has (seconds)."""

    count: int
    oldest_age_s: float | None


@dataclass(frozen=True)
class Workers:
    """Workers whose heartbeat is fresh, and the age of the newest heartbeat."""

    alive: int
    newest_heartbeat_age_s: float | None


async def ping(conn: AsyncConnection) -> None:
    """One round trip: raises when the database does not answer."""
    await conn.execute(text("SELECT 1"))


async def schema_revisions(conn: AsyncConnection) -> set[str]:
    """The revisions Alembic recorded in the database (empty when none)."""
    rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
    return {str(row[0]) for row in rows}


def _age(oldest: datetime | None, now: datetime) -> float | None:
    return None if oldest is None else max(0.0, (now - as_utc(oldest)).total_seconds())


async def queued_jobs(conn: AsyncConnection, now: datetime | None = None) -> Backlog:
    """Jobs still QUEUED, and how long ago the oldest was created."""
    now = now or utcnow()
    row = (
        await conn.execute(
            select(func.count(), func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED)
        )
    ).one()
    return Backlog(int(row[0]), _age(row[1], now))


async def due_outbox_messages(conn: AsyncConnection, now: datetime | None = None) -> Backlog:
    """PENDING outbox messages whose next attempt is due, and how long the
    most overdue one has waited past its attempt time. A message backing off
    until later is not late yet; one overdue for long means nobody delivers."""
    now = now or utcnow()
    row = (
        await conn.execute(
            select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
        )
    ).one()
    return Backlog(int(row[0]), _age(row[1], now))


async def live_workers(conn: AsyncConnection, max_age_s: float) -> Workers:
    """PostgreSQL: procrastinate workers whose last heartbeat is younger than
    ``max_age_s``, by the database's clock (the one the workers beat with)."""
    row = (
        await conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE last_heartbeat > now() - make_interval(secs => :s)),"
                " EXTRACT(EPOCH FROM now() - max(last_heartbeat))"
                " FROM procrastinate_workers"
            ),
            {"s": max_age_s},
        )
    ).one()
    age = None if row[1] is None else max(0.0, float(row[1]))
    return Workers(int(row[0]), age)
