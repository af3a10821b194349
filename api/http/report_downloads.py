"""Report downloads: ``GET /exports/reports/{report}.{csv|xlsx}?start=…&end=…``
with the optional filters ``warehouseId``, ``supplierId``, ``leaderId`` (global
IDs) and ``category``; operators only. The sheets are
``fulfilment.reports.exports``'s; the route is mounted by
``api.http.downloads.export_routes`` (its ``_endpoint`` authenticates, opens
the read transaction and answers 401/404). A report name, format, date,
range, ID or filter that is refused: 400 ``{"code": "BAD_REQUEST"}``; a
viewer who is not an operator: 404 like a missing file."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.graphql.reports.inputs import domain_filter
from fulfilment.reports.exports import REPORTS, report_rows
from fulfilment.reports.filters import DateRange
from kernel.accounts import Role, User
from kernel.errors import DomainError, NotFound
from kernel.tables import to_csv, to_xlsx

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_FILTERS = ("warehouseId", "supplierId", "leaderId", "category")


def _bad_request() -> Response:
    return JSONResponse({"code": "BAD_REQUEST"}, 400)


async def report_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    """One report as CSV or XLSX, named by report and range."""
    if viewer.role is not Role.OPERATOR:
        raise NotFound("No such file.")
    name, fmt = str(request.path_params["report"]), str(request.path_params["fmt"])
    params = request.query_params
    if name not in REPORTS or fmt not in CONTENT_TYPES:
        return _bad_request()
    if set(params) - {"start", "end", *_FILTERS}:
        return _bad_request()  # an unknown filter is refused, not ignored
    try:
        days = DateRange(
            date.fromisoformat(params.get("start", "")), date.fromisoformat(params.get("end", ""))
        )
        given = domain_filter(*(params.get(f) for f in _FILTERS))
        sheet, rows = await report_rows(session, name, days, given, request.app.state.settings.zone)
    except (ValueError, DomainError):
        return _bad_request()
    span = f"{days.start.isoformat()}_{days.end.isoformat()}"
    body = to_csv(rows) if fmt == "csv" else to_xlsx(rows, sheet.title)
    ascii_name = f"{sheet.ascii_name}-{span}.{fmt}"
    disposition = (
        f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(f'{sheet.title}-{span}.{fmt}', safe='')}"
    )
    headers = {
        "Content-Disposition": disposition,
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=CONTENT_TYPES[fmt], headers=headers)
