"""Refunds through the API: the Refund node (an order's ``refunds`` list
names it lazily), the ``refunds`` connection, scoped by role, and the
operators' ``refundRetry``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode, decode_argument, node_db_ids
from api.graphql.orders.types import OrderLineType, OrderType
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import can_see_refund, viewer_leader_id
from api.graphql.transactions import in_transaction
from fulfilment.orders.models import Refund, RefundReason, RefundState
from fulfilment.orders.refund_outcomes import retry_refund
from fulfilment.orders.refund_queries import list_refunds
from kernel.accounts import Role
from kernel.clock import utcnow

RefundReasonEnum = strawberry.enum(
    RefundReason,
    name="RefundReason",
    description="Why money went back. A whole order: CUSTOMER_CANCELLED, "
    "OPERATOR_CANCELLED, PAID_AFTER_CLOSE (paid after it was cancelled or had "
    "expired), DOUBLE_PAYMENT (a second payment, given back; the order stays paid "
    "once). Units of a line: GROUP_THRESHOLD_MISSED at cutoff, SHORTAGE from the "
    "supplier, DELIVERY_MISSING and DELIVERY_DAMAGED reported on signing, and "
    "AFTER_SALE_* for collected goods.",
)


RefundStateEnum = strawberry.enum(
    RefundState,
    name="RefundState",
    description="Where a refund's money is: PENDING (booked, not yet accepted by WeChat "
    "Pay: being sent, or waiting to try again after a failure), PROCESSING (accepted, on "
    "its way), SUCCESS (back with the payer; for an order paid in cash, handed back by "
    "the leader), ABNORMAL or CLOSED (WeChat Pay could not return it: providerReason "
    "says why; an operator retries it).",
)


@strawberry.type(
    name="Refund",
    description="Money booked back to a customer for an order. Its amount and reason "
    "never change; its state follows the money.",
)
class RefundType(relay.Node):
    id: relay.NodeID[int]
    quantity: int | None = strawberry.field(
        description="Units refunded of the line; null when the whole order was refunded."
    )
    amount_fen: int
    reason: RefundReasonEnum  # type: ignore[valid-type]
    created_at: datetime
    state: RefundStateEnum  # type: ignore[valid-type]
    provider_reason: str | None = strawberry.field(
        description="Why WeChat Pay could not return it, or why the last sending failed."
    )
    sent_at: datetime | None = strawberry.field(description="When WeChat Pay accepted it.")
    succeeded_at: datetime | None = strawberry.field(
        description="When the money was back with the payer."
    )
    order_id: strawberry.Private[int]
    order_line_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, refund: Refund) -> RefundType:
        return cls(
            id=refund.id,
            quantity=refund.quantity,
            amount_fen=refund.amount_fen,
            reason=refund.reason,
            created_at=refund.created_at,
            state=refund.state,
            provider_reason=refund.provider_reason,
            sent_at=refund.sent_at,
            succeeded_at=refund.succeeded_at,
            order_id=refund.order_id,
            order_line_id=refund.order_line_id,
        )

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        return (await OrderType.resolve_nodes(info=info, node_ids=[str(self.order_id)]))[0]

    @strawberry.field(description="The order line refunded; null for a whole order's refund.")
    async def line(self, info: Info) -> OrderLineType | None:
        if self.order_line_id is None:
            return None
        line = await info.context.loaders.order_line.load(self.order_line_id)
        return None if line is None else OrderLineType.of(line)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RefundType | None]:
        # Visible with its order: the order, its point and the point's leader
        # are loaded a batch each, however many refunds are asked for.
        loaders = info.context.loaders
        refunds = await loaders.refund.load_many(node_db_ids(node_ids))
        orders = await loaders.order.load_many([r.order_id if r else -1 for r in refunds])
        points = await loaders.pickup_point.load_many(
            [o.pickup_point_id if o else -1 for o in orders]
        )
        leaders = await loaders.leader.load_many([p.leader_id if p else -1 for p in points])
        viewer = info.context.viewer
        return [
            cls.of(r) if r and o and can_see_refund(viewer, o, leader) else None
            for r, o, leader in zip(refunds, orders, leaders, strict=True)
        ]


@strawberry.type
class RefundQuery:
    @strawberry.field(
        description="Refunds, oldest first: of your own orders (customers), of the "
        "orders at your pickup point (leaders), all (operators). orderId, "
        "pickupPointId and states narrow the list; naming another's gives an empty list."
    )
    async def refunds(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_id: strawberry.ID | None = None,
        pickup_point_id: strawberry.ID | None = None,
        states: list[RefundStateEnum] | None = None,  # type: ignore[valid-type]
    ) -> Connection[RefundType]:
        viewer = info.context.require(Role.OPERATOR, Role.LEADER, Role.CUSTOMER)
        order = None if order_id is None else decode_argument(order_id, "Order", ["orderId"])
        point = (
            None
            if pickup_point_id is None
            else decode_argument(pickup_point_id, "PickupPoint", ["pickupPointId"])
        )
        customer_id = viewer.id if viewer.role is Role.CUSTOMER else None
        leader_id = None
        if viewer.role is Role.LEADER:
            # A leader account without a leader row has no point: nothing (-1
            # matches no leader).
            leader_id = await viewer_leader_id(info) or -1
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_refunds(
                info.context.session,
                customer_id=customer_id,
                leader_id=leader_id,
                order_id=order,
                pickup_point_id=point,
                states=states,
                after_id=after_id,
                limit=limit,
            ),
            RefundType.of,
        )


@strawberry.input
class RefundRetryInput:
    refund_id: strawberry.ID


@strawberry.type
class RefundPayload:
    refund: RefundType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def refund_retry(info: Info, input: RefundRetryInput) -> RefundPayload:
    """Operators: try a refund again now (one waiting its backoff, one WeChat
    Pay is processing, or one it closed or found abnormal: sent again under
    a new refund number). The sender takes it at its next run."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Refund:
        refund_id = decode(input.refund_id, "Refund", ["refundId"])
        return await retry_refund(session, refund_id, utcnow())

    refund, errors = await in_transaction(info.context, work)
    return RefundPayload(refund=RefundType.of(refund) if refund else None, user_errors=errors)
