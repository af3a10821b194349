"""Versioned setup rows: optimistic concurrency and a history of changes.

Every editable setup row (product, warehouse, pickup point, vehicle type)
carries a ``version`` that each edit bumps. An edit names the version it
was made from; when another edit got there first the row's version has
moved on and the edit is refused with ``STALE`` before anything is written.
The row is read ``FOR UPDATE`` first, so on PostgreSQL the second of two
overlapping edits waits for the first to commit and then sees its version.

Each accepted edit also adds a ``setup_changes`` row: who, when, which
version it made, and the changed fields before and after. Rows are only
ever added, like the audit log; the audit log records the mutation and its
input, this table records what the row looked like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, BigID, UTCDateTime
from kernel.errors import CommonErrorCode, DomainError
from kernel.jobs.models import JsonType
from kernel.listing import newest_first


class SetupChange(Base):
    """One accepted edit of a setup row."""

    __tablename__ = "setup_changes"
    __table_args__ = (Index("ix_setup_changes_entity", "entity_type", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigID)
    # The version the edit made (the row's new version).
    version: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    before: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


def check_version(current: int, expected: int, what: str) -> None:
    """Refuse an edit made from a version other than the row's current one."""
    if expected != current:
        raise DomainError(
            CommonErrorCode.STALE,
            f"This {what} was changed by someone else (now version {current}, "
            f"your edit was made from version {expected}); reload it and edit again.",
            ["expectedVersion"],
        )


def plain(value: Any) -> Any:
    """A value as JSON: enums by value, dates and times as ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def snapshot(row: Any, names: Sequence[str]) -> dict[str, Any]:
    """The named attributes of ``row``, as JSON."""
    return {name: plain(getattr(row, name)) for name in names}


async def record_edit(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: int,
    version: int,
    actor_id: int | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    now: datetime,
) -> SetupChange | None:
    """Keep the fields that changed, before and after; an edit that changed
    nothing adds no row (and the caller keeps the version)."""
    changed = [k for k in after if before.get(k) != after[k]]
    if not changed:
        return None
    change = SetupChange(
        entity_type=entity_type,
        entity_id=entity_id,
        version=version,
        actor_id=actor_id,
        at=now,
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
    )
    session.add(change)
    await session.flush()
    return change


async def apply_versioned(
    session: AsyncSession,
    row: Any,
    *,
    entity_type: str,
    names: Sequence[str],
    before: Mapping[str, Any],
    actor_id: int | None,
    now: datetime,
) -> bool:
    """After ``row``'s attributes were set: bump its version and record the
    change if any of ``names`` differs from ``before``. True if it changed."""
    after = snapshot(row, names)
    if after == dict(before):
        return False
    row.version = row.version + 1
    await record_edit(
        session,
        entity_type=entity_type,
        entity_id=row.id,
        version=row.version,
        actor_id=actor_id,
        before=before,
        after=after,
        now=now,
    )
    return True


async def history(
    session: AsyncSession, entity_type: str, entity_id: int, before_id: int | None, limit: int
) -> Sequence[SetupChange]:
    """A page of the recorded edits of one row, newest first, below ``before_id``."""
    stmt = newest_first(
        SetupChange,
        SetupChange.id,
        before_id,
        limit,
        equal={SetupChange.entity_type: entity_type, SetupChange.entity_id: entity_id},
    )
    return (await session.execute(stmt)).scalars().all()
