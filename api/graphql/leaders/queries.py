"""Query fields of pickup points: the one behind a leader's share link."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.leaders.types import PickupPointType
from api.graphql.permissions import can_see_pickup_point
from leaders.points.customers import pickup_point_by_share_code


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
