"""A stop's delivery: the driver's reports, the leader's receipt (签收), the
issues reported on it and the refunds they booked."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql.campaigns.types import ProductType, product_of
from api.graphql.context import Info
from api.graphql.ids import encode
from api.graphql.leaders.types import PickupPointType
from api.graphql.orders.types import OrderType
from api.graphql.routing.visibility import stop_point
from fulfilment.delivery.models import DeliveryIssueKind, DeliveryReceipt
from fulfilment.delivery.receipts import ReportedIssue, receipt_issues
from fulfilment.delivery.stops import Delivery, DeliveryStatus
from fulfilment.purchasing.shortages import ShortedLine

DeliveryStatusEnum = strawberry.enum(
    DeliveryStatus,
    name="DeliveryStatus",
    description="SCHEDULED: the truck is not there yet; ARRIVED and HANDED_OVER as the "
    "driver reported; SIGNED: the leader signed for the goods.",
)


DeliveryIssueKindEnum = strawberry.enum(DeliveryIssueKind, name="DeliveryIssueKind")


@strawberry.type(description="Units of an order line refunded for a delivery issue.")
class DeliveryRefund:
    quantity: int
    amount_fen: int
    order_id: strawberry.Private[int]

    @classmethod
    def of(cls, line: ShortedLine) -> DeliveryRefund:
        return cls(quantity=line.quantity, amount_fen=line.amount_fen, order_id=line.order_id)

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        return (await OrderType.resolve_nodes(info=info, node_ids=[str(self.order_id)]))[0]


@strawberry.type(name="DeliveryIssue")
class DeliveryIssueType:
    kind: DeliveryIssueKindEnum  # type: ignore[valid-type]
    quantity: int
    refunds: list[DeliveryRefund] = strawberry.field(
        description="The latest-paid lines at the pickup point first."
    )
    product_id: strawberry.Private[int]

    @classmethod
    def of(cls, reported: ReportedIssue) -> DeliveryIssueType:
        return cls(
            kind=reported.issue.kind,
            quantity=reported.issue.quantity,
            refunds=[DeliveryRefund.of(r) for r in reported.refunds],
            product_id=reported.issue.product_id,
        )

    @strawberry.field
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds)

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)


@strawberry.type(name="DeliveryReceipt", description="The leader's signature for a delivery.")
class DeliveryReceiptType:
    signed_at: datetime
    note: str | None
    issues: list[DeliveryIssueType]

    @classmethod
    def of(cls, receipt: DeliveryReceipt, issues: list[ReportedIssue]) -> DeliveryReceiptType:
        return cls(
            signed_at=receipt.signed_at,
            note=receipt.note,
            issues=[DeliveryIssueType.of(i) for i in issues],
        )

    @strawberry.field(description="All refunds booked for the issues, in fen.")
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for i in self.issues for r in i.refunds)


@strawberry.type(description="A pickup point's delivery on a published route plan.")
class StopDelivery:
    route_stop_id: strawberry.ID = strawberry.field(
        description="The RouteStop's ID, for routeStopArrive, routeStopHandOver and deliverySign."
    )
    delivery_date: date
    status: DeliveryStatusEnum  # type: ignore[valid-type]
    expected_arrival_at: datetime = strawberry.field(
        description="When the plan has the hand-over start (the arrival, or the window opening)."
    )
    arrived_at: datetime | None
    handed_over_at: datetime | None
    pickup_point_id: strawberry.Private[int]
    signed: strawberry.Private[DeliveryReceipt | None]
    # Known when the receipt was just signed; read on demand otherwise.
    issues: strawberry.Private[list[ReportedIssue] | None] = None
    # The viewer reached this delivery through a warehouse's deliveries it
    # may read (stopDeliveries): it sees the point there, as on the plan.
    point_shown: strawberry.Private[bool] = False

    @classmethod
    def of(
        cls,
        delivery: Delivery,
        issues: list[ReportedIssue] | None = None,
        *,
        point_shown: bool = False,
    ) -> StopDelivery:
        stop = delivery.stop
        return cls(
            route_stop_id=strawberry.ID(encode("RouteStop", stop.id)),
            delivery_date=delivery.plan.delivery_date,
            status=delivery.status,
            expected_arrival_at=stop.service_start_at,
            arrived_at=stop.arrived_at,
            handed_over_at=stop.handed_over_at,
            pickup_point_id=stop.pickup_point_id,
            signed=delivery.receipt,
            issues=issues,
            point_shown=point_shown,
        )

    @strawberry.field(description="The leader's receipt, once signed.")
    async def receipt(self, info: Info) -> DeliveryReceiptType | None:
        if self.signed is None:
            return None
        issues = self.issues
        if issues is None:
            async with info.context.loaders.lock:
                found = await receipt_issues(info.context.session, [self.signed.id])
            issues = found[self.signed.id]
        return DeliveryReceiptType.of(self.signed, issues)

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        if self.point_shown:
            return await stop_point(info, self.pickup_point_id)
        found = await PickupPointType.resolve_nodes(info=info, node_ids=[str(self.pickup_point_id)])
        return found[0]
