"""Each delivery date's books in the week demo, from the database: paid
orders, refunds, what customers kept, and the leaders' commission on them;
and the week's table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.summary import AFTER_SALE, COMMISSION_KINDS, yuan
from fulfilment.orders.models import Order, OrderLine, PickupLine, Refund
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.routing.models import Route, RoutePlan, RoutePlanStatus
from leaders.commission.models import LedgerEntry


@dataclass
class DayBooks:
    """One delivery date. Reconciled when every fen paid is either refunded
    or was handed out and kept: ``gmv − refunds = delivered``."""

    delivery_date: date
    orders: int = 0  # paid
    gmv_fen: int = 0
    refund_fen: int = 0
    after_sale_fen: int = 0
    collected_fen: int = 0
    commission_fen: int = 0  # accrued on the day's lines, less reversals
    purchase_orders: int = 0
    routes: int = 0
    wall_s: float = 0.0  # the night and the delivery day, as the demo ran them

    @property
    def delivered_fen(self) -> int:
        return self.collected_fen - self.after_sale_fen

    @property
    def reconciled(self) -> bool:
        return self.gmv_fen - self.refund_fen == self.delivered_fen


async def day_books(session: AsyncSession, campaign_id: int, books: DayBooks) -> DayBooks:
    """Fill ``books`` with the figures of the campaign delivering that day."""
    ours = Order.campaign_id == campaign_id
    count, gmv = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Order.total_fen), 0)).where(
                ours, Order.paid_at.is_not(None)
            )
        )
    ).one()
    books.orders, books.gmv_fen = int(count), int(gmv)
    for reason, fen in await session.execute(
        select(Refund.reason, func.coalesce(func.sum(Refund.amount_fen), 0))
        .join(Order, Order.id == Refund.order_id)
        .where(ours)
        .group_by(Refund.reason)
    ):
        books.refund_fen += int(fen)
        books.after_sale_fen += int(fen) if reason in AFTER_SALE else 0
    lines = select(OrderLine.id).join(Order, Order.id == OrderLine.order_id).where(ours)
    refunds = select(Refund.id).join(Order, Order.id == Refund.order_id).where(ours)
    books.collected_fen = int(
        await session.scalar(
            select(func.coalesce(func.sum(PickupLine.net_fen), 0)).where(
                PickupLine.order_line_id.in_(lines)
            )
        )
        or 0
    )
    books.commission_fen = int(
        await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
                LedgerEntry.kind.in_(COMMISSION_KINDS),
                or_(LedgerEntry.order_line_id.in_(lines), LedgerEntry.refund_id.in_(refunds)),
            )
        )
        or 0
    )
    books.purchase_orders = int(
        await session.scalar(
            select(func.count()).where(PurchaseOrder.delivery_date == books.delivery_date)
        )
        or 0
    )
    books.routes = int(
        await session.scalar(
            select(func.count())
            .select_from(Route)
            .join(RoutePlan, RoutePlan.id == Route.plan_id)
            .where(
                RoutePlan.delivery_date == books.delivery_date,
                RoutePlan.status == RoutePlanStatus.PUBLISHED,
            )
        )
        or 0
    )
    return books


def render_week(console: Console, days: list[DayBooks], settled_fen: int) -> None:
    """The per-day table and the week's commission against its settlement."""
    table = Table(title="The week, day by day", title_justify="left")
    for column in (
        "delivery",
        "paid orders",
        "GMV",
        "refunds",
        "delivered",
        "commission",
        "POs",
        "routes",
        "wall s",
        "books",
    ):
        table.add_column(column, justify="left" if column in ("delivery", "books") else "right")
    for day in days:
        table.add_row(
            f"{day.delivery_date:%a %m-%d}",
            f"{day.orders:,}",
            yuan(day.gmv_fen),
            yuan(day.refund_fen),
            yuan(day.delivered_fen),
            yuan(day.commission_fen),
            str(day.purchase_orders),
            str(day.routes),
            f"{day.wall_s:.0f}",
            "reconciled" if day.reconciled else "DO NOT RECONCILE",
        )
    console.print(table)
    accrued = sum(d.commission_fen for d in days)
    same = "=" if accrued == settled_fen else "≠"
    console.print(
        f"Commission accrued over the days {yuan(accrued)} {same} "
        f"the week's settlement {yuan(settled_fen)}"
    )
