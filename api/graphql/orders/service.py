"""The back office's order service (issue 22): operators find orders
(``orderSearch``), read an order's timeline (``orderTimeline``; an order's
customer reads their own without the internal events) and give goodwill
compensation (``orderCompensate``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError, bad_input, forbidden
from api.graphql.ids import decode, decode_argument
from api.graphql.orders.refunds import RefundType
from api.graphql.orders.types import OrderStatusEnum, OrderType
from api.graphql.pagination import Connection, paginate
from api.graphql.transactions import in_transaction
from fulfilment.back_office.timeline import EventKind, TimelineEvent, order_timeline, public
from fulfilment.orders.compensation import compensate
from fulfilment.orders.models import Order, OrderStatus, Refund
from fulfilment.orders.search import search_orders
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError, NotFound

TimelineEventKindEnum = strawberry.enum(
    EventKind,
    name="TimelineEventKind",
    description="What happened: PLACED, PAID (WeChat Pay or cash), PAYMENT_REFUSED (a "
    "callback not booked), CLOSED (cancelled or expired), SHORTAGE, REFUND (booked), "
    "REFUND_RETURNED (back with the payer), ARRIVED, DELIVERED (handed over), SIGNED "
    "(the leader's 签收), PICKED_UP, AFTER_SALE_REQUESTED, AFTER_SALE_DECIDED, "
    "COMMISSION (the leader's ledger) and AUDIT (a staff member's change).",
)


@strawberry.type(description="One event of an order's life.")
class TimelineEventType:
    kind: TimelineEventKindEnum  # type: ignore[valid-type]
    at: datetime
    detail: str
    amount_fen: int | None = strawberry.field(description="Money moved, where it moved.")
    actor_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, event: TimelineEvent) -> TimelineEventType:
        return cls(
            kind=event.kind,
            at=event.at,
            detail=event.detail,
            amount_fen=event.amount_fen,
            actor_id=event.actor_id,
        )

    @strawberry.field(description="Who acted, when known (operators only).")
    async def actor_name(self, info: Info) -> str | None:
        if self.actor_id is None:
            return None
        user = await info.context.loaders.user.load(self.actor_id)
        return None if user is None else user.name


@strawberry.input(description="Every filter given must match; none lists every order.")
class OrderSearchFilter:
    number: str | None = None
    customer_phone: str | None = strawberry.field(
        default=None, description="A mainland mobile, +86 and separators optional."
    )
    pickup_point_id: strawberry.ID | None = None
    delivery_date: date | None = None
    status: OrderStatusEnum | None = None  # type: ignore[valid-type]


@strawberry.type
class OrderServiceQuery:
    @strawberry.field(
        description="Operators: orders by number, customer phone, pickup point, delivery "
        "date and status, newest first."
    )
    async def order_search(
        self,
        info: Info,
        filter: OrderSearchFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OrderType]:
        info.context.require(Role.OPERATOR)
        given = filter or OrderSearchFilter()
        point = (
            None
            if given.pickup_point_id is None
            else decode_argument(given.pickup_point_id, "PickupPoint", ["filter", "pickupPointId"])
        )
        status: OrderStatus | None = given.status

        async def fetch(before_id: int | None, limit: int) -> list[Order]:
            return list(
                await search_orders(
                    info.context.session,
                    number=given.number,
                    customer_phone=given.customer_phone,
                    pickup_point_id=point,
                    delivery_date=given.delivery_date,
                    status=status,
                    before_id=before_id,
                    limit=limit,
                )
            )

        try:
            return await paginate(info, first, after, fetch, OrderType.of)
        except DomainError as exc:
            # A query has no userErrors: a malformed phone is a bad request.
            raise bad_input(exc.message) from exc

    @strawberry.field(
        description="An order's events, oldest first: all of them for operators; the "
        "order's customer sees their own without the platform's internal events."
    )
    async def order_timeline(self, info: Info, order_id: strawberry.ID) -> list[TimelineEventType]:
        viewer = info.context.require(Role.OPERATOR, Role.CUSTOMER, Role.LEADER)
        db_id = decode_argument(order_id, "Order", ["orderId"])
        async with info.context.loaders.lock:
            order = await info.context.session.get(Order, db_id)
            if order is None or (
                viewer.role is not Role.OPERATOR and order.customer_id != viewer.id
            ):
                # Another's order reads like a missing one for a customer.
                if viewer.role is not Role.OPERATOR and viewer.role is not Role.CUSTOMER:
                    raise forbidden()
                return []
            events = await order_timeline(info.context.session, db_id)
        if viewer.role is not Role.OPERATOR:
            events = public(events)
        return [TimelineEventType.of(e) for e in events]


@strawberry.input
class OrderCompensateInput:
    order_id: strawberry.ID
    amount_fen: int
    reason: str = strawberry.field(description="Why, for the audit log (1 to 500 characters).")


@strawberry.type
class OrderCompensatePayload:
    refund: RefundType | None = None
    order: OrderType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def order_compensate(info: Info, input: OrderCompensateInput) -> OrderCompensatePayload:
    """Operators: goodwill money back on an order, with a reason, within the
    per-order limit; booked as a GOODWILL refund (sent like any other) and
    written to the audit log with its reason."""
    operator = info.context.require(Role.OPERATOR)
    limit = info.context.settings.goodwill_limit_fen

    async def work(session: AsyncSession) -> tuple[Refund, Order]:
        order_id = decode(input.order_id, "Order", ["orderId"])
        refund = await compensate(
            session, order_id, input.amount_fen, input.reason, operator, utcnow(), limit_fen=limit
        )
        order = await session.get(Order, order_id, populate_existing=True)
        if order is None:  # locked by compensate: cannot happen
            raise NotFound("Order", ["orderId"])
        return refund, order

    done, errors = await in_transaction(info.context, work)
    if done is None:
        return OrderCompensatePayload(user_errors=errors)
    refund, order = done
    return OrderCompensatePayload(refund=RefundType.of(refund), order=OrderType.of(order))
