"""Goodwill compensation (补偿): an operator gives a customer money back for
an order, with a reason, within a limit per order.

It is booked as a refund like any other (reason GOODWILL, PENDING), so the
sender returns it through WeChat Pay, or the leader hands it back for an
order paid in cash (refund_sending.py), and the database's cap holds it to
what was paid (refund_cap.py). The mutation's audit event records who gave
it and why.

The limit is ``goodwill_limit_fen`` per order, every goodwill refund of the
order counted (so it cannot be stepped around by giving twice). The platform
has one operator role, so one limit; a finer hierarchy (team leads with a
higher limit) would map roles to limits here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Order, Refund, RefundReason
from fulfilment.orders.refunded import mark_refunded
from kernel.accounts import Role, User
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.validation import clean_text

REASON_MAX = 500


async def compensate(
    session: AsyncSession,
    order_id: int,
    amount_fen: int,
    reason_text: str,
    operator: User,
    now: datetime,
    *,
    limit_fen: int,
) -> Refund:
    """Book ``amount_fen`` back to the order's customer as a GOODWILL refund
    by ``operator``. Refused (nothing booked) when the reason is blank, the
    amount not positive, past what is left of the payment, or past
    ``limit_fen`` with the order's earlier goodwill counted."""
    if operator.role is not Role.OPERATOR:
        # The API checks the role first; this keeps the domain honest too.
        raise NotFound("Order", ["orderId"])
    # Checked here, kept by the audit event: the mutation's input, reason
    # included, is written with the refund in the same transaction.
    clean_text(reason_text, ["reason"], max_len=REASON_MAX, code=OrderErrorCode.REASON_REQUIRED)
    if amount_fen <= 0:
        raise DomainError(CommonErrorCode.INVALID, "Give a positive amount in fen.", ["amountFen"])
    # Locked: two operators compensating one order take turns, so the limit
    # and what is left are read after the other's refund.
    order = (
        await session.execute(select(Order).where(Order.id == order_id).with_for_update())
    ).scalar_one_or_none()
    if order is None:
        raise NotFound("Order", ["orderId"])
    left = order.paid_fen - order.refunded_fen
    if amount_fen > left:
        raise DomainError(
            OrderErrorCode.REFUND_EXCEEDS_PAID,
            f"Only {max(left, 0)} fen of what was paid is left to give back.",
            ["amountFen"],
            remaining=max(left, 0),
        )
    given = await _goodwill_fen(session, order.id)
    if given + amount_fen > limit_fen:
        allowed = max(limit_fen - given, 0)
        raise DomainError(
            OrderErrorCode.COMPENSATION_OVER_LIMIT,
            f"At most {limit_fen} fen of goodwill per order; {allowed} more allowed.",
            ["amountFen"],
            remaining=allowed,
        )
    refund = Refund(
        order_id=order.id,
        amount_fen=amount_fen,
        reason=RefundReason.GOODWILL,
        created_by_id=operator.id,
        created_at=now,
    )
    session.add(refund)
    await session.flush()
    # Goodwill that brings the refunds up to the total leaves nothing to
    # collect: the order reads REFUNDED by the one rule (refunded.py).
    await mark_refunded(session, [order.id])
    await session.refresh(refund)
    return refund


async def _goodwill_fen(session: AsyncSession, order_id: int) -> int:
    """Goodwill already given on the order (refunds are indexed by order)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.order_id == order_id, Refund.reason == RefundReason.GOODWILL
        )
    )
    return int(total or 0)
