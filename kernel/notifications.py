"""Notifications to people (a leader's expected arrival, a customer's goods
having arrived): an in-app inbox row per recipient, plus, when a gateway is
configured, one signed outbox message per event listing the recipients, for
the service that pushes WeChat subscription messages or SMS.

Both are written in the caller's transaction, so a notification exists
exactly when the change it announces does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime
from kernel.outbox import publish
from kernel.settings import Settings

TOPIC = "notification"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


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
