"""Sales (GMV, orders, customers, average basket, refunds) of a range of
delivery dates, per day and in total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Select, distinct, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Order, OrderLine, Refund
from fulfilment.reports.filters import DateRange, ReportFilter
from fulfilment.reports.scope import (
    average,
    paid_orders,
    refunds_of,
    refunds_per_line,
    sold_lines,
    tune,
)


@dataclass(frozen=True)
class SalesFigures:
    """One day's (or the range's) sales. ``gmv_fen``: the paid orders' line
    amounts; ``refunded_fen``: every refund booked on them; ``net_fen``: the
    difference; ``average_basket_fen``: GMV per order, half up."""

    day: date | None
    gmv_fen: int
    orders: int
    customers: int
    refunded_fen: int

    @property
    def net_fen(self) -> int:
        return self.gmv_fen - self.refunded_fen

    @property
    def average_basket_fen(self) -> int:
        return average(self.gmv_fen, self.orders)


@dataclass(frozen=True)
class SalesReport:
    totals: SalesFigures
    days: list[SalesFigures]  # every date of the range, quiet ones as zeros


def per_customer_day(days: DateRange, given: ReportFilter) -> Select[Any]:
    """Filtered by product: one row per day and customer with a paid order
    holding such lines: ``day``, ``customer_id``, ``gmv`` (those lines),
    ``orders`` (each counted once, however many of its lines match) and
    ``refunded`` (every refund booked on those lines).

    Speed: the lines are joined to their orders and grouped once, orders
    counted by COUNT(DISTINCT). On PostgreSQL the join and a sort run in
    parallel workers and the groups are formed from the merged sorted
    stream; a per-order hash aggregate before the join (half a million
    groups for a month of one category) took longer than the whole of
    this, and a separate refunds query read the month's lines again."""
    assert given.by_product
    back = refunds_per_line()
    day = Campaign.delivery_date
    query = sold_lines(
        days,
        given,
        day.label("day"),
        Order.customer_id.label("customer_id"),
        func.sum(OrderLine.amount_fen).label("gmv"),
        func.count(distinct(Order.id)).label("orders"),
        func.coalesce(func.sum(back.c.fen), 0).label("refunded"),
        with_orders=True,
    )
    return query.outerjoin(back, back.c.order_line_id == OrderLine.id).group_by(
        day, Order.customer_id
    )


def _whole_orders(days: DateRange, given: ReportFilter) -> Select[Any]:
    # Unfiltered by product: the orders' own totals, no lines read; refunds
    # are read apart (an order's goodwill belongs to no line).
    day = Campaign.delivery_date
    return paid_orders(
        days,
        given,
        day.label("day"),
        Order.customer_id.label("customer_id"),
        func.sum(Order.total_fen).label("gmv"),
        func.count().label("orders"),
        literal(0).label("refunded"),
    ).group_by(day, Order.customer_id)


async def sales_report(session: AsyncSession, days: DateRange, given: ReportFilter) -> SalesReport:
    """GMV, orders, distinct customers and refunds per delivery date and
    for the range (customers counted once across the range)."""
    await tune(session)
    # One statement, the (day, customer) groups a CTE read twice (PostgreSQL
    # materialises it): the days, then a row without a day holding the
    # range's distinct customers (grouped, then counted: no sort).
    build = per_customer_day if given.by_product else _whole_orders
    groups = build(days, given).cte("per_customer_day")
    per_day = select(
        groups.c.day,
        func.sum(groups.c.gmv),
        func.sum(groups.c.orders),
        func.count(),
        func.sum(groups.c.refunded),
    ).group_by(groups.c.day)
    distinct_customers = (
        select(groups.c.customer_id).group_by(groups.c.customer_id).subquery("customers")
    )
    everyone = select(
        literal(None, Date).label("day"), literal(0), literal(0), func.count(), literal(0)
    ).select_from(distinct_customers)
    found: Sequence[Any] = (await session.execute(union_all(per_day, everyone))).all()
    sold: dict[date | None, Any] = {r[0]: tuple(r[1:]) for r in found}
    if given.by_product:
        back = {d: r[3] for d, r in sold.items() if d is not None}
    else:
        day = Campaign.delivery_date
        refunded = refunds_of(days, given, day, func.sum(Refund.amount_fen), sold_only=True)
        back = dict((await session.execute(refunded.group_by(day))).all())
    rows = []
    for d in days.dates():
        gmv, count, customers, _ = sold.get(d, (0, 0, 0, 0))
        rows.append(SalesFigures(d, int(gmv), int(count), int(customers), int(back.get(d, 0))))
    totals = SalesFigures(
        None,
        sum(r.gmv_fen for r in rows),
        sum(r.orders for r in rows),
        int(sold[None][2]),
        sum(r.refunded_fen for r in rows),
    )
    return SalesReport(totals, rows)
