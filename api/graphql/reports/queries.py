"""``report*`` queries (operators only; others FORBIDDEN). A range over 366
days, a range ending before it starts, a malformed or foreign ID, an
unknown warehouse, supplier, leader or category, or a filter the report
cannot apply: a top-level BAD_USER_INPUT (queries have no userErrors)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.pagination import Connection, connection, page_window
from api.graphql.reports.inputs import ReportFilterInput, ReportRangeInput, report_args
from api.graphql.reports.types import (
    LeaderRankType,
    PayoutDayType,
    PayoutRowType,
    ProductAfterSaleType,
    RefundReasonTotalType,
    RefundsReportType,
    ReportDayAmountType,
    SalesFiguresType,
    SalesReportType,
    SettlementPeriodType,
    StatementRowType,
    SupplierFillType,
)
from fulfilment.reports.after_sale import after_sale_by_product
from fulfilment.reports.filters import DateRange, ReportFilter, check_filter
from fulfilment.reports.leaders import leader_ranking
from fulfilment.reports.refunds import refunds_by_reason
from fulfilment.reports.registers import (
    payout_days,
    payout_register,
    settlement_register,
    settlement_totals,
)
from fulfilment.reports.sales import sales_report
from fulfilment.reports.suppliers import supplier_fill
from kernel.accounts import Role
from kernel.errors import DomainError

R = TypeVar("R")
T = TypeVar("T")


@dataclass
class _Ranked(Generic[R]):
    id: int  # the row's place in the whole list, from 1: its cursor
    row: R


async def _run(
    info: Info,
    given_range: ReportRangeInput,
    given: ReportFilterInput | None,
    work: Callable[[AsyncSession, DateRange, ReportFilter], Awaitable[T]],
) -> T:
    """Operators only; the arguments checked, then ``work`` under the
    request's session lock; domain refusals become BAD_USER_INPUT."""
    info.context.require(Role.OPERATOR)
    try:
        days, narrowed = report_args(given_range, given)
        async with info.context.loaders.lock:
            session = info.context.session
            await check_filter(session, narrowed)
            return await work(session, days, narrowed)
    except DomainError as exc:
        raise bad_input(exc.message) from exc


def _page(first: int | None, after: str | None) -> tuple[int, int]:
    size, after_rank = page_window(first, after)
    return size, after_rank or 0


def _connection(rows: Sequence[R], offset: int, size: int, node: Callable[[R], T]) -> Connection[T]:
    ranked = [_Ranked(offset + n + 1, row) for n, row in enumerate(rows)]
    return connection(ranked, size, lambda r: node(r.row), after_id=offset or None)


@strawberry.type
class SettlementRegisterType:
    periods: list[SettlementPeriodType]
    statements: Connection[StatementRowType]


@strawberry.type
class PayoutRegisterType:
    days: list[PayoutDayType] = strawberry.field(description="Every date of the range.")
    payouts: Connection[PayoutRowType]


_RANGE = "range"


@strawberry.type
class ReportQuery:
    @strawberry.field(description="GMV, orders, customers and average basket, per day and total.")
    async def report_sales(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
    ) -> SalesReportType:
        report = await _run(info, range, filter, sales_report)
        return SalesReportType(
            totals=SalesFiguresType.of(report.totals),
            days=[SalesFiguresType.of(d) for d in report.days],
        )

    @strawberry.field(description="Leaders by sales, with customers, commission, after-sale.")
    async def report_leader_ranking(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LeaderRankType]:
        size, offset = _page(first, after)
        zone = info.context.settings.zone

        async def work(
            s: AsyncSession, d: DateRange, f: ReportFilter
        ) -> Connection[LeaderRankType]:
            rows = await leader_ranking(s, d, f, zone, offset=offset, limit=size + 1)
            return _connection(rows, offset, size, LeaderRankType.of)

        return await _run(info, range, filter, work)

    @strawberry.field(description="Per supplier: fill, shortage and QC-failure rates.")
    async def report_supplier_fill(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
    ) -> list[SupplierFillType]:
        rows = await _run(info, range, filter, supplier_fill)
        return [SupplierFillType.of(r) for r in rows]

    @strawberry.field(description="Per product: sales and after-sale refunds, worst first.")
    async def report_after_sale_by_product(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
    ) -> list[ProductAfterSaleType]:
        rows = await _run(info, range, filter, after_sale_by_product)
        return [ProductAfterSaleType.of(r) for r in rows]

    @strawberry.field(description="Refunds of the range's orders per reason and per day.")
    async def report_refunds_by_reason(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
    ) -> RefundsReportType:
        report = await _run(info, range, filter, refunds_by_reason)
        return RefundsReportType(
            reasons=[
                RefundReasonTotalType(
                    reason=r.reason,
                    refunds=r.refunds,
                    amount_fen=r.amount_fen,
                    returned_fen=r.returned_fen,
                )
                for r in report.reasons
            ],
            days=[ReportDayAmountType(date=d, amount_fen=fen) for d, fen in report.days],
            refunds=report.refunds,
            amount_fen=report.amount_fen,
            returned_fen=report.returned_fen,
        )

    @strawberry.field(
        description="Statements of the settlements whose period ends in the range, "
        "leaders' and grid warehouses' (filters: warehouse, leader)."
    )
    async def report_settlement_register(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SettlementRegisterType:
        size, offset = _page(first, after)

        async def work(s: AsyncSession, d: DateRange, f: ReportFilter) -> SettlementRegisterType:
            periods = await settlement_totals(s, d, f)
            rows = await settlement_register(s, d, f, offset=offset, limit=size + 1)
            return SettlementRegisterType(
                periods=[SettlementPeriodType(period_end=p[0], statements=p[1], accrued_fen=p[2],
                                              reversed_fen=p[3], cash_held_fen=p[4],
                                              total_fen=p[5]) for p in periods],
                statements=_connection(rows, offset, size, StatementRowType.of),
            )  # fmt: skip

        return await _run(info, range, filter, work)

    @strawberry.field(
        description="Payouts requested in the range, leaders' and grid warehouses', "
        "with per-day totals of the same payouts (filters: warehouse, leader)."
    )
    async def report_payout_register(
        self,
        info: Info,
        range: ReportRangeInput,
        filter: ReportFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PayoutRegisterType:
        size, offset = _page(first, after)
        zone = info.context.settings.zone

        async def work(s: AsyncSession, d: DateRange, f: ReportFilter) -> PayoutRegisterType:
            per_day = await payout_days(s, d, f, zone)
            rows = await payout_register(s, d, f, zone, offset=offset, limit=size + 1)
            return PayoutRegisterType(
                days=[PayoutDayType.of(x) for x in per_day],
                payouts=_connection(rows, offset, size, PayoutRowType.of),
            )

        return await _run(info, range, filter, work)
