"""Time: stored in UTC, business dates in the platform's zone.

The platform clock is the machine's clock, unless ``TUANGOU_CLOCK_FILE``
names a file holding an offset in seconds (development only: production
settings refuse it). ``tuangou demo --days`` runs a week in minutes that
way: it moves the clock forward to each moment of the business day, and
the API, the schedule and the workers it started (which inherit the
variable) all read the same file, so they agree on what time it is."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

CLOCK_FILE_ENV = "TUANGOU_CLOCK_FILE"


@dataclass
class _Read:
    path: str = ""
    stamp: tuple[int, int] = (0, 0)  # inode and mtime: the file replaced or rewritten
    offset_s: float = 0.0


_last = _Read()


def clock_file() -> str | None:
    """The platform clock's offset file, when one is in use."""
    return os.environ.get(CLOCK_FILE_ENV) or None


def offset_s() -> float:
    """How far the platform clock is ahead of the machine's, in seconds."""
    path = clock_file()
    if path is None:
        return 0.0
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return 0.0
    stamp = (found.st_ino, found.st_mtime_ns)
    if (path, stamp) != (_last.path, _last.stamp):
        # Read once per change: utcnow() is called on every request.
        _last.offset_s = float(Path(path).read_text().strip() or 0)
        _last.path, _last.stamp = path, stamp
    return _last.offset_s


def utcnow() -> datetime:
    """Now on the platform clock, timezone-aware in UTC."""
    return datetime.now(UTC) + timedelta(seconds=offset_s())


def machine_now() -> datetime:
    """Now on the machine's clock, whatever the platform clock says: for
    liveness (job heartbeats and the sweep that finds dead workers), which
    moving the platform clock forward must not age."""
    return datetime.now(UTC)


def now_s() -> float:
    """Now on the platform clock, as seconds since the epoch."""
    return time.time() + offset_s()


def set_platform_time(moment: datetime, path: str | None = None) -> None:
    """Move the platform clock (``path``, or the file the environment names)
    so that it reads ``moment`` now and runs on from there. The file is
    replaced in one step, so a reader never sees half an offset."""
    target = path or clock_file()
    if target is None:
        raise RuntimeError(f"no platform clock file: set {CLOCK_FILE_ENV}")
    offset = (as_utc(moment) - datetime.now(UTC)).total_seconds()
    staging = f"{target}.{os.getpid()}.tmp"
    Path(staging).write_text(f"{offset:.6f}\n")
    os.replace(staging, target)


def as_utc(value: datetime) -> datetime:
    """Treat a naive value (SQLite returns those) as UTC and convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def business_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of ``moment`` in the platform's zone."""
    return as_utc(moment).astimezone(zone).date()
