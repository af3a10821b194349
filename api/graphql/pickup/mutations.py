"""pickupHelperAdd, pickupHelperRemove (leaders), pickupHelperApprove and
pickupHelperReject (operators), and pickupVerify (leaders and helpers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.orders.types import OrderPickupType, OrderType
from api.graphql.pickup.types import PickupHelperType
from api.graphql.transactions import in_transaction
from fulfilment.pickup.rules import PickupRules
from fulfilment.pickup.verification import Verified, WrongCode, verify_pickup
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError
from leaders.points import helpers as pickup_helpers
from leaders.points.models import PickupHelper


@strawberry.input
class PickupHelperAddInput:
    phone: str | None = strawberry.field(default=None, description="The helper's phone; or:")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The helper's customer account."
    )


@strawberry.input
class PickupHelperIdInput:
    id: strawberry.ID


@strawberry.input
class PickupHelperRejectInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class PickupHelperPayload:
    helper: PickupHelperType | None
    user_errors: list[UserError]


async def _helper_change(
    info: Info, work: Callable[[AsyncSession], Awaitable[PickupHelper]]
) -> PickupHelperPayload:
    helper, errors = await in_transaction(info.context, work)
    return PickupHelperPayload(
        helper=None if helper is None else PickupHelperType.of(helper), user_errors=errors
    )


async def pickup_helper_add(info: Info, input: PickupHelperAddInput) -> PickupHelperPayload:
    """A leader registers a helper at their pickup point (by phone or
    account); the helper verifies codes once an operator approved."""
    leader = info.context.require(Role.LEADER)
    try:
        user_id = None if input.user_id is None else decode(input.user_id, "User", ["userId"])
    except DomainError as exc:
        return PickupHelperPayload(helper=None, user_errors=[user_error(exc)])
    return await _helper_change(
        info,
        lambda session: pickup_helpers.add_helper(
            session, leader.id, phone=input.phone, user_id=user_id, now=utcnow()
        ),
    )


async def _on_helper(
    info: Info,
    raw_id: strawberry.ID,
    change: Callable[[AsyncSession, int], Awaitable[PickupHelper]],
) -> PickupHelperPayload:
    try:
        helper_id = decode(raw_id, "PickupHelper", ["id"])
    except DomainError as exc:
        return PickupHelperPayload(helper=None, user_errors=[user_error(exc)])
    return await _helper_change(info, lambda session: change(session, helper_id))


async def pickup_helper_approve(info: Info, input: PickupHelperIdInput) -> PickupHelperPayload:
    """An operator approves a pending helper."""
    operator = info.context.require(Role.OPERATOR)
    return await _on_helper(
        info,
        input.id,
        lambda session, helper_id: pickup_helpers.approve_helper(
            session, helper_id, operator.id, utcnow()
        ),
    )


async def pickup_helper_reject(info: Info, input: PickupHelperRejectInput) -> PickupHelperPayload:
    """An operator turns a pending helper down, saying why."""
    operator = info.context.require(Role.OPERATOR)
    return await _on_helper(
        info,
        input.id,
        lambda session, helper_id: pickup_helpers.reject_helper(
            session, helper_id, operator.id, input.reason, utcnow()
        ),
    )


async def pickup_helper_remove(info: Info, input: PickupHelperIdInput) -> PickupHelperPayload:
    """A leader ends a helper's registration at their point, at once."""
    leader = info.context.require(Role.LEADER)
    return await _on_helper(
        info,
        input.id,
        lambda session, helper_id: pickup_helpers.remove_helper(
            session, helper_id, leader.id, utcnow()
        ),
    )


@strawberry.input
class PickupVerifyInput:
    code: str | None = strawberry.field(
        default=None, description="The six digits the customer shows; or:"
    )
    qr_payload: str | None = strawberry.field(
        default=None, description="What the customer's QR code carries, as scanned."
    )
    delivery_date: date | None = strawberry.field(
        default=None,
        description="The code's delivery date; leave out to search the days still open.",
    )


@strawberry.type
class PickupVerifyPayload:
    order: OrderType | None = strawberry.field(description="The order to hand out.")
    pickup: OrderPickupType | None = strawberry.field(
        description="The collection, with what each line hands out."
    )
    already_picked_up: bool = strawberry.field(
        default=False,
        description="The order was collected before; pickup says when. Nothing changed.",
    )
    attempts_left: int | None = strawberry.field(
        default=None, description="After a wrong code: how many more before a lockout."
    )
    user_errors: list[UserError]


async def pickup_verify(info: Info, input: PickupVerifyInput) -> PickupVerifyPayload:
    """A pickup point's leader or approved helper verifies a customer's code
    (or QR) at their own point; the order is collected and the leader's
    commission accrued. Verifying again is harmless and says so; wrong codes
    count towards a lockout."""
    ctx = info.context
    verifier = ctx.require(Role.LEADER, Role.CUSTOMER)

    async def work(session: AsyncSession) -> Verified | WrongCode:
        return await verify_pickup(
            session,
            verifier.id,
            code=input.code,
            qr_payload=input.qr_payload,
            delivery_date=input.delivery_date,
            now=utcnow(),
            rules=PickupRules.of(ctx.settings),
        )

    result, errors = await in_transaction(ctx, work)
    if isinstance(result, WrongCode):
        # Committed: the wrong code counts, whatever the client does next.
        return PickupVerifyPayload(
            order=None,
            pickup=None,
            attempts_left=result.attempts_left,
            user_errors=[user_error(result.error)],
        )
    if result is None:
        return PickupVerifyPayload(order=None, pickup=None, user_errors=errors)
    return PickupVerifyPayload(
        order=OrderType.of(result.pickup.order),
        pickup=OrderPickupType.with_lines(result.pickup),
        already_picked_up=result.already_picked_up,
        user_errors=[],
    )
