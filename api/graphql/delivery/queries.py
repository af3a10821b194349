"""Query fields of delivery: a leader's delivery for a date, a driver's routes."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.delivery.types import StopDelivery
from api.graphql.routing.types import RouteType
from fulfilment.delivery.stops import leader_delivery
from fulfilment.routing.drivers import driver_routes
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

    @strawberry.field(
        description="Drivers: the routes the dispatcher gave you on a delivery date, by "
        "departure, with their stops; empty until a plan is published and assigned."
    )
    async def my_routes(self, info: Info, delivery_date: date) -> list[RouteType]:
        viewer = info.context.require(Role.DRIVER)
        async with info.context.loaders.lock:
            routes = await driver_routes(info.context.session, viewer.id, delivery_date)
        return [RouteType.of(route) for route in routes]
