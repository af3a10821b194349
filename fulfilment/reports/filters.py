"""What every report is asked for: a range of business dates (both ends
included, at most ``MAX_DAYS``) and optional filters, checked against the
database before any report runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Subquery, exists, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product, Supplier, Warehouse
from kernel.db import UTCDateTime
from kernel.errors import CommonErrorCode, DomainError
from leaders.points.models import Leader

# A year, a leap day included: longer ranges are refused (issue 22).
MAX_DAYS = 366


@dataclass(frozen=True)
class DateRange:
    """Business dates ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DomainError(
                CommonErrorCode.INVALID, "The range ends before it starts.", ["range", "end"]
            )
        if self.days > MAX_DAYS:
            raise DomainError(
                CommonErrorCode.OUT_OF_RANGE,
                f"A report covers at most {MAX_DAYS} days; this range has {self.days}.",
                ["range"],
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[date]:
        for n in range(self.days):
            yield self.start + timedelta(days=n)

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The first moment of ``start`` and of the day after ``end``, local
        midnight in ``zone``, in UTC."""
        return _midnight(self.start, zone), _midnight(self.end + timedelta(days=1), zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


@dataclass(frozen=True)
class ReportFilter:
    """Optional narrowing; every filter given must match. IDs are database ids."""

    warehouse_id: int | None = None
    supplier_id: int | None = None
    leader_id: int | None = None
    category: str | None = None

    @property
    def by_product(self) -> bool:
        """Whether only some products' lines count."""
        return self.supplier_id is not None or self.category is not None


NO_FILTER = ReportFilter()


async def check_filter(session: AsyncSession, given: ReportFilter) -> None:
    """Refuse a filter naming something that does not exist: a report of
    nothing would read like a quiet day."""
    checks: list[tuple[ColumnElement[bool], str, str]] = []
    if given.warehouse_id is not None:
        checks.append((Warehouse.id == given.warehouse_id, "warehouseId", "warehouse"))
    if given.supplier_id is not None:
        checks.append((Supplier.id == given.supplier_id, "supplierId", "supplier"))
    if given.leader_id is not None:
        checks.append((Leader.id == given.leader_id, "leaderId", "leader"))
    if given.category is not None:
        checks.append((Product.category == given.category, "category", "category"))
    for condition, field, noun in checks:
        if not await session.scalar(select(exists().where(condition))):
            raise DomainError(CommonErrorCode.NOT_FOUND, f"No such {noun}.", ["filter", field])


def refuse_filters(given: ReportFilter, *names: str) -> None:
    """Refuse filters a report cannot apply (named by their API field)."""
    values = {
        "warehouseId": given.warehouse_id,
        "supplierId": given.supplier_id,
        "leaderId": given.leader_id,
        "category": given.category,
    }
    for name in names:
        if values[name] is not None:
            raise DomainError(
                CommonErrorCode.INVALID,
                f"This report cannot be filtered by {name}.",
                ["filter", name],
            )


def day_buckets(days: DateRange, zone: ZoneInfo) -> Subquery:
    """One row per business date of the range with its UTC bounds
    (``day``, ``starts``, ``ends``): joining timestamps to it groups them by
    local date in one spelling for both databases (no time-zone functions)."""
    rows = [
        select(
            literal(day).label("day"),
            literal(_midnight(day, zone), UTCDateTime()).label("starts"),
            literal(_midnight(day + timedelta(days=1), zone), UTCDateTime()).label("ends"),
        )
        for day in days.dates()
    ]
    return union_all(*rows).subquery("days")
