"""The audit log: who changed what, on which object, when, in which request.

Every change a staff member (anyone but a customer) makes through the API is
written here in the same transaction as the change itself, so a change that
commits is never missing from the log and a refused one never appears in it.
Rows are only ever added.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.accounts import Role
from kernel.db import Base, BigID, UTCDateTime, enum_column
from kernel.jobs.models import JsonType
from kernel.listing import newest_first

# Input fields never written to the log, whatever mutation carries them: a
# log readable by every operator must not become a store of credentials.
SECRET_FIELD = re.compile(r"(code|token|secret|password|key)$", re.IGNORECASE)
REDACTED = "[redacted]"


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        Index("ix_audit_events_object", "object_type", "object_id", "id"),
        Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The role at the time: roles change, and the log says what they were.
    actor_role: Mapped[Role] = mapped_column(enum_column(Role, "audit_actor_role"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(BigID)
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


@dataclass(frozen=True)
class AuditEntry:
    """One change to write: the actor, the action and its (cleaned) input."""

    actor_id: int
    actor_role: Role
    action: str
    object_type: str | None
    object_id: int | None
    request_id: str | None
    details: Mapping[str, Any]


def audited(role: Role) -> bool:
    """Whether changes made by someone in ``role`` are audited: every staff
    role, leaders included; customers' own orders are their order history."""
    return role is not Role.CUSTOMER


def redact(value: Any) -> Any:
    """``value`` with every secret-looking field replaced (recursively)."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if SECRET_FIELD.search(str(k)) else redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


async def record(db: AsyncSession | AsyncConnection, entry: AuditEntry, at: datetime) -> None:
    """Write ``entry`` in ``db``'s transaction (a session or a bare connection)."""
    await db.execute(
        insert(AuditEvent).values(
            at=at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            request_id=entry.request_id,
            details=redact(dict(entry.details)),
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list; every field left out matches everything."""

    actor_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_events(
    session: AsyncSession, where: AuditFilter, before_id: int | None, limit: int
) -> Sequence[AuditEvent]:
    """Events matching ``where``, newest first, paged by keyset (ids below
    ``before_id``); ``since`` is inclusive and ``until`` exclusive."""
    stmt = newest_first(
        AuditEvent,
        AuditEvent.id,
        before_id,
        limit,
        equal={
            AuditEvent.actor_id: where.actor_id,
            AuditEvent.object_type: where.object_type,
            AuditEvent.object_id: where.object_id,
            AuditEvent.action: where.action,
        },
        at=AuditEvent.at,
        since=where.since,
        until=where.until,
    )
    return (await session.scalars(stmt)).all()
