"""A grid's plan against the trunk now in force, in the API: the bound now,
the delay and the stops at risk (the rule: fulfilment/routing/trunk_delay.py),
read for all the plans of a request at once."""

from __future__ import annotations

import math
from datetime import datetime

import strawberry

from api.graphql.context import Info
from api.graphql.leaders.types import PickupPointType
from api.graphql.routing.visibility import stop_point
from fulfilment.routing.trunk_delay import StopAtRisk, TrunkBound


@strawberry.type(
    name="StopAtRisk",
    description="A stop of a grid's plan whose receiving window would now be missed: its van "
    "cannot leave before the trunk, now later, has unloaded and it is loaded.",
)
class StopAtRiskType:
    route_number: int
    position: int
    planned_arrival_at: datetime
    expected_arrival_at: datetime = strawberry.field(
        description="The planned arrival, pushed by what its van now leaves later."
    )
    window_end_at: datetime = strawberry.field(description="The point's receiving window closes.")
    pickup_point_id: strawberry.Private[int]

    @classmethod
    def of(cls, stop: StopAtRisk) -> StopAtRiskType:
        return cls(
            route_number=stop.route_number,
            position=stop.position,
            planned_arrival_at=stop.arrival_at,
            expected_arrival_at=stop.expected_arrival_at,
            window_end_at=stop.window_end_at,
            pickup_point_id=stop.pickup_point_id,
        )

    @strawberry.field(description="Minutes after the window closes that the van would arrive.")
    def late_minutes(self) -> int:
        return math.ceil((self.expected_arrival_at - self.window_end_at).total_seconds() / 60)

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        return await stop_point(info, self.pickup_point_id)


async def trunk_bound(info: Info, plan_id: int) -> TrunkBound | None:
    """The plan's ``TrunkBound`` (None: not a grid's delivery plan); the
    plans of one request are read together."""
    return await info.context.loaders.trunk_bound.load(plan_id)


def delay_minutes(bound: TrunkBound | None) -> int | None:
    """The delay in whole minutes, rounded up (a late trunk is never shown on time)."""
    delay = None if bound is None else bound.delay
    return None if delay is None else math.ceil(delay.total_seconds() / 60)
