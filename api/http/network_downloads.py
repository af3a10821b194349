"""The two-tier network's download, with ``api.http.downloads``' helpers
(its authentication, refusals and file headers):

* ``/exports/network-maps/{warehouse_id}/{date}.svg``: one picture of a
  central warehouse's day, its trunk routes and every grid's van routes
  (fulfilment/routing/documents/network_map.py); operators and
  dispatchers; anyone else, or a grid warehouse's id: 404.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import downloads as shared
from fulfilment.routing.documents.network_map import network_map, network_map_svg
from kernel.accounts import Role, User


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


def network_export_routes() -> list[Route]:
    """The network's download routes (mounted beside ``export_routes``)."""
    return [
        Route(
            "/exports/network-maps/{warehouse_id}/{date}.svg",
            shared._endpoint(network_map_file),
        )
    ]
