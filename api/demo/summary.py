"""The day in tables, read back from the database, and the totals that must
reconcile: GMV − refunds = delivered value, and the commission booked =
the settlement's statements."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.night import day_lines
from api.demo.steps import Timing
from fulfilment.campaigns.models import Supplier
from fulfilment.orders.models import Order, PickupLine, Refund, RefundReason
from fulfilment.routing.models import Route, RoutePlan, RouteStop, UnservedStop, VehicleType
from kernel.accounts import User
from leaders.commission.models import EntryKind, LedgerEntry, Settlement, Statement
from leaders.points.models import Leader, PickupPoint

if TYPE_CHECKING:
    from api.demo.network_summary import TierFigures

AFTER_SALE = (
    RefundReason.AFTER_SALE_QUALITY,
    RefundReason.AFTER_SALE_WRONG_ITEM,
    RefundReason.AFTER_SALE_MISSING,
    RefundReason.AFTER_SALE_OTHER,
)
COMMISSION_KINDS = (
    EntryKind.ACCRUAL,
    EntryKind.REVERSAL,
    EntryKind.RECRUIT_ACCRUAL,
    EntryKind.RECRUIT_REVERSAL,
)


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


@dataclass
class MoneyFigures:
    """The end of the day's money at the provider (api/demo/payments.py)."""

    refunds_sent: int = 0
    refunds_succeeded: int = 0
    refunds_pending: int = 0
    reconciled_matched: int = 0
    reconciliation_mismatches: int = 0


@dataclass
class Figures:
    orders_by_status: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    gmv_fen: int = 0  # every order that was paid, whatever happened later
    paid_orders: int = 0
    purchase_orders: list[tuple[str, int, int, int, int, int, int]] = field(default_factory=list)
    refunds: list[tuple[str, int, int, int]] = field(default_factory=list)  # reason, n, units, fen
    routes: list[tuple[int, str, int, int, int, int, str]] = field(default_factory=list)
    unserved: int = 0
    commissions: list[tuple[str, str, int, int]] = field(default_factory=list)  # top 10
    refund_fen: int = 0
    collected_fen: int = 0  # net value handed out at pickup
    after_sale_fen: int = 0  # refunded after pickup
    commission_fen: int = 0  # the ledger's accruals less reversals
    statements_fen: int = 0
    settlement_fen: int = 0
    money: MoneyFigures = field(default_factory=MoneyFigures)
    tiers: TierFigures | None = None  # two-tier demos (api/demo/network_summary.py)

    @property
    def delivered_fen(self) -> int:
        """What customers kept: collected, less what after-sale took back."""
        return self.collected_fen - self.after_sale_fen

    def problems(self) -> list[str]:
        """Why the books do not reconcile; empty when they do."""
        found = []
        if self.gmv_fen - self.refund_fen != self.delivered_fen:
            found.append(
                f"GMV {yuan(self.gmv_fen)} − refunds {yuan(self.refund_fen)} ≠ "
                f"delivered value {yuan(self.delivered_fen)}"
            )
        if not self.commission_fen == self.statements_fen == self.settlement_fen:
            found.append(
                f"commission booked {yuan(self.commission_fen)} ≠ statements "
                f"{yuan(self.statements_fen)} / settlement {yuan(self.settlement_fen)}"
            )
        return found


async def collect(
    session: AsyncSession,
    campaign_id: int,
    plan: RoutePlan,
    settlement: Settlement,
    refused: Counter[str],
    zone: ZoneInfo,
) -> Figures:
    """Every figure of the summary, from the database."""
    figures = Figures(refused=refused)
    in_campaign = Order.campaign_id == campaign_id
    for status, count in await session.execute(
        select(Order.status, func.count()).where(in_campaign).group_by(Order.status)
    ):
        figures.orders_by_status[status.value] = count
    figures.paid_orders, gmv = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Order.total_fen), 0)).where(
                in_campaign, Order.paid_at.is_not(None)
            )
        )
    ).one()
    figures.gmv_fen = int(gmv)
    await _purchase_orders(session, plan, figures)
    await _refunds(session, in_campaign, figures)
    await _routes(session, plan, zone, figures)
    await _commissions(session, settlement, figures)
    collected = await session.execute(select(func.coalesce(func.sum(PickupLine.net_fen), 0)))
    figures.collected_fen = int(collected.scalar_one())
    return figures


async def _purchase_orders(session: AsyncSession, plan: RoutePlan, figures: Figures) -> None:
    names = dict((await session.execute(select(Supplier.id, Supplier.name))).all())
    for po, lines in (await day_lines(session, plan.warehouse_id, plan.delivery_date)).items():
        confirmed = [ln.purchase_units - ln.confirmed_units for ln in lines if ln.confirmed_units]
        figures.purchase_orders.append(
            (
                names[po.supplier_id],
                po.revision,
                len(lines),
                sum(ln.cases for ln in lines),
                sum(ln.purchase_units for ln in lines),
                sum(confirmed),
                sum(ln.cost_fen for ln in lines),
            )
        )


async def _refunds(
    session: AsyncSession, in_campaign: ColumnElement[bool], figures: Figures
) -> None:
    rows = await session.execute(
        select(
            Refund.reason,
            func.count(),
            func.coalesce(func.sum(Refund.quantity), 0),
            func.sum(Refund.amount_fen),
        )
        .join(Order, Order.id == Refund.order_id)
        .where(in_campaign)
        .group_by(Refund.reason)
        .order_by(Refund.reason)
    )
    for reason, count, units, fen in rows:
        amount = int(fen or 0)
        figures.refunds.append((reason.value, count, int(units or 0), amount))
        figures.refund_fen += amount
        if reason in AFTER_SALE:
            figures.after_sale_fen += amount


async def _routes(session: AsyncSession, plan: RoutePlan, zone: ZoneInfo, figures: Figures) -> None:
    stops = (
        select(RouteStop.route_id, func.count().label("stops"))
        .where(RouteStop.plan_id == plan.id)
        .group_by(RouteStop.route_id)
        .subquery()
    )
    rows = await session.execute(
        select(Route, VehicleType.name, stops.c.stops)
        .join(VehicleType, VehicleType.id == Route.vehicle_type_id)
        .join(stops, stops.c.route_id == Route.id)
        .where(Route.plan_id == plan.id)
        .order_by(Route.number)
    )
    for route, vehicle, count in rows:
        hours = (
            f"{route.departure_at.astimezone(zone):%H:%M}–{route.return_at.astimezone(zone):%H:%M}"
        )
        figures.routes.append(
            (
                route.number,
                f"{vehicle} {route.vehicle_number}号",
                count,
                route.distance_m,
                route.weight_g,
                route.totes,
                hours,
            )
        )
    unserved = await session.execute(
        select(func.count()).select_from(UnservedStop).where(UnservedStop.plan_id == plan.id)
    )
    figures.unserved = int(unserved.scalar_one())


async def _commissions(session: AsyncSession, settlement: Settlement, figures: Figures) -> None:
    booked = await session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
            LedgerEntry.kind.in_(COMMISSION_KINDS)
        )
    )
    figures.commission_fen = int(booked.scalar_one())
    statements = await session.execute(
        select(func.coalesce(func.sum(Statement.total_fen), 0)).where(
            Statement.settlement_id == settlement.id
        )
    )
    figures.statements_fen = int(statements.scalar_one())
    figures.settlement_fen = settlement.total_fen
    top = await session.execute(
        select(User.name, PickupPoint.name, Statement.line_count, Statement.total_fen)
        .join(Leader, Leader.id == Statement.leader_id)
        .join(User, User.id == Leader.user_id)
        .join(PickupPoint, PickupPoint.leader_id == Leader.id)
        .where(Statement.settlement_id == settlement.id)
        .order_by(Statement.total_fen.desc(), Statement.leader_id)
        .limit(10)
    )
    figures.commissions = [(a, b, int(c), int(d)) for a, b, c, d in top]


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


def render(console: Console, figures: Figures, timings: list[Timing], wall_s: float) -> None:
    """The summary tables, then the step timings."""
    orders = _table("Orders and GMV", "", "orders")
    for status, count in sorted(figures.orders_by_status.items()):
        orders.add_row(status, f"{count:,}")
    for code, count in sorted(figures.refused.items()):
        orders.add_row(f"refused: {code}", f"{count:,}")
    orders.add_row("paid (GMV)", f"{figures.paid_orders:,}  {yuan(figures.gmv_fen)}")
    console.print(orders)

    pos = _table("Purchase orders", "supplier", "rev", "lines", "cases", "units", "short", "cost")
    for name, revision, lines, cases, units, short, cost in figures.purchase_orders:
        pos.add_row(
            name, str(revision), str(lines), f"{cases:,}", f"{units:,}", str(short), yuan(cost)
        )
    console.print(pos)

    refunds = _table("Shortages and refunds", "reason", "refunds", "units", "amount")
    for reason, count, units, fen in figures.refunds:
        refunds.add_row(reason, f"{count:,}", f"{units:,}", yuan(fen))
    console.print(refunds)

    title = f"Routes ({figures.unserved} pickup points unserved)"
    routes = _table(title, "route", "vehicle", "stops", "km", "load kg", "totes", "hours")
    for number, vehicle, stops, metres, grams, totes, hours in figures.routes:
        routes.add_row(
            str(number), vehicle, str(stops), f"{metres / 1000:.1f}", f"{grams / 1000:,.0f}",
            str(totes), hours,
        )  # fmt: skip
    console.print(routes)

    top = _table("Commissions, top 10 leaders", "leader", "pickup point", "lines", "commission")
    for leader, point, lines, fen in figures.commissions:
        top.add_row(leader, point, f"{lines:,}", yuan(fen))
    console.print(top)

    if figures.tiers is not None:
        figures.tiers.render(console)

    totals = _table("Totals", "", "amount")
    totals.add_row("GMV (paid orders)", yuan(figures.gmv_fen))
    totals.add_row("− refunds", yuan(figures.refund_fen))
    totals.add_row("= delivered value (collected − after-sale)", yuan(figures.delivered_fen))
    totals.add_row("commission booked (ledger)", yuan(figures.commission_fen))
    totals.add_row("= statement totals", yuan(figures.statements_fen))
    money = figures.money
    totals.add_row(
        "refunds sent / succeeded / pending",
        f"{money.refunds_sent:,} / {money.refunds_succeeded:,} / {money.refunds_pending:,}",
    )
    totals.add_row(
        "reconciliation (WeChat Pay sandbox)",
        f"{money.reconciled_matched:,} matched, {money.reconciliation_mismatches} mismatches",
    )
    verdict = "[green]reconciled[/green]" if not figures.problems() else "[red]NOT reconciled[/red]"
    totals.add_row("books", verdict)
    console.print(totals)

    steps = _table("Step timings", "step", "seconds")
    for timing in timings:
        steps.add_row(timing.step, f"{timing.seconds:.1f}")
    steps.add_row("[bold]total (wall)[/bold]", f"[bold]{wall_s:.1f}[/bold]")
    console.print(steps)
