"""Cash for 代下单: a leader marks a resident's order paid in cash.

Only the leader of the order's pickup point, only for an order awaiting
payment whose payment window is still open, and for exactly its total. The
order is booked paid by the one paying code path (``record_payment`` with no
transaction id, payment_rules.py): PAID, ``paid_at``, ``paid_fen`` raised,
its pickup code, in the caller's transaction, with the ``cash_payments`` row
(who holds the cash, who recorded it, when, how much) and the leader's
CASH_HELD ledger entry (leaders/commission/cash.py). The order keeps
``payment_transaction_id`` NULL: its refunds are handed back by the leader
in cash, never sent to WeChat Pay (refund_sending.py), and
``book_cash_returns`` counts them off the cash the leader holds.

A WeChat notification and a cash marking racing for one order take turns on
the order's row lock: the first wins; cash after WeChat is refused
(NOT_PAYABLE), WeChat after cash is a second payment and refunded
(DOUBLE_PAYMENT, to WeChat Pay: that refund names its transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import (
    CashPayment,
    Order,
    OrderStatus,
    PaymentOutcome,
    PaymentPrepay,
    Refund,
    RefundState,
)
from fulfilment.orders.payments import record_payment
from kernel.accounts import Role, User
from kernel.errors import DomainError, NotFound
from leaders.commission.cash import CashReturn, hold_cash, return_cash
from leaders.commission.models import EntryKind, LedgerEntry
from leaders.points.models import Leader, PickupPoint

FIELD = ["orderId"]


def _not_payable(message: str) -> DomainError:
    return DomainError(OrderErrorCode.NOT_PAYABLE, message, FIELD)


async def _leader_of_point(session: AsyncSession, order: Order) -> Leader | None:
    return (
        await session.execute(
            select(Leader)
            .join(PickupPoint, PickupPoint.leader_id == Leader.id)
            .where(PickupPoint.id == order.pickup_point_id)
        )
    ).scalar_one_or_none()


async def _check(
    session: AsyncSession, order_id: int, by: User, now: datetime
) -> tuple[Order, int]:
    """The order and the leader's id, or the error that refuses the marking.
    Another leader's order is reported as not found: they may not see it."""
    order = await session.get(Order, order_id)
    leader = None if order is None else await _leader_of_point(session, order)
    if order is None or leader is None or by.role is not Role.LEADER or leader.user_id != by.id:
        raise NotFound("Order", FIELD)
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise _not_payable(f"The order is {order.status.value}; only an unpaid order takes cash.")
    if order.expires_at <= now:
        # The expiry job may not have run yet; its window is closed all the same.
        raise _not_payable("The order's payment window has passed.")
    return order, leader.id


async def mark_paid_in_cash(
    session: AsyncSession, order_id: int, by: User, now: datetime
) -> CashPayment:
    """Book the order paid in cash taken by ``by`` (its pickup point's
    leader), in the session's unit of work; the cash payment recorded."""
    order, leader_id = await _check(session, order_id, by, now)
    paid = await record_payment(
        session, order_number=order.number, amount_fen=order.total_fen, transaction_id=None, now=now
    )
    if paid.outcome is not PaymentOutcome.ACCEPTED:
        # Paid or closed meanwhile (a WeChat notification came first).
        raise _not_payable(f"The order could not be paid in cash: {paid.reason}.")
    cash = CashPayment(
        order_id=order.id,
        leader_id=leader_id,
        recorded_by_id=by.id,
        amount_fen=order.total_fen,
        received_at=now,
    )
    session.add(cash)
    await session.flush()
    await hold_cash(
        session,
        leader_id=leader_id,
        cash_payment_id=cash.id,
        amount_fen=cash.amount_fen,
        received_at=now,
        now=now,
    )
    # A WeChat payment opened for the order (the resident's QR code) must no
    # longer be payable: the expiry job's close step closes it at WeChat Pay
    # (a payment that landed meanwhile is booked and refunded as a second one).
    await session.execute(
        update(PaymentPrepay)
        .where(PaymentPrepay.order_id == order.id, PaymentPrepay.close_due_at.is_(None))
        .values(close_due_at=now)
        .execution_options(synchronize_session=False)
    )
    # The payment was written as rows: the loaded order must show it.
    await session.refresh(order)
    return cash


async def book_cash_returns(
    session: AsyncSession, now: datetime, refund_ids: Sequence[int] | None = None
) -> int:
    """Count refunds of cash-paid orders that went back in cash (SUCCESS,
    no WeChat transaction) off the cash their leader holds: one
    CASH_RETURNED entry each, once. ``refund_ids``: only these (the refund
    sender's batch); None: every one not yet booked. Returns how many."""
    returned = (
        select(
            CashPayment.leader_id,
            Refund.id,
            CashPayment.id,
            Refund.amount_fen,
            CashPayment.received_at,
            Refund.succeeded_at,
            Refund.created_at,
        )
        .join(CashPayment, CashPayment.order_id == Refund.order_id)
        .where(
            Refund.transaction_id.is_(None),
            Refund.state == RefundState.SUCCESS,
            ~select(LedgerEntry.id)
            .where(LedgerEntry.kind == EntryKind.CASH_RETURNED, LedgerEntry.refund_id == Refund.id)
            .exists(),
        )
    )
    if refund_ids is not None:
        returned = returned.where(Refund.id.in_(refund_ids))
    rows = (await session.execute(returned)).all()
    return await return_cash(
        session,
        [
            CashReturn(leader, refund, cash, amount, received, succeeded or created)
            for leader, refund, cash, amount, received, succeeded, created in rows
        ],
        now,
    )
