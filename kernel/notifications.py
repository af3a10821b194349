"""Notifications to people (a leader's expected arrival, a customer's goods
having arrived, a refund, a payout; docs/notifications.md lists the kinds):
an in-app inbox row per recipient, plus, when a gateway is configured, one
signed outbox message per event listing the recipients, for the service
that pushes WeChat subscription messages or SMS.

Both are written in the caller's transaction, so a notification exists
exactly when the change it announces does. ``notify`` tells many people the
same thing; ``notify_each`` tells each their own (a refund of their order),
still in one statement. Reading and marking read: kernel/notification_inbox.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, insert_ignoring_conflicts
from kernel.outbox import publish
from kernel.settings import Settings

TOPIC = "notification"
# Notes per outbox message of ``notify_each``: a cutoff may refund thousands.
_GATEWAY_CHUNK = 500


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        # The badge: a user's unread count reads only their unread rows.
        Index(
            "ix_notifications_user_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
        # Once-only notices (a pickup reminder per order): NULL keys never clash.
        Index("uq_notifications_user_dedupe_key", "user_id", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set for a notice a user gets at most once (``Note.key``); NULL otherwise.
    dedupe_key: Mapped[str | None] = mapped_column(String(100))


@dataclass(frozen=True)
class Note:
    """One person's own notification, for ``notify_each``."""

    user_id: int
    title: str
    body: str
    data: dict[str, Any]
    # When set, the user gets this notice at most once (a second is skipped).
    key: str | None = None


@dataclass(frozen=True)
class Gateway:
    """Where notification events are posted (signed like every webhook)."""

    url: str
    secret: str


def gateway_from(settings: Settings) -> Gateway | None:
    """The configured push gateway, or None when only the in-app inbox is used."""
    if not settings.notification_gateway_url:
        return None
    return Gateway(settings.notification_gateway_url, settings.notification_gateway_secret)


async def notify(
    session: AsyncSession,
    *,
    user_ids: Sequence[int],
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
    gateway: Gateway | None = None,
) -> int:
    """Tell each of ``user_ids`` (duplicates ignored) about one event; returns
    how many were told."""
    recipients = sorted(set(user_ids))
    if not recipients:
        return 0
    now = utcnow()
    await session.execute(
        insert(Notification),
        [
            {
                "user_id": u,
                "kind": kind,
                "title": title,
                "body": body,
                "data": data,
                "created_at": now,
            }
            for u in recipients
        ],
    )
    if gateway is not None:
        publish(
            session,
            topic=TOPIC,
            url=gateway.url,
            secret=gateway.secret,
            payload={"kind": kind, "title": title, "body": body, "data": data, "users": recipients},
        )
    return len(recipients)


async def notify_each(
    session: AsyncSession, *, kind: str, notes: Sequence[Note], gateway: Gateway | None = None
) -> int:
    """Tell each note's user their own news, all in one batched INSERT (never
    a statement per person); notes with a ``key`` the user already got are
    skipped. Returns how many notes were given."""
    if not notes:
        return 0
    now = utcnow()
    rows = [
        {
            "user_id": n.user_id,
            "kind": kind,
            "title": n.title,
            "body": n.body,
            "data": n.data,
            "created_at": now,
            "dedupe_key": n.key,
        }
        for n in notes
    ]
    statement = (
        insert_ignoring_conflicts(session, Notification, ["user_id", "dedupe_key"])
        if any(n.key is not None for n in notes)
        else insert(Notification)
    )
    await session.execute(statement, rows)
    if gateway is not None:
        for start in range(0, len(notes), _GATEWAY_CHUNK):
            chunk = notes[start : start + _GATEWAY_CHUNK]
            publish(
                session,
                topic=TOPIC,
                url=gateway.url,
                secret=gateway.secret,
                payload={
                    "kind": kind,
                    "notes": [
                        {"user": n.user_id, "title": n.title, "body": n.body, "data": n.data}
                        for n in chunk
                    ],
                },
            )
    return len(notes)
