"""Time: stored in UTC, business dates in the platform's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive value (SQLite returns those) as UTC and convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def business_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of ``moment`` in the platform's zone."""
    return as_utc(moment).astimezone(zone).date()
