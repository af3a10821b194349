"""afterSaleRequest (customers), afterSaleApprove and afterSaleReject
(operators)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.after_sale.types import (
    AfterSaleReasonEnum,
    AfterSaleRequestType,
    SupplierChargebackType,
)
from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.transactions import in_transaction
from fulfilment.after_sale.models import AfterSaleRequest
from fulfilment.after_sale.requests import (
    Decision,
    approve_after_sale,
    reject_after_sale,
    request_after_sale,
)
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError


@strawberry.input
class AfterSaleRequestInput:
    order_id: strawberry.ID
    product_id: strawberry.ID = strawberry.field(description="Which line of the order.")
    quantity: int
    reason: AfterSaleReasonEnum  # type: ignore[valid-type]
    note: str | None = None
    photo_urls: list[str] | None = strawberry.field(
        default=None, description="Photos of what went wrong, by URL (at most ten)."
    )


@strawberry.type
class AfterSaleRequestPayload:
    after_sale_request: AfterSaleRequestType | None
    chargeback: SupplierChargebackType | None = strawberry.field(
        default=None, description="Approving a quality request: what the supplier is charged."
    )
    reversed_commission_fen: int = strawberry.field(
        default=0, description="Approving: the leader's commission taken back."
    )
    user_errors: list[UserError]


async def after_sale_request(info: Info, input: AfterSaleRequestInput) -> AfterSaleRequestPayload:
    """A customer asks for units of a collected line back, within the
    after-sale window; an operator decides."""
    ctx = info.context
    customer = ctx.require(Role.CUSTOMER, Role.LEADER)
    try:
        order_id = decode(input.order_id, "Order", ["orderId"])
        product_id = decode(input.product_id, "Product", ["productId"])
    except DomainError as exc:
        return AfterSaleRequestPayload(after_sale_request=None, user_errors=[user_error(exc)])

    async def work(session: AsyncSession) -> AfterSaleRequest:
        return await request_after_sale(
            session,
            customer.id,
            order_id=order_id,
            product_id=product_id,
            quantity=input.quantity,
            reason=input.reason,
            note=input.note,
            now=utcnow(),
            window=timedelta(hours=ctx.settings.after_sale_window_hours),
            photo_urls=input.photo_urls or (),
        )

    request, errors = await in_transaction(ctx, work)
    return AfterSaleRequestPayload(
        after_sale_request=None if request is None else AfterSaleRequestType.of(request),
        user_errors=errors,
    )


@strawberry.input
class AfterSaleApproveInput:
    id: strawberry.ID


@strawberry.input
class AfterSaleRejectInput:
    id: strawberry.ID
    reason: str


async def _decide(
    info: Info, raw_id: strawberry.ID, decide: Callable[[AsyncSession, int], Awaitable[Decision]]
) -> AfterSaleRequestPayload:
    try:
        request_id = decode(raw_id, "AfterSaleRequest", ["id"])
    except DomainError as exc:
        return AfterSaleRequestPayload(after_sale_request=None, user_errors=[user_error(exc)])
    decision, errors = await in_transaction(info.context, lambda s: decide(s, request_id))
    if decision is None:
        return AfterSaleRequestPayload(after_sale_request=None, user_errors=errors)
    return AfterSaleRequestPayload(
        after_sale_request=AfterSaleRequestType.of(decision.request),
        chargeback=None
        if decision.chargeback is None
        else SupplierChargebackType.of(decision.chargeback),
        reversed_commission_fen=decision.reversed_fen,
        user_errors=[],
    )


async def after_sale_approve(info: Info, input: AfterSaleApproveInput) -> AfterSaleRequestPayload:
    """An operator approves: the units are refunded at the line's price, the
    leader's commission on them reversed, quality problems charged back to
    the supplier."""
    operator = info.context.require(Role.OPERATOR)
    return await _decide(
        info,
        input.id,
        lambda session, request_id: approve_after_sale(
            session, request_id, decided_by_id=operator.id, now=utcnow()
        ),
    )


async def after_sale_reject(info: Info, input: AfterSaleRejectInput) -> AfterSaleRequestPayload:
    """An operator turns a request down, saying why (the customer sees it)."""
    operator = info.context.require(Role.OPERATOR)
    return await _decide(
        info,
        input.id,
        lambda session, request_id: reject_after_sale(
            session, request_id, operator_id=operator.id, reason=input.reason, now=utcnow()
        ),
    )
