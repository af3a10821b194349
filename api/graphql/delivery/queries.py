"""Query fields of delivery: a leader's delivery for a date, a driver's
routes, a warehouse's deliveries and receipts of a date."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.delivery.types import StopDelivery
from api.graphql.ids import decode_argument
from api.graphql.routing.types import RouteType
from api.graphql.routing.visibility import require_plans_of
from fulfilment.delivery.day_deliveries import day_deliveries
from fulfilment.delivery.receipts import receipt_issues
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

    @strawberry.field(
        description="A warehouse's deliveries on a date: each stop of its published plan, by "
        "route and position, with its status and the leader's receipt (签收) once signed; empty "
        "until a plan is published. Operators and dispatchers; a grid operator its own grid's "
        "points (another warehouse: FORBIDDEN)."
    )
    async def stop_deliveries(
        self, info: Info, warehouse_id: strawberry.ID, delivery_date: date
    ) -> list[StopDelivery]:
        wid = decode_argument(warehouse_id, "Warehouse", ["warehouseId"])
        await require_plans_of(info, wid)
        session = info.context.session
        async with info.context.loaders.lock:  # the session is shared with sibling fields
            deliveries = await day_deliveries(session, wid, delivery_date)
            signed = [d.receipt.id for d in deliveries if d.receipt is not None]
            issues = await receipt_issues(session, signed)
        return [
            StopDelivery.of(d, issues.get(d.receipt.id) if d.receipt else None, point_shown=True)
            for d in deliveries
        ]
