"""orderMarkPaidCash: the pickup point's leader took a resident's cash for an
order (代下单); the order is booked paid like any other, with its pickup
code, and the cash counts against the leader's settlement
(fulfilment/orders/cash.py). The audit hook records it as a leader's change."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.orders.types import CashPaymentType, OrderType
from api.graphql.transactions import in_transaction
from fulfilment.orders.cash import FIELD, mark_paid_in_cash
from fulfilment.orders.models import CashPayment, Order
from kernel.accounts import Role
from kernel.clock import utcnow


@strawberry.input
class OrderMarkPaidCashInput:
    order_id: strawberry.ID = strawberry.field(description="An unpaid order at your point.")


@strawberry.type
class OrderMarkPaidCashPayload:
    order: OrderType | None = None
    cash_payment: CashPaymentType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def order_mark_paid_cash(
    info: Info, input: OrderMarkPaidCashInput
) -> OrderMarkPaidCashPayload:
    """Mark an order paid in cash: the pickup point's leader only, an order
    awaiting payment within its payment window, for exactly its total."""
    ctx = info.context
    viewer = ctx.require(Role.LEADER)

    async def work(session: AsyncSession) -> tuple[Order, CashPayment]:
        order_id = decode(input.order_id, "Order", FIELD)
        cash = await mark_paid_in_cash(session, order_id, viewer, utcnow())
        order = await session.get(Order, order_id)
        assert order is not None  # just paid
        # The order first: the audit event names it.
        return order, cash

    done, errors = await in_transaction(ctx, work)
    if done is None:
        return OrderMarkPaidCashPayload(user_errors=errors)
    order, cash = done
    return OrderMarkPaidCashPayload(
        order=OrderType.of(order), cash_payment=CashPaymentType.of(cash)
    )
