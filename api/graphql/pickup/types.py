"""Pickup codes, collections, pickup helpers and a point's day at the counter.

Who sees a pickup code: the order's customer, and whoever placed the order
for them (a leader ordering on a resident's behalf passes it on). Nobody
else, not even the point's leader, helpers or operators: the code is the
customer's proof of being there, and whoever can read it could mark the
order collected without them. Leaders follow their day through
``pickupStatus`` instead, which shows who collected but no codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.graphql.ids import node_db_ids
from api.graphql.leaders.types import PickupPointType
from api.graphql.orders.types import OrderPickupType, OrderType
from api.graphql.pagination import Connection
from api.graphql.permissions import can_see_helper
from fulfilment.orders.models import Order
from leaders.points.models import PickupHelper, PickupHelperStatus

PickupHelperStatusEnum = strawberry.enum(PickupHelperStatus, name="PickupHelperStatus")


@strawberry.type(name="PickupHelper")
class PickupHelperType(relay.Node):
    id: relay.NodeID[int]
    status: PickupHelperStatusEnum  # type: ignore[valid-type]
    status_reason: str | None = strawberry.field(description="Why the operator rejected.")
    added_at: datetime
    decided_at: datetime | None
    user_id: strawberry.Private[int]
    pickup_point_id: strawberry.Private[int]

    @classmethod
    def of(cls, helper: PickupHelper) -> PickupHelperType:
        return cls(
            id=helper.id,
            status=helper.status,
            status_reason=helper.status_reason,
            added_at=helper.added_at,
            decided_at=helper.decided_at,
            user_id=helper.user_id,
            pickup_point_id=helper.pickup_point_id,
        )

    @strawberry.field(description="The helper's name.")
    async def name(self, info: Info) -> str:
        user = await info.context.loaders.user.load(self.user_id)
        return "" if user is None else user.name

    @strawberry.field(description="The helper's phone, as registered.")
    async def phone(self, info: Info) -> str | None:
        user = await info.context.loaders.user.load(self.user_id)
        return None if user is None else user.phone

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        found = await PickupPointType.resolve_nodes(info=info, node_ids=[str(self.pickup_point_id)])
        return found[0]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PickupHelperType | None]:
        loaders = info.context.loaders
        helpers = await loaders.pickup_helper.load_many(node_db_ids(node_ids))
        points = await loaders.pickup_point.load_many(
            [h.pickup_point_id if h else -1 for h in helpers]
        )
        leaders = await loaders.leader.load_many([p.leader_id if p else -1 for p in points])
        viewer = info.context.viewer
        return [
            cls.of(helper) if helper and can_see_helper(viewer, helper, leader) else None
            for helper, leader in zip(helpers, leaders, strict=True)
        ]


@strawberry.type(description="A paid order of the day and whether it was collected.")
class PickupStatusEntry:
    picked_up: bool
    pickup: OrderPickupType | None
    order_obj: strawberry.Private[Order]

    @strawberry.field(description="The order (its lines and customer's name, to hand out).")
    def order(self) -> OrderType:
        return OrderType.of(self.order_obj)


@strawberry.type(description="A pickup point's orders of a delivery date at the counter.")
class PickupDay:
    delivery_date: date
    orders: int = strawberry.field(description="Paid orders of the day.")
    picked_up: int = strawberry.field(description="Of them, collected (or completed).")
    entries: Connection[PickupStatusEntry] = strawberry.field(
        description="The orders asked for (all, or only those collected or not), in id order."
    )
