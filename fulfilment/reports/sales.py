"""Sales (GMV, orders, customers, average basket, refunds) of a range of
delivery dates, per day and in total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import CTE, Date, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Order, OrderLine, Refund
from fulfilment.reports.filters import DateRange, ReportFilter
from fulfilment.reports.scope import average, paid_orders, refunds_of, sold_lines, tune


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


def per_order(days: DateRange, given: ReportFilter) -> Select[Any]:
    """One row per paid order of the range: ``day``, ``order_id``,
    ``customer_id``, ``leader_id`` and ``gmv`` (its lines of the filtered
    products; unfiltered, its total, which is the sum of its lines)."""
    if not given.by_product:
        return paid_orders(
            days,
            given,
            Campaign.delivery_date.label("day"),
            Order.id.label("order_id"),
            Order.customer_id.label("customer_id"),
            Order.leader_id.label("leader_id"),
            Order.total_fen.label("gmv"),
        )
    # The products' lines summed per order first (no join of a month of
    # lines to a month of orders), then the orders' customer and leader.
    lines = (
        sold_lines(
            days,
            given,
            Campaign.delivery_date.label("day"),
            OrderLine.order_id.label("order_id"),
            func.sum(OrderLine.amount_fen).label("gmv"),
        )
        .group_by(Campaign.delivery_date, OrderLine.order_id)
        .subquery("lines")
    )
    return select(
        lines.c.day,
        lines.c.order_id,
        Order.customer_id.label("customer_id"),
        Order.leader_id.label("leader_id"),
        lines.c.gmv,
    ).join(Order, Order.id == lines.c.order_id)


def _per_day(orders: CTE) -> Select[Any]:
    # Customers per day without COUNT(DISTINCT): group by (day, customer)
    # first, then count the groups (hash aggregates, no sort of the month).
    by_customer = (
        select(
            orders.c.day,
            func.sum(orders.c.gmv).label("gmv"),
            func.count().label("orders"),
        )
        .group_by(orders.c.day, orders.c.customer_id)
        .subquery("by_customer")
    )
    return select(
        by_customer.c.day,
        func.sum(by_customer.c.gmv),
        func.sum(by_customer.c.orders),
        func.count(),
    ).group_by(by_customer.c.day)


async def sales_report(session: AsyncSession, days: DateRange, given: ReportFilter) -> SalesReport:
    """GMV, orders, distinct customers and refunds per delivery date and
    for the range (customers counted once across the range)."""
    await tune(session)
    # One statement, the paid orders a CTE read once (PostgreSQL
    # materialises a CTE used twice): the days, then a row without a day
    # holding the range's distinct customers.
    orders = per_order(days, given).cte("per_order")
    distinct = select(orders.c.customer_id).group_by(orders.c.customer_id).subquery("customers")
    everyone = select(
        literal(None, Date).label("day"), literal(0), literal(0), func.count()
    ).select_from(distinct)
    found: Sequence[Any] = (await session.execute(union_all(_per_day(orders), everyone))).all()
    sold: dict[date | None, Any] = {r[0]: tuple(r[1:]) for r in found}
    day = Campaign.delivery_date
    refunded = refunds_of(days, given, day, func.sum(Refund.amount_fen), sold_only=True)
    back = dict((await session.execute(refunded.group_by(day))).all())
    rows = []
    for d in days.dates():
        gmv, count, customers = sold.get(d, (0, 0, 0))
        rows.append(SalesFigures(d, int(gmv), int(count), int(customers), int(back.get(d, 0))))
    customers = sold[None][2]
    totals = SalesFigures(
        None,
        sum(r.gmv_fen for r in rows),
        sum(r.orders for r in rows),
        int(customers),
        sum(r.refunded_fen for r in rows),
    )
    return SalesReport(totals, rows)
