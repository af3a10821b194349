"""The demo's day. Orders are placed now, through the API's own clock; the
night and the delivery day that follow run at the hours they would in real
life (passed to the domain functions as ``now``), so one run shows a whole
day in minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.clock import as_utc

# Past this local hour the demo sells for the day after tomorrow, so the
# campaign stays open however long ordering takes.
LATE_HOUR = 22


@dataclass(frozen=True)
class Timeline:
    started: datetime  # UTC, when the demo began
    zone: ZoneInfo
    delivery_date: date

    @classmethod
    def starting(cls, now: datetime, zone: ZoneInfo) -> Timeline:
        local = as_utc(now).astimezone(zone)
        days = 2 if local.hour >= LATE_HOUR else 1
        return cls(as_utc(now), zone, local.date() + timedelta(days=days))

    def at(self, hour: int, minute: int = 0, *, days: int = 0) -> datetime:
        """A local time of the delivery date (``days`` later), in UTC."""
        moment = datetime.combine(self.delivery_date + timedelta(days=days), time(hour, minute))
        return moment.replace(tzinfo=self.zone).astimezone(ZoneInfo("UTC"))

    @property
    def opens_at(self) -> datetime:
        return self.started - timedelta(hours=1)

    @property
    def cutoff_at(self) -> datetime:
        """The start of the delivery date: the latest cutoff a campaign may have."""
        return self.at(0)
