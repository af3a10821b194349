"""Query fields of pickup points: the one behind a leader's share link, and
those near a place."""

from __future__ import annotations

import strawberry

from api.graphql.common import CoordinatesInput
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.leaders.types import PickupPointType
from api.graphql.permissions import can_see_pickup_point
from fulfilment.campaigns.service_areas import served_by_a_warehouse
from kernel.accounts import Role
from kernel.errors import DomainError
from kernel.geo import check_lat_lon, to_wgs84
from leaders.points.customers import pickup_point_by_share_code
from leaders.points.nearby import pickup_points_near


@strawberry.type(name="PickupPointNearby")
class PickupPointNearbyType:
    point: PickupPointType
    distance_m: int = strawberry.field(description="Metres in a straight line (geodesic).")


@strawberry.type
class PointQuery:
    @strawberry.field(description="The pickup point behind a leader's share link or code.")
    async def pickup_point_by_share_code(self, info: Info, code: str) -> PickupPointType | None:
        viewer = info.context.require()
        point = await pickup_point_by_share_code(info.context.session, code)
        if point is None:
            return None
        leader = await info.context.loaders.leader.load(point.leader_id)
        # Customers open any code of a point taking orders; a leader only their own.
        if not can_see_pickup_point(viewer, point, leader):
            return None
        return PickupPointType.of(point)

    @strawberry.field(
        description="Pickup points taking orders within radiusM metres of a place, "
        "nearest first, at most 20."
    )
    async def pickup_points_near(
        self, info: Info, location: CoordinatesInput, radius_m: int
    ) -> list[PickupPointNearbyType]:
        info.context.require(Role.CUSTOMER, Role.LEADER, Role.OPERATOR)
        try:
            check_lat_lon(location.lat, location.lon, ["location"])
            centre = to_wgs84(location.lat, location.lon, location.system)
            check_lat_lon(centre.lat, centre.lon, ["location"])
            found = await pickup_points_near(
                info.context.session, centre, radius_m, also=[served_by_a_warehouse()]
            )
        except DomainError as exc:
            error = bad_input(exc.message)
            error.extensions = {**(error.extensions or {}), "field": exc.field}
            raise error from exc
        return [
            PickupPointNearbyType(point=PickupPointType.of(near.point), distance_m=near.distance_m)
            for near in found
        ]
