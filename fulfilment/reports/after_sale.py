"""After-sale by product: what each product sold over a range of delivery
dates and what of it was refunded after sale, worst first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product
from fulfilment.orders.models import OrderLine, Refund
from fulfilment.reports.filters import DateRange, ReportFilter
from fulfilment.reports.scope import AFTER_SALE_REASONS, ratio_bps, refunds_of, sold_lines, tune


@dataclass(frozen=True)
class ProductAfterSale:
    product_id: int
    product_name: str
    category: str
    sold_units: int
    sales_fen: int
    refunds: int  # after-sale refunds
    refunded_units: int
    refunded_fen: int

    @property
    def after_sale_bps(self) -> int | None:
        """After-sale refunds ÷ sales, by money."""
        return ratio_bps(self.refunded_fen, self.sales_fen)


async def after_sale_by_product(
    session: AsyncSession, days: DateRange, given: ReportFilter
) -> list[ProductAfterSale]:
    """Every product sold in the range, by after-sale money (then id)."""
    await tune(session)
    sold = (
        sold_lines(
            days,
            given,
            OrderLine.product_id.label("product_id"),
            func.sum(OrderLine.quantity).label("units"),
            func.sum(OrderLine.amount_fen).label("fen"),
        )
        .group_by(OrderLine.product_id)
        .subquery("sold")
    )
    back = (
        refunds_of(
            days,
            given,
            OrderLine.product_id.label("product_id"),
            func.count().label("refunds"),
            func.coalesce(func.sum(Refund.quantity), 0).label("units"),
            func.sum(Refund.amount_fen).label("fen"),
            sold_only=True,
        )
        .where(Refund.reason.in_(AFTER_SALE_REASONS))
        .group_by(OrderLine.product_id)
        .subquery("back")
    )
    refunded = func.coalesce(back.c.fen, 0)
    query = (
        select(
            sold.c.product_id,
            Product.name,
            Product.category,
            sold.c.units,
            sold.c.fen,
            func.coalesce(back.c.refunds, 0),
            func.coalesce(back.c.units, 0),
            refunded,
        )
        .join(Product, Product.id == sold.c.product_id)
        .outerjoin(back, back.c.product_id == sold.c.product_id)
        .order_by(refunded.desc(), sold.c.product_id)
    )
    return [
        ProductAfterSale(int(r[0]), r[1], r[2], *(int(v) for v in r[3:]))
        for r in (await session.execute(query)).all()
    ]
