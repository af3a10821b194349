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
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.graphql.campaigns.types import ProductType, product_of
from api.graphql.context import Info
from api.graphql.ids import node_db_ids
from api.graphql.leaders.types import PickupPointType
from api.graphql.pagination import Connection
from fulfilment.orders.models import Order, PickupCode
from fulfilment.orders.pickup_codes import qr_payload
from fulfilment.pickup.models import OrderPickup, PickupMethod
from fulfilment.pickup.recording import Pickup
from kernel.accounts import Role, User
from leaders.points.models import Leader, PickupHelper, PickupHelperStatus

if TYPE_CHECKING:
    from api.graphql.orders.types import OrderType


PickupMethodEnum = strawberry.enum(
    PickupMethod,
    name="PickupMethod",
    description="CODE typed in, QR scanned, or AUTO: completed because nobody collected in time.",
)


PickupHelperStatusEnum = strawberry.enum(PickupHelperStatus, name="PickupHelperStatus")


def can_see_pickup_code(viewer: User | None, order: Order) -> bool:
    """The order's customer and whoever placed it for them; see the module."""
    return viewer is not None and viewer.id in (order.customer_id, order.placed_by_id)


@strawberry.type(name="PickupCode", description="Show it at the pickup point to collect.")
class PickupCodeType:
    code: str = strawberry.field(description="Six digits, unique at the point that day.")
    qr_payload: str = strawberry.field(description="What the QR code carries (signed).")
    delivery_date: date

    @classmethod
    def of(cls, code: PickupCode, order_number: str, secret: str) -> PickupCodeType:
        return cls(
            code=code.code,
            qr_payload=qr_payload(secret, order_number, code.code),
            delivery_date=code.delivery_date,
        )


@strawberry.type(name="PickupLine", description="Units of an order line handed out.")
class PickupLineType:
    quantity: int = strawberry.field(description="Paid units less those refunded before.")
    net_fen: int = strawberry.field(description="Paid less refunded before; the commission base.")
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)


@strawberry.type(name="OrderPickup", description="An order's collection.")
class OrderPickupType:
    picked_up_at: datetime
    method: PickupMethodEnum  # type: ignore[valid-type]
    pickup_id: strawberry.Private[int]
    known_lines: strawberry.Private[list[PickupLineType] | None] = None

    @classmethod
    def of(cls, pickup: OrderPickup) -> OrderPickupType:
        return cls(picked_up_at=pickup.picked_up_at, method=pickup.method, pickup_id=pickup.id)

    @classmethod
    def with_lines(cls, found: Pickup) -> OrderPickupType:
        made = cls.of(found.pickup)
        made.known_lines = [
            PickupLineType(quantity=p.quantity, net_fen=p.net_fen, product_id=line.product_id)
            for p, line in found.lines
        ]
        return made

    @strawberry.field(description="What each line handed out.")
    async def lines(self, info: Info) -> list[PickupLineType]:
        if self.known_lines is not None:
            return self.known_lines
        rows = await info.context.loaders.pickup_lines.load(self.pickup_id)
        lines = await info.context.loaders.order_line.load_many([p.order_line_id for p in rows])
        return [
            PickupLineType(quantity=p.quantity, net_fen=p.net_fen, product_id=line.product_id)
            for p, line in zip(rows, lines, strict=True)
            if line is not None
        ]


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
            cls.of(helper) if helper and _can_see_helper(viewer, helper, leader) else None
            for helper, leader in zip(helpers, leaders, strict=True)
        ]


def _can_see_helper(viewer: User | None, helper: PickupHelper, leader: Leader | None) -> bool:
    """Operators; the helper; the leader of the helper's point."""
    if viewer is None:
        return False
    if viewer.role is Role.OPERATOR or viewer.id == helper.user_id:
        return True
    return leader is not None and leader.user_id == viewer.id


@strawberry.type(description="A paid order of the day and whether it was collected.")
class PickupStatusEntry:
    picked_up: bool
    pickup: OrderPickupType | None
    order_obj: strawberry.Private[Order]

    @strawberry.field(description="The order (its lines and customer's name, to hand out).")
    def order(self) -> Annotated[OrderType, strawberry.lazy("api.graphql.orders.types")]:
        from api.graphql.orders.types import OrderType

        return OrderType.of(self.order_obj)


@strawberry.type(description="A pickup point's orders of a delivery date at the counter.")
class PickupDay:
    delivery_date: date
    orders: int = strawberry.field(description="Paid orders of the day.")
    picked_up: int = strawberry.field(description="Of them, collected (or completed).")
    entries: Connection[PickupStatusEntry] = strawberry.field(
        description="The orders asked for (all, or only those collected or not), in id order."
    )
