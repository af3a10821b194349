"""What each user of the day would receive, written with the platform's own
exporters: purchase orders (XLSX, one per revision sent), pick lists and the
warehouse totals (CSV), route sheets (CSV and PDF), the route map (SVG) and
the settlement's statements (CSV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.context import Day
from fulfilment import exports
from fulfilment.exports import Rows, Yuan, to_csv
from fulfilment.models import PurchaseOrder, Route, RoutePlan
from fulfilment.route_map import plan_map, plan_map_svg
from fulfilment.route_sheet_pdf import route_sheet_pdf
from fulfilment.route_sheets import route_sheet, route_sheet_rows
from kernel.accounts import User
from leaders.commission_models import Settlement, Statement
from leaders.models import Leader, PickupPoint

STATEMENT_HEADER = (
    "团长编号",
    "团长",
    "自提点",
    "期间开始",
    "期间结束",
    "期初(元)",
    "本期佣金(元)",
    "冲销(元)",
    "本期合计(元)",
    "期末(元)",
    "明细条数",
)


@dataclass
class Artifacts:
    directory: Path
    files: list[Path] = field(default_factory=list)

    def write(self, relative: str, body: bytes) -> None:
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        self.files.append(path)


async def write_artifacts(
    day: Day, plan: RoutePlan, settlement: Settlement, directory: Path
) -> Artifacts:
    """Every document of the day under ``directory``."""
    sessions, settings, region, timeline = day.sessions, day.settings, day.region, day.timeline
    out = Artifacts(directory)
    date = timeline.delivery_date.isoformat()
    with day.steps.step("Documents", total=len(region.points) + 3) as bar:
        async with sessions() as session:
            for po in (
                await session.execute(
                    select(PurchaseOrder)
                    .where(PurchaseOrder.delivery_date == timeline.delivery_date)
                    .order_by(PurchaseOrder.id)
                )
            ).scalars():
                for revision in range(1, po.revision + 1):
                    rows = await exports.purchase_order_rows(session, po.id, revision)
                    out.write(
                        f"purchase-orders/purchase-order-{po.id}-r{revision}.xlsx",
                        exports.to_xlsx(rows, f"采购单 {date} 第{revision}版"),
                    )
            bar.advance()
            for point in region.points:
                rows = await exports.pick_list_rows(session, point.id, timeline.delivery_date)
                out.write(f"pick-lists/pick-list-{point.id}.csv", to_csv(rows))
                bar.advance()
            totals = await exports.warehouse_totals_rows(
                session, region.warehouse_id, timeline.delivery_date
            )
            out.write("warehouse-totals.csv", to_csv(totals))
            numbers = (
                await session.execute(
                    select(Route.number).where(Route.plan_id == plan.id).order_by(Route.number)
                )
            ).scalars()
            for number in numbers:
                sheet = await route_sheet(session, plan.id, number, settings.zone)
                out.write(f"route-sheets/route-{number}.csv", to_csv(route_sheet_rows(sheet)))
                out.write(f"route-sheets/route-{number}.pdf", route_sheet_pdf(sheet))
            bar.advance()
            out.write("route-map.svg", plan_map_svg(await plan_map(session, plan.id)))
            rows = await statement_rows(session, settlement)
            out.write(f"settlement-{settlement.period_end.isoformat()}.csv", to_csv(rows))
            bar.advance()
        bar.note = f"{len(out.files)} files in {directory}"
    return out


async def statement_rows(session: AsyncSession, settlement: Settlement) -> Rows:
    """The settlement's statements, one row per leader, with a total row."""
    rows = Rows()
    rows.header(STATEMENT_HEADER)
    found = await session.execute(
        select(Statement, User.name, PickupPoint.name)
        .join(Leader, Leader.id == Statement.leader_id)
        .join(User, User.id == Leader.user_id)
        .join(PickupPoint, PickupPoint.leader_id == Leader.id)
        .where(Statement.settlement_id == settlement.id)
        .order_by(Statement.leader_id)
    )
    total = 0
    for statement, leader, point in found:
        total += statement.total_fen
        rows.add(
            statement.leader_id,
            leader,
            point,
            statement.period_start,
            statement.period_end,
            Yuan(statement.opening_fen),
            Yuan(statement.accrued_fen),
            Yuan(statement.reversed_fen),
            Yuan(statement.total_fen),
            Yuan(statement.closing_fen),
            statement.line_count,
        )
    rows.add("合计", "", "", "", "", "", "", "", Yuan(total), "", settlement.line_count)
    return rows
