"""The two-tier network's download, with ``api.http.downloads``' helpers
(its authentication, refusals and file headers):

* ``/exports/network-maps/{warehouse_id}/{date}.svg``: one picture of a
  central warehouse's day, its trunk routes and every grid's van routes
  (fulfilment/routing/documents/network_map.py); operators and
  dispatchers; anyone else, or a grid warehouse's id: 404.
* ``/exports/grid-documents/{grid_id}/{date}.{fmt}?kind=``: stage one's
  pick list (csv, xlsx) or handling-unit labels (pdf) for a grid warehouse
  (fulfilment/sorting/grid_documents.py); operators, dispatchers, warehouse
  staff and the grid's own operator; anyone else: 404.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import downloads as shared
from fulfilment.network.queries import operated_grid
from fulfilment.routing.documents.network_map import network_map, network_map_svg
from fulfilment.sorting.grid_documents import GRID_DOCUMENT_KINDS, grid_document
from kernel.accounts import Role, User
from kernel.errors import NotFound


async def network_map_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    central = shared._id(request, "warehouse_id", "Warehouse")
    day = shared._date(request)
    if viewer.role not in (Role.OPERATOR, Role.DISPATCHER):
        raise shared._not_found()
    picture = network_map_svg(await network_map(session, central, day))
    when = day.isoformat()
    return shared._file(
        picture,
        shared.SVG,
        f"network-map-{central}-{when}.svg",
        f"干线与末端线路图-{when}.svg",
        inline=True,
    )


async def grid_document_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    kind = request.query_params.get("kind", "pick-list")
    if kind not in GRID_DOCUMENT_KINDS:
        raise shared._bad_request()
    ascii_kind, kind_name, formats = GRID_DOCUMENT_KINDS[kind]
    fmt = shared._format(request, formats)
    grid_id = shared._id(request, "grid_id", "Warehouse")
    day = shared._date(request)
    if viewer.role is Role.GRID_OPERATOR:
        if await operated_grid(session, viewer.id) != grid_id:
            raise shared._not_found()
    elif viewer.role not in (Role.OPERATOR, Role.DISPATCHER, Role.WAREHOUSE):
        raise shared._not_found()
    try:
        name, body = await grid_document(session, grid_id, day, kind, fmt)
    except NotFound:
        raise shared._not_found() from None
    when = day.isoformat()
    return shared._file(
        body,
        shared.CONTENT_TYPES.get(fmt, shared.PDF),
        f"{ascii_kind}-{grid_id}-{when}.{fmt}",
        f"{kind_name}-{name}-{when}.{fmt}",
    )


def network_export_routes() -> list[Route]:
    """The network's download routes (mounted beside ``export_routes``)."""
    return [
        Route(
            "/exports/network-maps/{warehouse_id}/{date}.svg",
            shared._endpoint(network_map_file),
        ),
        Route(
            "/exports/grid-documents/{grid_id}/{date}.{fmt}", shared._endpoint(grid_document_file)
        ),
    ]
