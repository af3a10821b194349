"""Query fields of delivery: a leader's delivery for a date."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.delivery.types import StopDelivery
from fulfilment.delivery.stops import leader_delivery
from kernel.accounts import Role


@strawberry.type
class DeliveryQuery:
    @strawberry.field(
        description="Leaders: your pickup point's delivery on a date (expected arrival, "
        "status, receipt); null until a published plan serves you."
    )
    async def leader_delivery(self, info: Info, delivery_date: date) -> StopDelivery | None:
        viewer = info.context.require(Role.LEADER)
        async with info.context.loaders.lock:
            found = await leader_delivery(info.context.session, viewer.id, delivery_date)
        return None if found is None else StopDelivery.of(found)
