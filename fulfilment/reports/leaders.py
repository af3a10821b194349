"""Leader ranking: each leader's sales, customers, commission and
after-sale rate over a range of delivery dates, best sellers first.

Commission is the leader's own ledger (``leaders.commission``): accruals
less reversals whose basis, the collection of the line, falls in the range
(local dates in the platform's zone); narrowed to the products' lines when
filtered by supplier or category. Goods are collected on their delivery
date or, left uncollected, completed automatically a few days later, so
the column is the ledger's own dating and reconciles to it entry for entry,
without joining a month of order lines to a month of entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Subquery, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product
from fulfilment.orders.models import Order, OrderLine, Refund
from fulfilment.reports.filters import DateRange, ReportFilter
from fulfilment.reports.scope import (
    AFTER_SALE_REASONS,
    paid_orders,
    ratio_bps,
    refunds_of,
    refunds_per_line,
    sold_lines,
    tune,
)
from kernel.accounts import User
from leaders.commission.models import EntryKind, LedgerEntry
from leaders.points.models import Leader, PickupPoint

_OWN_COMMISSION = (EntryKind.ACCRUAL, EntryKind.REVERSAL)


@dataclass(frozen=True)
class LeaderRank:
    rank: int  # 1 for the best seller
    leader_id: int
    leader_name: str
    pickup_point: str
    sales_fen: int
    orders: int
    customers: int
    commission_fen: int  # accrued less reversed, on lines collected in the range
    after_sale_fen: int  # after-sale refunds on these orders

    @property
    def after_sale_bps(self) -> int | None:
        return ratio_bps(self.after_sale_fen, self.sales_fen)


def _sales(days: DateRange, given: ReportFilter) -> Subquery:
    """Per leader with sales in the range: ``sales``, ``orders``,
    ``customers`` and ``after_sale`` (refunds of those orders)."""
    if given.by_product:
        return _product_sales(days, given)
    whole = _order_sales(days, given)
    apart = _after_sale(days, given)
    joined: Subquery = (
        select(
            whole.c.leader_id,
            whole.c.sales,
            whole.c.orders,
            whole.c.customers,
            func.coalesce(apart.c.fen, 0).label("after_sale"),
        )
        .outerjoin(apart, apart.c.leader_id == whole.c.leader_id)
        .subquery("sales")
    )
    return joined


def _order_sales(days: DateRange, given: ReportFilter) -> Subquery:
    # Whole orders: their totals, no lines read. COUNT(DISTINCT) on a
    # parallel sort by leader beat grouping by (leader, customer) first: a
    # month holds nearly as many such pairs as orders.
    grouped: Subquery = (
        paid_orders(
            days,
            given,
            Order.leader_id.label("leader_id"),
            func.sum(Order.total_fen).label("sales"),
            func.count().label("orders"),
            func.count(distinct(Order.customer_id)).label("customers"),
        )
        .group_by(Order.leader_id)
        .subquery("whole")
    )
    return grouped


def _product_sales(days: DateRange, given: ReportFilter) -> Subquery:
    """Filtered by product: per leader, the products' lines' sales, the
    orders and customers holding them (each counted once) and the
    after-sale refunds of those lines, in one pass over the lines.

    Speed: grouped straight by leader with COUNT(DISTINCT): PostgreSQL
    joins and sorts in parallel workers and merges one sorted stream into
    a group per leader; grouping per order, then per (leader, customer)
    first, meant two hash aggregates of half a million groups each (a
    month of one category)."""
    back = refunds_per_line(AFTER_SALE_REASONS)
    query = sold_lines(
        days,
        given,
        Order.leader_id.label("leader_id"),
        func.sum(OrderLine.amount_fen).label("sales"),
        func.count(distinct(Order.id)).label("orders"),
        func.count(distinct(Order.customer_id)).label("customers"),
        func.coalesce(func.sum(back.c.fen), 0).label("after_sale"),
        with_orders=True,
    )
    grouped: Subquery = (
        query.outerjoin(back, back.c.order_line_id == OrderLine.id)
        .group_by(Order.leader_id)
        .subquery("sales")
    )
    return grouped


def _after_sale(days: DateRange, given: ReportFilter) -> Subquery:
    grouped: Subquery = (
        refunds_of(
            days,
            given,
            Order.leader_id.label("leader_id"),
            func.sum(Refund.amount_fen).label("fen"),
            sold_only=True,
        )
        .where(Refund.reason.in_(AFTER_SALE_REASONS))
        .group_by(Order.leader_id)
        .subquery("after_sale")
    )
    return grouped


def _commission(days: DateRange, given: ReportFilter, zone: ZoneInfo) -> Subquery:
    starts, ends = days.utc_bounds(zone)
    query: Any = select(
        LedgerEntry.leader_id.label("leader_id"), func.sum(LedgerEntry.amount_fen).label("fen")
    ).where(
        LedgerEntry.kind.in_(_OWN_COMMISSION),
        LedgerEntry.basis_at >= starts,
        LedgerEntry.basis_at < ends,
    )
    if given.leader_id is not None:
        query = query.where(LedgerEntry.leader_id == given.leader_id)
    if given.by_product:
        query = query.join(OrderLine, OrderLine.id == LedgerEntry.order_line_id).join(
            Product, Product.id == OrderLine.product_id
        )
        if given.supplier_id is not None:
            query = query.where(Product.supplier_id == given.supplier_id)
        if given.category is not None:
            query = query.where(Product.category == given.category)
    grouped: Subquery = query.group_by(LedgerEntry.leader_id).subquery("commission")
    return grouped


async def leader_ranking(
    session: AsyncSession,
    days: DateRange,
    given: ReportFilter,
    zone: ZoneInfo,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[LeaderRank]:
    """Leaders with sales in the range, by sales (then id), ``limit`` of
    them from ``offset``; the grouped sales (after-sale included) and
    commission joined once."""
    await tune(session)
    sales = _sales(days, given)
    commission = _commission(days, given, zone)
    query = (
        select(
            sales.c.leader_id,
            User.name,
            PickupPoint.name,
            sales.c.sales,
            sales.c.orders,
            sales.c.customers,
            func.coalesce(commission.c.fen, 0),
            sales.c.after_sale,
        )
        .join(Leader, Leader.id == sales.c.leader_id)
        .join(User, User.id == Leader.user_id)
        .outerjoin(PickupPoint, PickupPoint.leader_id == Leader.id)
        .outerjoin(commission, commission.c.leader_id == sales.c.leader_id)
        .order_by(sales.c.sales.desc(), sales.c.leader_id)
        .offset(offset)
        .limit(limit)
    )
    return [
        LeaderRank(offset + n + 1, int(r[0]), r[1], r[2] or "", *(int(v) for v in r[3:]))
        for n, r in enumerate((await session.execute(query)).all())
    ]
