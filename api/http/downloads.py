"""File downloads: ``GET /exports/...`` as CSV, XLSX, PDF or SVG.

* ``/exports/purchase-orders/{id}.{fmt}[?revision=N]``: operators and the
  PO's own supplier;
* ``/exports/pick-lists/{pickup_point_id}/{date}.{fmt}[?kind=K]``: the
  sorter's totals (``totals``, the default; ``csv``, ``xlsx`` or ``pdf``) and
  the tote labels (``labels``, ``pdf``): operators, dispatchers, warehouse
  staff, the point's own leader and the operator of the grid serving the
  point (stage two sorts there); the hand-out list (``handout``, ``csv``, ``xlsx`` or
  ``pdf``): operators and the point's own leader;
* ``/exports/warehouse-totals/{warehouse_id}/{date}.{fmt}``: operators and
  dispatchers;
* ``/exports/route-plans/{id}/routes/{number}.{csv|pdf}`` (a route sheet;
  ``.pdf?kind=loading``: the loader's loading detail) and
  ``/exports/route-plans/{id}/map.svg`` (the plan's picture): operators,
  dispatchers, drivers and a grid's operator (its own grid's van plans);
* ``/exports/payout-batches/{id}.csv``: a payout batch's transfers (operators).
* ``/exports/reports/{report}.{csv|xlsx}?start=…&end=…``: an operator's report
  (``api/http/report_downloads.py``).

IDs are the GraphQL global IDs (``PurchaseOrder.id``, ``PickupPoint.id``,
``Warehouse.id``, ``RoutePlan.id``: letters, digits and ``=``, safe in a
path); dates are ISO (``2026-11-24``); ``fmt`` is ``csv`` or ``xlsx`` (purchase
orders also ``pdf``; route sheets: ``csv`` or ``pdf``). The bearer token is the
GraphQL one. No or a bad token: 401 ``{"code": "UNAUTHENTICATED"}``; a bad
format, ID, date or revision: 400 ``{"code": "BAD_REQUEST"}``; anything the
viewer may not read is 404 ``{"code": "NOT_FOUND"}``, exactly like a missing
object.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.graphql.context import request_viewer
from api.graphql.ids import MAX_DB_ID, decode
from api.graphql.permissions import can_see_plan
from api.http.report_downloads import report_file
from fulfilment.campaigns.catalog import supplier_of_user
from fulfilment.network.queries import grid_points, operated_grid
from fulfilment.purchasing.documents import purchase_order_pdf
from fulfilment.purchasing.exports import (
    purchase_order_document,
    purchase_order_rows,
    purchase_order_sheet,
)
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.reconciliation.exports import reconciliation_xlsx
from fulfilment.reconciliation.queries import all_mismatches, latest_run
from fulfilment.routing.documents.loading import loading_pdf
from fulfilment.routing.documents.map import plan_map, plan_map_svg
from fulfilment.routing.documents.pdf import route_sheet_pdf
from fulfilment.routing.documents.sheets import route_sheet, route_sheet_rows
from fulfilment.routing.models import RoutePlan, RoutePlanStatus
from fulfilment.sorting.exports import (
    PICK_LIST_KINDS,
    pick_list_document,
    warehouse_totals_rows,
)
from kernel.accounts import Role, User
from kernel.errors import DomainError, NotFound
from kernel.tables import Rows, Yuan, to_csv, to_xlsx
from leaders.commission.models import PayoutBatch
from leaders.commission.payouts import batch_rows
from leaders.points.models import Leader, PickupPoint

log = logging.getLogger("tuangou.exports")


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


PDF = "application/pdf"


SVG = "image/svg+xml"


ROUTE_SHEET_FORMATS = ("csv", "pdf")


PURCHASE_ORDER_FORMATS = ("csv", "xlsx", "pdf")


class _Refused(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def _bad_request() -> _Refused:
    return _Refused(400, "BAD_REQUEST")


def _not_found() -> _Refused:
    return _Refused(404, "NOT_FOUND")


async def _viewer(request: Request) -> User:
    state = request.app.state
    viewer = await request_viewer(request, state.auth_engine, state.settings.token_secret)
    if viewer is None:
        raise _Refused(401, "UNAUTHENTICATED")
    return viewer


def _format(request: Request, allowed: Iterable[str] = CONTENT_TYPES) -> str:
    fmt = str(request.path_params["fmt"])
    if fmt not in allowed:
        raise _bad_request()
    return fmt


def _id(request: Request, name: str, type_name: str) -> int:
    try:
        return decode(str(request.path_params[name]), type_name, [name])
    except DomainError as exc:
        raise _bad_request() from exc


def _date(request: Request) -> date:
    try:
        return date.fromisoformat(str(request.path_params["date"]))
    except ValueError as exc:
        raise _bad_request() from exc


def _revision(request: Request) -> int | None:
    raw = request.query_params.get("revision")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_DB_ID:
        raise _bad_request()
    return int(raw)


async def viewer_supplier_id(session: AsyncSession, viewer: User) -> int | None:
    """The supplier a supplier account acts for (None for other roles): the
    session-taking twin of ``api.graphql.campaigns.types.viewer_supplier_id``."""
    if viewer.role is not Role.SUPPLIER:
        return None
    return await supplier_of_user(session, viewer.id)


def _download(rows: Rows, fmt: str, title: str, ascii_name: str, name: str) -> Response:
    body = to_csv(rows) if fmt == "csv" else to_xlsx(rows, title)
    return _file(body, CONTENT_TYPES[fmt], f"{ascii_name}.{fmt}", f"{name}.{fmt}")


def _file(
    body: bytes, media_type: str, ascii_name: str, name: str, *, inline: bool = False
) -> Response:
    disposition = (
        f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    headers = {
        "Content-Disposition": disposition,
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if inline:
        # A picture opened in the browser on our origin: nothing in it may run.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(body, media_type=media_type, headers=headers)


Handler = Callable[[Request, User, AsyncSession], Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, open one read transaction, and turn refusals into JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            viewer = await _viewer(request)
            async with request.app.state.read_sessions() as session:
                return await handler(request, viewer, session)
        except _Refused as refused:
            headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
            return JSONResponse({"code": refused.code}, refused.status, headers=headers)
        except NotFound:
            return JSONResponse({"code": "NOT_FOUND"}, 404)

    return endpoint


async def purchase_order(request: Request, viewer: User, session: AsyncSession) -> Response:
    fmt = _format(request, PURCHASE_ORDER_FORMATS)
    po_id = _id(request, "id", "PurchaseOrder")
    revision = _revision(request)
    po = await session.get(PurchaseOrder, po_id)
    if po is None or not (
        viewer.role is Role.OPERATOR
        or (
            viewer.role is Role.SUPPLIER
            and po.supplier_id == await viewer_supplier_id(session, viewer)
        )
    ):
        raise _not_found()
    settings = request.app.state.settings
    doc = await purchase_order_document(
        session,
        po.id,
        revision,
        zone=settings.zone,
        slot=(settings.po_delivery_start, settings.po_delivery_end),
    )
    day = po.delivery_date.isoformat()
    ascii_name = f"purchase-order-{po.id}-{day}-r{doc.revision}"
    name = f"采购单-{po.id}-{day}-第{doc.revision}版"
    if fmt == "pdf":
        return _file(purchase_order_pdf(doc), PDF, f"{ascii_name}.pdf", f"{name}.pdf")
    rows = purchase_order_rows(doc) if fmt == "csv" else purchase_order_sheet(doc)
    return _download(rows, fmt, f"采购单 {day} 第{doc.revision}版", ascii_name, name)


async def pick_list(request: Request, viewer: User, session: AsyncSession) -> Response:
    kind = request.query_params.get("kind", "totals")
    if kind not in PICK_LIST_KINDS:
        raise _bad_request()
    ascii_kind, kind_name, formats = PICK_LIST_KINDS[kind]
    fmt = _format(request, formats)
    point_id = _id(request, "pickup_point_id", "PickupPoint")
    day = _date(request)
    # The hand-out list names each resident with their order: the point's
    # leader and operators, not the warehouse (nor a grid, which sorts the
    # point's totes in stage two: its totals and labels, for its own points).
    warehouse = (Role.DISPATCHER, Role.WAREHOUSE, Role.GRID_OPERATOR) if kind != "handout" else ()
    readers = (Role.OPERATOR, Role.LEADER, *warehouse)
    if viewer.role not in readers:
        raise _not_found()
    point = await session.get(PickupPoint, point_id)
    if point is None:
        raise _not_found()
    if viewer.role is Role.LEADER:
        leader = await session.get(Leader, point.leader_id)
        if leader is None or leader.user_id != viewer.id:
            raise _not_found()
    if viewer.role is Role.GRID_OPERATOR:
        grid = await operated_grid(session, viewer.id)
        if grid is None or point.id not in await grid_points(session, grid):
            raise _not_found()
    body = await pick_list_document(session, point.id, day, kind, fmt)
    ascii_name = f"{ascii_kind}-{point.id}-{day.isoformat()}.{fmt}"
    name = f"{kind_name}-{point.name}-{day.isoformat()}.{fmt}"
    return _file(body, CONTENT_TYPES.get(fmt, PDF), ascii_name, name)


async def warehouse_totals(request: Request, viewer: User, session: AsyncSession) -> Response:
    fmt = _format(request)
    warehouse_id = _id(request, "warehouse_id", "Warehouse")
    day = _date(request)
    if viewer.role not in (Role.OPERATOR, Role.DISPATCHER, Role.WAREHOUSE):
        raise _not_found()
    rows = await warehouse_totals_rows(session, warehouse_id, day)
    return _download(
        rows,
        fmt,
        f"仓库汇总 {day.isoformat()}",
        f"warehouse-totals-{warehouse_id}-{day.isoformat()}",
        f"仓库汇总-{warehouse_id}-{day.isoformat()}",
    )


async def _route_plan(request: Request, viewer: User, session: AsyncSession) -> RoutePlan:
    plan_id = _id(request, "id", "RoutePlan")
    if viewer.role not in (Role.OPERATOR, Role.DISPATCHER, Role.DRIVER, Role.GRID_OPERATOR):
        raise _not_found()
    plan = await session.get(RoutePlan, plan_id)
    # Drivers print the sheets of the plan they drive, never a draft.
    if plan is None or (
        viewer.role is Role.DRIVER and plan.status is not RoutePlanStatus.PUBLISHED
    ):
        raise _not_found()
    if viewer.role is Role.GRID_OPERATOR and not can_see_plan(
        viewer, plan, await operated_grid(session, viewer.id)
    ):
        raise _not_found()
    return plan


async def route_sheet_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    fmt = _format(request, ROUTE_SHEET_FORMATS)
    raw = str(request.path_params["number"])
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_DB_ID:
        raise _bad_request()
    kind = request.query_params.get("kind", "sheet")
    if kind not in ("sheet", "loading") or (kind == "loading" and fmt != "pdf"):
        raise _bad_request()
    plan = await _route_plan(request, viewer, session)
    sheet = await route_sheet(session, plan.id, int(raw), request.app.state.settings.zone)
    day = sheet.delivery_date.isoformat()
    if kind == "loading":
        name = f"装车明细-{day}-第{sheet.number}线.pdf"
        ascii_name = f"loading-detail-{plan.id}-{day}-{sheet.number}.pdf"
        return _file(loading_pdf(sheet), PDF, ascii_name, name)
    ascii_name = f"route-sheet-{plan.id}-{day}-{sheet.number}.{fmt}"
    name = f"线路单-{day}-第{sheet.number}线.{fmt}"
    if fmt == "pdf":
        return _file(route_sheet_pdf(sheet), PDF, ascii_name, name)
    return _file(to_csv(route_sheet_rows(sheet)), CONTENT_TYPES["csv"], ascii_name, name)


async def route_map_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    plan = await _route_plan(request, viewer, session)
    picture = plan_map_svg(await plan_map(session, plan.id))
    day = plan.delivery_date.isoformat()
    return _file(picture, SVG, f"route-map-{plan.id}-{day}.svg", f"线路图-{day}.svg", inline=True)


PAYOUT_BATCH_HEADER = (
    "提现单号",
    "团长编号",
    "团长",
    "自提点",
    "联系电话",
    "转账金额(元)",
    "申请时间",
)


async def payout_batch_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    batch_id = _id(request, "id", "PayoutBatch")
    batch = await session.get(PayoutBatch, batch_id) if viewer.role is Role.OPERATOR else None
    if batch is None:
        raise _not_found()
    zone = request.app.state.settings.zone
    rows = Rows()
    rows.header(PAYOUT_BATCH_HEADER)
    for r in await batch_rows(session, batch.id):
        requested = r.requested_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        rows.rows.append(
            (
                r.payout_id,
                # A grid's payout: no leader; its operator and "网格仓 <id>".
                "" if r.leader_id is None else r.leader_id,
                r.leader_name,
                r.pickup_point,
                r.phone,
                Yuan(r.transfer_fen),
                requested,
            )
        )
    day = batch.created_at.astimezone(zone).date().isoformat()
    return _download(
        rows,
        "csv",
        f"提现批次 {batch.id}",
        f"payout-batch-{batch.id}-{day}",
        f"提现批次-{batch.id}-{day}",
    )


async def reconciliation_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    """The day's reconciliation workbook (sheets 汇总 and 差异), operators only."""
    bill_date = _date(request)
    run = await latest_run(session, bill_date) if viewer.role is Role.OPERATOR else None
    if run is None:
        raise _not_found()
    zone = request.app.state.settings.zone
    body = reconciliation_xlsx(run, await all_mismatches(session, run.id), zone)
    day = bill_date.isoformat()
    return _file(body, CONTENT_TYPES["xlsx"], f"reconciliation-{day}.xlsx", f"对账-{day}.xlsx")


def export_routes() -> list[Route]:
    """The download routes; they read ``app.state.auth_engine``,
    ``read_sessions`` and ``settings``."""
    return [
        Route("/exports/purchase-orders/{id}.{fmt}", _endpoint(purchase_order)),
        Route(
            "/exports/pick-lists/{pickup_point_id}/{date}.{fmt}",
            _endpoint(pick_list),
        ),
        Route(
            "/exports/warehouse-totals/{warehouse_id}/{date}.{fmt}",
            _endpoint(warehouse_totals),
        ),
        Route(
            "/exports/route-plans/{id}/routes/{number}.{fmt}",
            _endpoint(route_sheet_file),
        ),
        Route("/exports/route-plans/{id}/map.svg", _endpoint(route_map_file)),
        Route("/exports/payout-batches/{id}.csv", _endpoint(payout_batch_file)),
        Route("/exports/reconciliation/{date}.xlsx", _endpoint(reconciliation_file)),
        Route("/exports/reports/{report}.{fmt}", _endpoint(report_file)),
    ]
