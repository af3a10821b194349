"""``GET /exports/reconciliation/{date}.xlsx``: a date's reconciliation
workbook (operators), built from its newest finished run when asked.

The route lives beside the GraphQL types that hand out its link; it answers
like the other exports (api/http/downloads.py): no or a bad token 401, a bad
date 400, anyone but an operator, or a date never reconciled, 404."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.graphql.context import request_viewer
from fulfilment.reconciliation.exports import reconciliation_xlsx
from fulfilment.reconciliation.queries import all_mismatches, latest_run
from kernel.accounts import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def reconciliation_file(request: Request) -> Response:
    """The workbook of ``date``: sheets 汇总 and 差异."""
    state = request.app.state
    viewer = await request_viewer(request, state.auth_engine, state.settings.token_secret)
    if viewer is None:
        return JSONResponse(
            {"code": "UNAUTHENTICATED"}, 401, headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        bill_date = date.fromisoformat(str(request.path_params["date"]))
    except ValueError:
        return JSONResponse({"code": "BAD_REQUEST"}, 400)
    if viewer.role is not Role.OPERATOR:
        return JSONResponse({"code": "NOT_FOUND"}, 404)
    async with state.read_sessions() as session:
        run = await latest_run(session, bill_date)
        if run is None:
            return JSONResponse({"code": "NOT_FOUND"}, 404)
        body = reconciliation_xlsx(run, await all_mismatches(session, run.id), state.settings.zone)
    day = bill_date.isoformat()
    name = quote(f"对账-{day}.xlsx", safe="")
    headers = {
        "Content-Disposition": (
            f"attachment; filename=\"reconciliation-{day}.xlsx\"; filename*=UTF-8''{name}"
        ),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=XLSX, headers=headers)


def reconciliation_routes() -> list[Route]:
    """The export's route; ``api/http/downloads.py``'s ``export_routes``
    lists it with the other exports."""
    return [Route("/exports/reconciliation/{date}.xlsx", reconciliation_file)]
