"""routeDriverAssign (dispatchers), routeStopArrive, routeStopHandOver
(drivers) and deliverySign (leaders)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.delivery.types import DeliveryIssueKindEnum, DeliveryReceiptType, StopDelivery
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.permissions import PLAN_READERS
from api.graphql.routing.types import RouteType
from api.graphql.transactions import in_transaction
from fulfilment.delivery.receipts import IssueReport, SignedDelivery, sign_delivery
from fulfilment.delivery.stops import Delivery, record_arrival, record_hand_over
from fulfilment.routing.drivers import assign_driver
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.notifications import gateway_from

# Dispatchers may record what a driver phones in.
DRIVER_EVENTS = (Role.DRIVER, Role.DISPATCHER)


@strawberry.input
class RouteStopEventInput:
    id: strawberry.ID = strawberry.field(description="The RouteStop's ID.")


@strawberry.type
class RouteStopEventPayload:
    delivery: StopDelivery | None
    user_errors: list[UserError]


async def _driver_event(
    info: Info,
    input: RouteStopEventInput,
    record: Callable[[AsyncSession, int, datetime, int | None], Awaitable[Delivery]],
) -> RouteStopEventPayload:
    viewer = info.context.require(*DRIVER_EVENTS)
    # A driver reports at the stops of their own routes; a dispatcher at any.
    driver_id = viewer.id if viewer.role is Role.DRIVER else None
    try:
        stop_id = decode(input.id, "RouteStop", ["id"])
    except DomainError as exc:
        return RouteStopEventPayload(delivery=None, user_errors=[user_error(exc)])
    delivery, errors = await in_transaction(
        info.context, lambda session: record(session, stop_id, utcnow(), driver_id)
    )
    return RouteStopEventPayload(
        delivery=None if delivery is None else StopDelivery.of(delivery), user_errors=errors
    )


async def route_stop_arrive(info: Info, input: RouteStopEventInput) -> RouteStopEventPayload:
    """The driver reached a stop of their route in a published plan;
    reporting it again keeps the first time."""
    return await _driver_event(info, input, record_arrival)


async def route_stop_hand_over(info: Info, input: RouteStopEventInput) -> RouteStopEventPayload:
    """The driver handed the totes over (implies arrival); reporting it again
    keeps the first time."""
    return await _driver_event(info, input, record_hand_over)


@strawberry.input
class RouteDriverAssignInput:
    route_id: strawberry.ID
    driver_id: strawberry.ID | None = strawberry.field(
        default=None, description="A DRIVER user; leave it out to take the route from its driver."
    )


@strawberry.type
class RouteDriverAssignPayload:
    route: RouteType | None
    user_errors: list[UserError]


async def route_driver_assign(
    info: Info, input: RouteDriverAssignInput
) -> RouteDriverAssignPayload:
    """The dispatcher gives a route of a published plan to a driver: from then
    on only that driver reports at its stops (dispatchers still may)."""
    info.context.require(*PLAN_READERS)
    try:
        route_id = decode(input.route_id, "Route", ["routeId"])
        driver_id = (
            None if input.driver_id is None else decode(input.driver_id, "User", ["driverId"])
        )
    except DomainError as exc:
        return RouteDriverAssignPayload(route=None, user_errors=[user_error(exc)])
    route, errors = await in_transaction(
        info.context, lambda session: assign_driver(session, route_id, driver_id)
    )
    return RouteDriverAssignPayload(
        route=None if route is None else RouteType.of(route), user_errors=errors
    )


@strawberry.input
class DeliveryIssueInput:
    product_id: strawberry.ID
    kind: DeliveryIssueKindEnum  # type: ignore[valid-type]
    quantity: int


@strawberry.input
class DeliverySignInput:
    route_stop_id: strawberry.ID | None = strawberry.field(
        default=None, description="Your stop; or leave it out and give the delivery date."
    )
    delivery_date: date | None = None
    issues: list[DeliveryIssueInput] = strawberry.field(
        default_factory=list,
        description="Units missing or damaged per product; refunded to your customers.",
    )
    note: str | None = None


@strawberry.type
class DeliverySignPayload:
    delivery: StopDelivery | None
    receipt: DeliveryReceiptType | None = strawberry.field(
        description="With the issues and the refunds each booked."
    )
    notified_customers: int = strawberry.field(
        default=0, description="Customers told their goods arrived."
    )
    user_errors: list[UserError]


def _decoded(input: DeliverySignInput) -> tuple[int | None, list[IssueReport]]:
    stop_id = (
        None
        if input.route_stop_id is None
        else decode(input.route_stop_id, "RouteStop", ["routeStopId"])
    )
    issues = [
        IssueReport(
            decode(issue.product_id, "Product", ["issues", str(index), "productId"]),
            issue.kind,
            issue.quantity,
        )
        for index, issue in enumerate(input.issues)
    ]
    return stop_id, issues


async def delivery_sign(info: Info, input: DeliverySignInput) -> DeliverySignPayload:
    """The leader signs for their pickup point's delivery (签收), once, after
    the driver arrived; missing and damaged units are refunded to the point's
    customers (latest-paid first) and the customers told the goods arrived."""
    ctx = info.context
    leader = ctx.require(Role.LEADER)
    try:
        stop_id, issues = _decoded(input)
    except DomainError as exc:
        return DeliverySignPayload(delivery=None, receipt=None, user_errors=[user_error(exc)])

    async def work(session: AsyncSession) -> SignedDelivery:
        return await sign_delivery(
            session,
            leader.id,
            route_stop_id=stop_id,
            delivery_date=input.delivery_date,
            issues=issues,
            note=input.note,
            now=utcnow(),
            gateway=gateway_from(ctx.settings),
        )

    signed, errors = await in_transaction(ctx, work)
    if signed is None:
        return DeliverySignPayload(delivery=None, receipt=None, user_errors=errors)
    return DeliverySignPayload(
        delivery=StopDelivery.of(signed.delivery, signed.issues),
        receipt=DeliveryReceiptType.of(signed.receipt, signed.issues),
        notified_customers=signed.notified,
        user_errors=[],
    )
