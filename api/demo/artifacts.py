"""What each user of the day would receive, written with the platform's own
exporters: purchase orders (XLSX and PDF, one per revision sent), pick lists
(the sorter's totals and the leader's hand-out list: CSV per point, PDF for
the day), tote labels (PDF), the warehouse totals (CSV), route sheets (CSV and
PDF) with each route's loading detail (PDF), the route map (SVG) and the
settlement's statements (CSV)."""

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
from fulfilment.purchasing.documents import purchase_order_pdf
from fulfilment.purchasing.exports import purchase_order_document, purchase_order_sheet
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.routing.documents.loading import loading_pdf
from fulfilment.routing.documents.map import plan_map, plan_map_svg
from fulfilment.routing.documents.pdf import route_sheet_pdf
from fulfilment.routing.documents.sheets import RouteSheet, route_sheet, route_sheet_rows
from fulfilment.routing.models import Route, RoutePlan
from fulfilment.sorting import documents, exports, labels, printing
from kernel.accounts import User
from kernel.tables import Rows, Yuan, to_csv, to_xlsx
from leaders.commission.models import Settlement, Statement
from leaders.points.models import Leader, PickupPoint

# Stops on the day's route sheets from which they print in worker processes
# (about 20-35 ms of reportlab a stop; a worker takes ~0.7 s to start).
PRINT_APART_FROM_STOPS = 100

# Points whose pick lists and tote labels the demo prints (the CSVs are every
# point's): all three PDFs take ~0.2 s a point on this thread (measured at
# small size), which would be a minute at medium's 300 points.
PRINTED_POINTS = 10

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
DOCUMENT_FOLDERS = ("purchase-orders", "pick-lists", "hand-out-lists", "route-sheets")
DOCUMENT_FILES = (
    "route-map.svg",
    "warehouse-totals.csv",
    "settlement-*.csv",
    "pick-lists.pdf",
    "hand-out-lists.pdf",
    "tote-labels.pdf",
)


def clear_previous(directory: Path) -> int:
    """Remove an earlier demo's documents from ``directory``, so that a run's
    folder holds that run's documents alone (a smaller run would otherwise
    leave the larger one's pick lists and route sheets beside its own).
    Returns how many files were removed, for the demo to say so."""
    removed = 0
    for folder in DOCUMENT_FOLDERS:
        if (directory / folder).is_dir():
            removed += sum(1 for path in (directory / folder).rglob("*") if path.is_file())
        shutil.rmtree(directory / folder, ignore_errors=True)
    for pattern in DOCUMENT_FILES:
        for path in directory.glob(pattern):
            path.unlink()
            removed += 1
    return removed


@dataclass
class Artifacts:
    directory: Path
    files: list[Path] = field(default_factory=list)
    cleared: int = 0  # an earlier run's documents removed first

    def write(self, relative: str, body: bytes) -> None:
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        self.files.append(path)


async def write_artifacts(
    day: Day, plan: RoutePlan, settlement: Settlement, directory: Path
) -> Artifacts:
    """Every document of the day under ``directory`` (an earlier run's cleared first)."""
    cleared = clear_previous(directory)
    sessions, settings, region = day.sessions, day.settings, day.region
    out = Artifacts(directory, cleared=cleared)
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
                loads = [loop.run_in_executor(printers, loading_pdf, s) for s in sheets]
                try:
                    await _purchase_orders_and_pick_lists(session, day, out, bar)
                    for sheet, pdf, load in zip(sheets, pdfs, loads, strict=True):
                        rows = route_sheet_rows(sheet)
                        out.write(f"route-sheets/route-{sheet.number}.csv", to_csv(rows))
                        out.write(f"route-sheets/route-{sheet.number}.pdf", await pdf)
                        out.write(f"route-sheets/route-{sheet.number}-loading.pdf", await load)
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
    region, delivery_date, settings = day.region, day.timeline.delivery_date, day.settings
    date = delivery_date.isoformat()
    slot = (settings.po_delivery_start, settings.po_delivery_end)
    for po in (
        await session.execute(
            select(PurchaseOrder)
            .where(PurchaseOrder.delivery_date == delivery_date)
            .order_by(PurchaseOrder.id)
        )
    ).scalars():
        for revision in range(1, po.revision + 1):
            doc = await purchase_order_document(
                session, po.id, revision, zone=settings.zone, slot=slot
            )
            name = f"purchase-orders/purchase-order-{po.id}-r{revision}"
            out.write(
                f"{name}.xlsx", to_xlsx(purchase_order_sheet(doc), f"采购单 {date} 第{revision}版")
            )
            out.write(f"{name}.pdf", purchase_order_pdf(doc))
    bar.advance()
    await _sorting_documents(session, day, out, bar)
    totals = await exports.warehouse_totals_rows(session, region.warehouse_id, delivery_date)
    out.write("warehouse-totals.csv", to_csv(totals))


async def _sorting_documents(session: AsyncSession, day: Day, out: Artifacts, bar: Bar) -> None:
    """Per point the sorter's totals and the leader's hand-out list (CSV);
    the first points' totals, hand-out lists and tote labels in one PDF each,
    as a warehouse prints them (each point from a new page; labels run on)."""
    ids, delivery_date = [point.id for point in day.region.points], day.timeline.delivery_date
    totals = await documents.point_totals(session, ids, delivery_date)
    handouts = await documents.hand_out_lists(session, ids, delivery_date)
    for point_id in ids:
        rows = exports.point_totals_rows(totals[point_id])
        out.write(f"pick-lists/pick-list-{point_id}.csv", to_csv(rows))
        rows = exports.hand_out_rows(handouts[point_id])
        out.write(f"hand-out-lists/hand-out-{point_id}.csv", to_csv(rows))
        bar.advance()
    printed = ids[:PRINTED_POINTS]
    out.write("pick-lists.pdf", printing.point_totals_pdf([totals[p] for p in printed]))
    out.write("hand-out-lists.pdf", printing.hand_out_pdf([handouts[p] for p in printed]))
    tote_labels = labels.labels_for([totals[p] for p in printed])
    out.write("tote-labels.pdf", labels.tote_labels_pdf(tote_labels))


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
