"""Orders, their lines, and a pickup point's totals for a delivery date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.graphql.campaigns.types import CampaignItemType, CampaignType, ProductType, product_of
from api.graphql.context import Info
from api.graphql.ids import node_db_ids
from api.graphql.leaders.types import PickupPointType
from api.graphql.permissions import can_see_order, can_see_pickup_code
from fulfilment.orders.models import (
    CashPayment,
    Order,
    OrderLine,
    OrderPickup,
    OrderStatus,
    PickupCode,
    PickupMethod,
    ShortfallReason,
)
from fulfilment.orders.pickup_codes import qr_payload
from fulfilment.orders.prepay import PaymentOpening, opened
from fulfilment.pickup.recording import Pickup

if TYPE_CHECKING:
    from api.graphql.orders.refunds import RefundType

OrderStatusEnum = strawberry.enum(
    OrderStatus,
    name="OrderStatus",
    description="PENDING_PAYMENT until paid; PAID; CANCELLED before it was paid; EXPIRED "
    "when the payment window or the cutoff passed first. REFUNDED: it was paid and all "
    "of it went back (cancelled after paying, paid after it was cancelled or expired, "
    "or every unit refunded); nothing is left to collect and its pickup code no longer "
    "works. Its refunds say why.",
)


ShortfallReasonEnum = strawberry.enum(ShortfallReason, name="ShortfallReason")
PaymentOpeningEnum = strawberry.enum(
    PaymentOpening,
    name="PaymentOpening",
    description="How an order's WeChat Pay payment was opened, and so how it may be paid: "
    "NOT_OPENED (orderPay, or ordersPay with other orders); ALONE (orderPay again); "
    "TOGETHER (ordersPay again, with the orders of the same combinedPaymentNumber).",
)


@strawberry.type(description="Units of a line that will not be delivered, and why; refunded.")
class Shortfall:
    quantity: int
    reason: ShortfallReasonEnum  # type: ignore[valid-type]
    refund_fen: int


@strawberry.type(name="OrderLine")
class OrderLineType:
    quantity: int
    unit_price_fen: int
    amount_fen: int
    campaign_item_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    line_id: strawberry.Private[int]

    @classmethod
    def of(cls, line: OrderLine) -> OrderLineType:
        return cls(
            line_id=line.id,
            quantity=line.quantity,
            unit_price_fen=line.unit_price_fen,
            amount_fen=line.amount_fen,
            campaign_item_id=line.campaign_item_id,
            product_id=line.product_id,
        )

    @strawberry.field
    async def campaign_item(self, info: Info) -> CampaignItemType | None:
        item = await info.context.loaders.campaign_item.load(self.campaign_item_id)
        return None if item is None else CampaignItemType.of(item)

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)

    @strawberry.field(description="Units shorted (group threshold missed, …) and refunded.")
    async def shortfalls(self, info: Info) -> list[Shortfall]:
        rows = await info.context.loaders.shortfalls.load(self.line_id)
        return [
            Shortfall(
                quantity=s.quantity, reason=s.reason, refund_fen=s.quantity * self.unit_price_fen
            )
            for s in rows
        ]


@strawberry.type(description="Cash a leader took for an order, exactly its total.")
class CashPaymentType:
    amount_fen: int
    received_at: datetime
    leader_id: strawberry.Private[int]

    @classmethod
    def of(cls, cash: CashPayment) -> CashPaymentType:
        return cls(
            amount_fen=cash.amount_fen, received_at=cash.received_at, leader_id=cash.leader_id
        )

    @strawberry.field(description="The leader holding the cash.")
    async def leader_name(self, info: Info) -> str | None:
        leader = await info.context.loaders.leader.load(self.leader_id)
        user = None if leader is None else await info.context.loaders.user.load(leader.user_id)
        return None if user is None else user.name


@strawberry.type(name="Order")
class OrderType(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="What the customer and payment provider quote.")
    status: OrderStatusEnum  # type: ignore[valid-type]
    total_fen: int
    created_at: datetime
    expires_at: datetime = strawberry.field(description="Unpaid orders expire at this time.")
    paid_at: datetime | None
    customer_id: strawberry.Private[int]
    pickup_point_id: strawberry.Private[int]
    campaign_id: strawberry.Private[int]

    @classmethod
    def of(cls, order: Order) -> OrderType:
        return cls(
            id=order.id,
            number=order.number,
            status=order.status,
            total_fen=order.total_fen,
            created_at=order.created_at,
            expires_at=order.expires_at,
            paid_at=order.paid_at,
            customer_id=order.customer_id,
            pickup_point_id=order.pickup_point_id,
            campaign_id=order.campaign_id,
        )

    @strawberry.field(description="The day the order is delivered: its campaign's.")
    async def delivery_date(self, info: Info) -> date:
        campaign = await info.context.loaders.campaign.load(self.campaign_id)
        assert campaign is not None  # the order's campaign: a foreign key
        return campaign.delivery_date

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLineType]:
        return [OrderLineType.of(ln) for ln in await info.context.loaders.order_lines.load(self.id)]

    @strawberry.field(description="The customer's name, for the leader handing goods out.")
    async def customer_name(self, info: Info) -> str | None:
        user = await info.context.loaders.user.load(self.customer_id)
        return None if user is None else user.name

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        point = await info.context.loaders.pickup_point.load(self.pickup_point_id)
        return None if point is None else PickupPointType.of(point)

    @strawberry.field
    async def campaign(self, info: Info) -> CampaignType | None:
        campaign = await info.context.loaders.campaign.load(self.campaign_id)
        return None if campaign is None else CampaignType.of(campaign)

    @strawberry.field(
        description="The code to collect the order with: for its customer (and whoever "
        "ordered for them) only, once paid; null for everyone else."
    )
    async def pickup_code(self, info: Info) -> PickupCodeType | None:
        order = await info.context.loaders.order.load(self.id)
        if order is None or order.status is not OrderStatus.PAID:
            return None
        if not can_see_pickup_code(info.context.viewer, order):
            return None
        code = await info.context.loaders.pickup_code.load(self.id)
        secret = info.context.settings.pickup_qr_secret
        return None if code is None else PickupCodeType.of(code, order.number, secret)

    @strawberry.field(description="Money booked back to the customer for it, oldest first.")
    async def refunds(
        self, info: Info
    ) -> list[Annotated[RefundType, strawberry.lazy("api.graphql.orders.refunds")]]:
        # Imported here: the Refund type points back at this module's types.
        from api.graphql.orders.refunds import RefundType

        return [RefundType.of(r) for r in await info.context.loaders.order_refunds.load(self.id)]

    @strawberry.field(
        description="The cash its pickup point's leader took for it (代下单); null otherwise."
    )
    async def cash_payment(self, info: Info) -> CashPaymentType | None:
        found = await info.context.loaders.cash_payment.load(self.id)
        return None if found is None else CashPaymentType.of(found)

    @strawberry.field(description="How its WeChat Pay payment was opened (orderPay or ordersPay).")
    async def payment_opening(self, info: Info) -> PaymentOpeningEnum:  # type: ignore[valid-type]
        return opened(await info.context.loaders.order_prepays.load(self.id)).how

    @strawberry.field(
        description="The combined payment (合单支付, ordersPay) its payment was opened in; "
        "orders with the same number are paid together. Null otherwise."
    )
    async def combined_payment_number(self, info: Info) -> str | None:
        prepays = await info.context.loaders.order_prepays.load(self.id)
        return opened(prepays).combine_out_trade_no

    @strawberry.field(description="When and how the order was collected; null until then.")
    async def pickup(self, info: Info) -> OrderPickupType | None:
        found = await info.context.loaders.order_pickup.load(self.id)
        return None if found is None else OrderPickupType.of(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[OrderType | None]:
        loaders = info.context.loaders
        orders = await loaders.order.load_many(node_db_ids(node_ids))
        points = await loaders.pickup_point.load_many(
            [o.pickup_point_id if o else -1 for o in orders]
        )
        leaders = await loaders.leader.load_many([p.leader_id if p else -1 for p in points])
        viewer = info.context.viewer
        return [
            cls.of(o) if o and can_see_order(viewer, o, leader) else None
            for o, leader in zip(orders, leaders, strict=True)
        ]


@strawberry.type
class CustomerTotal:
    customer_name: str
    customer_phone: str | None
    orders: int
    units: int
    total_fen: int


@strawberry.type
class ItemTotal:
    units: int
    total_fen: int
    campaign_item_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)

    @strawberry.field
    async def campaign_item(self, info: Info) -> CampaignItemType | None:
        item = await info.context.loaders.campaign_item.load(self.campaign_item_id)
        return None if item is None else CampaignItemType.of(item)


@strawberry.type
class PickupPointTotals:
    by_customer: list[CustomerTotal]
    by_item: list[ItemTotal]


PickupMethodEnum = strawberry.enum(
    PickupMethod,
    name="PickupMethod",
    description="CODE typed in, QR scanned, or AUTO: completed because nobody collected in time.",
)


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
