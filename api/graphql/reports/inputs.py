"""A report's range and filter as the API takes them, checked into the
domain's ``DateRange`` and ``ReportFilter``; the downloads share it."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.ids import decode
from fulfilment.reports.filters import DateRange, ReportFilter


@strawberry.input(
    name="ReportRange",
    description="Business dates (the platform's zone), both ends included, at most 366 days.",
)
class ReportRangeInput:
    start: date
    end: date


@strawberry.input(name="ReportFilter", description="Optional; every filter given must match.")
class ReportFilterInput:
    warehouse_id: strawberry.ID | None = None
    supplier_id: strawberry.ID | None = None
    leader_id: strawberry.ID | None = None
    category: str | None = strawberry.field(default=None, description="A product category.")


def domain_filter(
    warehouse_id: str | None,
    supplier_id: str | None,
    leader_id: str | None,
    category: str | None,
) -> ReportFilter:
    """The filter with its IDs decoded (DomainError INVALID_ID when malformed
    or of another type)."""

    def db_id(value: str | None, type_name: str, field: str) -> int | None:
        return None if value is None else decode(value, type_name, ["filter", field])

    return ReportFilter(
        warehouse_id=db_id(warehouse_id, "Warehouse", "warehouseId"),
        supplier_id=db_id(supplier_id, "Supplier", "supplierId"),
        leader_id=db_id(leader_id, "Leader", "leaderId"),
        category=None if category is None else category.strip(),
    )


def report_args(
    given_range: ReportRangeInput, given: ReportFilterInput | None
) -> tuple[DateRange, ReportFilter]:
    """Domain values of a query's arguments (DomainError when refused)."""
    days = DateRange(given_range.start, given_range.end)
    f = given or ReportFilterInput()
    return days, domain_filter(
        f.warehouse_id and str(f.warehouse_id),
        f.supplier_id and str(f.supplier_id),
        f.leader_id and str(f.leader_id),
        f.category,
    )
