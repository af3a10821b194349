"""The rows a report reads: the order lines of paid orders (sales) and the
refunds of orders, of the campaigns delivering in the range, narrowed by
the filter. Every figure of an order is dated by its campaign's delivery
date, a business date already: no time-zone arithmetic in SQL, and a day's
report tells its goods' whole story (refunds booked later included).

Speed (scripts/bench_reports.py, a month of medium days): lines reach
their campaign through ``campaign_items`` (small) rather than ``orders``
(a million rows a month), and the few unpaid orders are subtracted by an
anti-join; ``orders`` is joined only when a report needs its columns. On
PostgreSQL, ``tune`` turns JIT off for the report's transaction (compiling
took longer than the queries) and gives its hash joins room in memory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Subquery, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign, CampaignItem, Product
from fulfilment.orders.models import Order, OrderLine, Refund, RefundReason
from fulfilment.reports.filters import DateRange, ReportFilter

AFTER_SALE_REASONS = (
    RefundReason.AFTER_SALE_QUALITY,
    RefundReason.AFTER_SALE_WRONG_ITEM,
    RefundReason.AFTER_SALE_MISSING,
    RefundReason.AFTER_SALE_OTHER,
)


async def tune(session: AsyncSession) -> None:
    """PostgreSQL only, this transaction only: no JIT, and 64 MB per sort or
    hash so a month's joins stay in memory."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text("SET LOCAL work_mem = '64MB'"))


def _in_range(query: Select[Any], days: DateRange, given: ReportFilter) -> Select[Any]:
    query = query.where(Campaign.delivery_date.between(days.start, days.end))
    if given.warehouse_id is not None:
        query = query.where(Campaign.warehouse_id == given.warehouse_id)
    if given.supplier_id is not None:
        query = query.where(Product.supplier_id == given.supplier_id)
    if given.category is not None:
        query = query.where(Product.category == given.category)
    return query


def paid_orders(days: DateRange, given: ReportFilter, *columns: Any) -> Select[Any]:
    """``columns`` of the paid orders (``paid_at`` set) delivering in the
    range; ``Campaign`` joined. Not for product filters (see ``sold_lines``)."""
    assert not given.by_product
    query = (
        select(*columns)
        .select_from(Order)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .where(Order.paid_at.is_not(None))
    )
    if given.leader_id is not None:
        query = query.where(Order.leader_id == given.leader_id)
    return _in_range(query, days, given)


def sold_lines(
    days: DateRange, given: ReportFilter, *columns: Any, with_orders: bool = False
) -> Select[Any]:
    """``columns`` of every line of a paid order delivering in the range;
    ``Campaign`` and ``Product`` joined, and ``Order`` if ``with_orders``
    (or the leader is filtered)."""
    query = (
        select(*columns)
        .select_from(OrderLine)
        .join(CampaignItem, CampaignItem.id == OrderLine.campaign_item_id)
        .join(Campaign, Campaign.id == CampaignItem.campaign_id)
        .join(Product, Product.id == OrderLine.product_id)
    )
    if with_orders or given.leader_id is not None:
        query = query.join(Order, Order.id == OrderLine.order_id).where(Order.paid_at.is_not(None))
        if given.leader_id is not None:
            query = query.where(Order.leader_id == given.leader_id)
    else:
        unpaid = (
            select(Order.id)
            .where(
                Order.id == OrderLine.order_id,
                Order.campaign_id == Campaign.id,
                Order.paid_at.is_(None),
            )
            .correlate(OrderLine, Campaign)
        )
        query = query.where(~exists(unpaid))
    return _in_range(query, days, given)


def refunds_of(
    days: DateRange, given: ReportFilter, *columns: Any, sold_only: bool = False
) -> Select[Any]:
    """``columns`` of every refund of an order delivering in the range.
    Filtered by product, only refunds of a line of those products count (an
    order's goodwill belongs to no product). ``Order``, ``Campaign``,
    ``OrderLine`` and ``Product`` (outer) joined."""
    query = (
        select(*columns)
        .select_from(Refund)
        .join(Order, Order.id == Refund.order_id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .outerjoin(OrderLine, OrderLine.id == Refund.order_line_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
    )
    if sold_only:
        query = query.where(Order.paid_at.is_not(None))
    if given.leader_id is not None:
        query = query.where(Order.leader_id == given.leader_id)
    return _in_range(query, days, given)


def refunds_per_line(reasons: tuple[RefundReason, ...] | None = None) -> Subquery:
    """Refunds per order line (``order_line_id``, ``fen``), of ``reasons``
    if given. Outer-joined to the lines a product-filtered report already
    reads, it gives the refunds ``refunds_of`` would (those of the lines of
    the filtered products) without a second pass over a month of lines.
    Grouped first: a line refunded twice is still one row, its own amount
    counted once."""
    query = (
        select(
            Refund.order_line_id.label("order_line_id"), func.sum(Refund.amount_fen).label("fen")
        )
        .where(Refund.order_line_id.is_not(None))
        .group_by(Refund.order_line_id)
    )
    if reasons is not None:
        query = query.where(Refund.reason.in_(reasons))
    return query.subquery("line_refunds")


def ratio_bps(part: int, whole: int) -> int | None:
    """``part / whole`` in basis points, half up; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (2 * 10_000 * part + whole) // (2 * whole)


def average(total: int, count: int) -> int:
    """``total / count`` in whole fen, half up; 0 for no count."""
    return 0 if count == 0 else (2 * total + count) // (2 * count)
