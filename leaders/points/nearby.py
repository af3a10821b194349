"""Pickup points near a place: a resident without a share link finds one.

The database narrows the search with a latitude/longitude box: range
conditions on the plain columns, the same SQL on SQLite and PostgreSQL, which
a B-tree index on (lat, lon) can serve. The exact geodesic distance is then
computed in Python (``kernel.geo``) for the few points inside the box.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import CommonErrorCode, DomainError
from kernel.geo import LatLon, bounding_box, distance_m
from leaders.points.models import Leader, LeaderStatus, PickupPoint

MIN_RADIUS_M = 1
MAX_RADIUS_M = 5000
MAX_RESULTS = 20


@dataclass(frozen=True, slots=True)
class NearbyPoint:
    point: PickupPoint
    distance_m: int


async def pickup_points_near(
    session: AsyncSession,
    centre: LatLon,
    radius_m: int,
    *,
    also: Iterable[ColumnElement[bool]] = (),
    limit: int = MAX_RESULTS,
) -> list[NearbyPoint]:
    """Points of approved leaders within ``radius_m`` metres of ``centre``
    (WGS-84), nearest first (then by id), at most ``limit``. ``also`` adds
    conditions on the point from rooms above, such as being served by a
    warehouse."""
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise DomainError(
            CommonErrorCode.OUT_OF_RANGE,
            f"The radius must be from {MIN_RADIUS_M} to {MAX_RADIUS_M} metres.",
            ["radiusM"],
        )
    box = bounding_box(centre, radius_m)
    lon: ColumnElement[bool] = PickupPoint.lon.between(box.lon_min, box.lon_max)
    if box.lon_min > box.lon_max:  # across the antimeridian
        lon = or_(PickupPoint.lon >= box.lon_min, PickupPoint.lon <= box.lon_max)
    stmt = (
        select(PickupPoint)
        .join(Leader, Leader.id == PickupPoint.leader_id)
        .where(
            and_(PickupPoint.lat.between(box.lat_min, box.lat_max), lon),
            Leader.status == LeaderStatus.APPROVED,
            *also,
        )
    )
    found = []
    for point in (await session.execute(stmt)).scalars():
        metres = distance_m(centre, LatLon(point.lat, point.lon))
        if metres <= radius_m:
            found.append(NearbyPoint(point, round(metres)))
    found.sort(key=lambda near: (near.distance_m, near.point.id))
    return found[:limit]
