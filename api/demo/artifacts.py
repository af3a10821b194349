"""What each user of the day would receive, written with the platform's own
exporters: purchase orders (XLSX, one per revision sent), pick lists and the
warehouse totals (CSV), route sheets (CSV and PDF), the route map (SVG) and
the settlement's statements (CSV)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.context import Day
from api.demo.steps import Bar
from fulfilment.purchasing.exports import purchase_order_rows
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.routing.documents.map import plan_map, plan_map_svg
from fulfilment.routing.documents.pdf import route_sheet_pdf
from fulfilment.routing.documents.sheets import RouteSheet, route_sheet, route_sheet_rows
from fulfilment.routing.models import Route, RoutePlan
from fulfilment.sorting import exports
from kernel.accounts import User
from kernel.tables import Rows, Yuan, to_csv, to_xlsx
from leaders.commission.models import Settlement, Statement
from leaders.points.models import Leader, PickupPoint

# Stops on the day's route sheets from which they print in worker processes
# (about 20-35 ms of reportlab a stop; a worker takes ~0.7 s to start).
PRINT_APART_FROM_STOPS = 100

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


# What the demo writes into its out directory, and so clears from a previous
# run's: its own folders and files only, never anything else kept there.
DOCUMENT_FOLDERS = ("purchase-orders", "pick-lists", "route-sheets")
DOCUMENT_FILES = ("route-map.svg", "warehouse-totals.csv", "settlement-*.csv")


def clear_previous(directory: Path) -> None:
    """Remove an earlier demo's documents from ``directory``, so that a run's
    folder holds that run's documents alone (a smaller run would otherwise
    leave the larger one's pick lists and route sheets beside its own)."""
    for folder in DOCUMENT_FOLDERS:
        shutil.rmtree(directory / folder, ignore_errors=True)
    for pattern in DOCUMENT_FILES:
        for path in directory.glob(pattern):
            path.unlink()


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
    """Every document of the day under ``directory`` (an earlier run's cleared first)."""
    clear_previous(directory)
    sessions, settings, region = day.sessions, day.settings, day.region
    out = Artifacts(directory)
    with day.steps.step("Documents", total=len(region.points) + 3) as bar:
        async with sessions() as session:
            numbers = (
                await session.execute(
                    select(Route.number).where(Route.plan_id == plan.id).order_by(Route.number)
                )
            ).scalars()
            sheets = [await route_sheet(session, plan.id, n, settings.zone) for n in numbers]
            # Printing the route sheets is most of this step's work (reportlab,
            # seconds a route at medium size), and the rest hardly needs a
            # core: they print in worker processes meanwhile, and are written
            # in their place below.
            with _printers(sheets) as printers:
                loop = asyncio.get_running_loop()
                pdfs = [loop.run_in_executor(printers, route_sheet_pdf, s) for s in sheets]
                try:
                    await _purchase_orders_and_pick_lists(session, day, out, bar)
                    for sheet, pdf in zip(sheets, pdfs, strict=True):
                        rows = route_sheet_rows(sheet)
                        out.write(f"route-sheets/route-{sheet.number}.csv", to_csv(rows))
                        out.write(f"route-sheets/route-{sheet.number}.pdf", await pdf)
                except BaseException:
                    # Nobody will wait for the sheets still queued: drop them.
                    printers.shutdown(wait=False, cancel_futures=True)
                    raise
            bar.advance()
            out.write("route-map.svg", plan_map_svg(await plan_map(session, plan.id)))
            rows = await statement_rows(session, settlement)
            out.write(f"settlement-{settlement.period_end.isoformat()}.csv", to_csv(rows))
            bar.advance()
        bar.note = f"{len(out.files)} files in {directory}"
    return out


async def _purchase_orders_and_pick_lists(
    session: AsyncSession, day: Day, out: Artifacts, bar: Bar
) -> None:
    region, delivery_date = day.region, day.timeline.delivery_date
    date = delivery_date.isoformat()
    for po in (
        await session.execute(
            select(PurchaseOrder)
            .where(PurchaseOrder.delivery_date == delivery_date)
            .order_by(PurchaseOrder.id)
        )
    ).scalars():
        for revision in range(1, po.revision + 1):
            rows = await purchase_order_rows(session, po.id, revision)
            out.write(
                f"purchase-orders/purchase-order-{po.id}-r{revision}.xlsx",
                to_xlsx(rows, f"采购单 {date} 第{revision}版"),
            )
    bar.advance()
    pick_lists = await exports.pick_lists_rows(
        session, [point.id for point in region.points], delivery_date
    )
    for point in region.points:
        out.write(f"pick-lists/pick-list-{point.id}.csv", to_csv(pick_lists[point.id]))
        bar.advance()
    totals = await exports.warehouse_totals_rows(session, region.warehouse_id, delivery_date)
    out.write("warehouse-totals.csv", to_csv(totals))


def _printers(sheets: list[RouteSheet]) -> Executor:
    if sum(len(sheet.stops) for sheet in sheets) < PRINT_APART_FROM_STOPS:
        # A small day prints in less time than worker processes take to start.
        return ThreadPoolExecutor(max_workers=1)
    # forkserver, as the route planner: the demo's process has threads
    # (aiosqlite's), which a plain fork would copy in whatever state they are.
    return ProcessPoolExecutor(
        max_workers=min(len(sheets), os.cpu_count() or 1),
        mp_context=multiprocessing.get_context("forkserver"),
    )


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
