"""orderCreate, orderCancel, paymentSimulate (the sandbox's pay-now button)."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError, forbidden
from api.graphql.ids import decode
from api.graphql.orders.sandbox_pay import is_sandbox, sandbox_pays
from api.graphql.orders.types import OrderType
from api.graphql.permissions import can_see_order
from api.graphql.transactions import Unit, in_plain_transaction, in_transaction
from api.wechatpay_client import app_wechatpay
from fulfilment.orders.cancelling import cancel_order
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Order
from fulfilment.orders.placing import LineRequest, OrderRequest, PlacedOrder, place_order
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.errors import DomainError, NotFound
from kernel.metrics import count_order_placed
from leaders.points.customers import customer_by_phone
from leaders.points.models import Leader, PickupPoint


@strawberry.input
class OrderLineInput:
    campaign_item_id: strawberry.ID
    quantity: int


@strawberry.input
class OrderCreateInput:
    pickup_point_id: strawberry.ID
    lines: list[OrderLineInput]
    idempotency_key: str = strawberry.field(
        description="Retrying with the same key returns the first order and creates nothing."
    )
    customer_phone: str | None = strawberry.field(
        default=None, description="Leaders ordering for a resident (代下单): their phone."
    )
    customer_name: str | None = None


@strawberry.type
class OrderPayload:
    order: OrderType | None
    user_errors: list[UserError]


async def _resident(
    session: AsyncSession, viewer: User, input: OrderCreateInput, point_id: int
) -> User:
    """The resident a leader orders for (代下单), by ``input.customer_phone``."""
    assert input.customer_phone is not None
    if viewer.role is not Role.LEADER:
        raise DomainError(
            OrderErrorCode.NOT_A_CUSTOMER,
            "Only leaders order on behalf of residents.",
            ["customerPhone"],
        )
    point = await session.get(PickupPoint, point_id)
    leader = await session.get(Leader, point.leader_id) if point else None
    if leader is None or leader.user_id != viewer.id:
        raise NotFound("Pickup point", ["pickupPointId"])
    resident = await customer_by_phone(session, input.customer_phone, input.customer_name)
    if resident.role not in (Role.CUSTOMER, Role.LEADER):
        raise DomainError(
            OrderErrorCode.NOT_A_CUSTOMER,
            "That phone number is not a resident's.",
            ["customerPhone"],
        )
    return resident


async def order_create(info: Info, input: OrderCreateInput) -> OrderPayload:
    ctx = info.context
    viewer = ctx.require(Role.CUSTOMER, Role.LEADER)

    async def work(db: Unit) -> PlacedOrder:
        point_id = decode(input.pickup_point_id, "PickupPoint", ["pickupPointId"])
        lines = [
            LineRequest(
                decode(ln.campaign_item_id, "CampaignItem", ["lines", str(i), "campaignItemId"]),
                ln.quantity,
            )
            for i, ln in enumerate(input.lines)
        ]
        customer = viewer
        if input.customer_phone is not None:
            assert isinstance(db, AsyncSession)  # in_transaction, below
            customer = await _resident(db, viewer, input, point_id)
        request = OrderRequest(customer, viewer, point_id, lines, input.idempotency_key)
        return await place_order(
            db,
            request,
            now=utcnow(),
            zone=ctx.settings.zone,
            payment_window=timedelta(minutes=ctx.settings.payment_window_minutes),
        )

    # A leader ordering for a resident looks the resident up through the ORM;
    # a customer's own order, the evening rush, needs no session.
    if input.customer_phone is None:
        placed, errors = await in_plain_transaction(ctx, work)
    else:
        placed, errors = await in_transaction(ctx, work)
    if placed is not None and not placed.replayed:
        count_order_placed()  # committed by now
    return OrderPayload(order=OrderType.of(placed.order) if placed else None, user_errors=errors)


@strawberry.input
class OrderIdInput:
    id: strawberry.ID


async def order_cancel(info: Info, input: OrderIdInput) -> OrderPayload:
    viewer = info.context.require(Role.CUSTOMER, Role.LEADER, Role.OPERATOR)

    async def work(session: AsyncSession) -> Order:
        order_id = decode(input.id, "Order", ["id"])
        return await cancel_order(session, order_id, viewer, now=utcnow())

    order, errors = await in_transaction(info.context, work)
    return OrderPayload(order=OrderType.of(order) if order else None, user_errors=errors)


async def payment_simulate(info: Info, input: OrderIdInput) -> OrderPayload:
    """Development: the WeChat Pay sandbox's "pay now" button. The order's
    Native prepay is opened through orderPay's own steps (if it has none),
    the sandbox's payer pays it (``POST /sandbox/pay/{number}``), and the
    answer waits, a few seconds at most, for the sandbox's notification to
    book it through ``/payments/wechatpay/notify``: the very path a real
    payment takes. Refused (FORBIDDEN) unless ``payment_simulator`` is on
    and the configured provider is a sandbox, never WeChat Pay itself."""
    ctx = info.context
    viewer = ctx.require(Role.CUSTOMER, Role.LEADER, Role.OPERATOR)
    client = app_wechatpay(ctx.request.app.state) if ctx.request is not None else None
    if not ctx.settings.payment_simulator or client is None:
        raise forbidden()
    if not is_sandbox(client.config.base_url):
        raise forbidden()

    async def find(session: AsyncSession) -> Order:
        order = await session.get(Order, decode(input.id, "Order", ["id"]))
        point = await session.get(PickupPoint, order.pickup_point_id) if order else None
        leader = await session.get(Leader, point.leader_id) if point else None
        if order is None or not can_see_order(viewer, order, leader):
            raise NotFound("Order", ["id"])
        return order

    order, errors = await in_transaction(ctx, find)
    if order is None:
        return OrderPayload(order=None, user_errors=errors)
    errors = await sandbox_pays(ctx, client, order)
    if errors:
        return OrderPayload(order=None, user_errors=errors)
    await ctx.release_reads()
    paid = await ctx.session.get(Order, order.id)
    return OrderPayload(order=OrderType.of(paid) if paid else None, user_errors=[])
