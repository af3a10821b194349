"""What a payment notification does to its order: the facts are read in one
statement, ``decide`` says what follows, and the writes are prebuilt
statements (``plan``), which payments_sqlite.py runs in one hop on SQLite.

This module is the rules' home. PostgreSQL runs the same rules as one
function, payments_postgres.sql beside it (migration 0026), one section per
piece here with the same names (facts, decide, decide_cash, plan; then the
pickup code), and the reasons word for word:
tests/fulfilment/orders/test_book_payment_sql.py holds the function to these
rules, case by case, on outcomes, reasons and rows. A change to a rule is a
change to both, and a migration.

Cash a leader takes for an order (fulfilment/orders/cash.py) is a payment
without a transaction id (``transaction_id=None``): it pays an order awaiting
payment like any other, and is refused otherwise (the leader simply does not
take the money). It leaves ``payment_transaction_id`` NULL, so a WeChat
payment arriving after it is a second payment, refunded like one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, insert, select, update
from sqlalchemy.orm import aliased

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import (
    Order,
    OrderStatus,
    PaymentNotification,
    PaymentOutcome,
    Refund,
    RefundReason,
    RefundState,
)
from fulfilment.orders.refunded import MARK_ONE

_Order2 = aliased(Order)
_orders, _notifications = Order.__table__.c, PaymentNotification.__table__.c
_refunds = Refund.__table__.c

# Built once: the evening pays thousands of orders a minute, and building these
# statements (and their cache keys) each time cost more than running them.
FACTS = (
    select(
        _orders.id,
        _orders.total_fen,
        _orders.status,
        _orders.payment_transaction_id,
        _orders.pickup_point_id,
        Campaign.delivery_date,
        # A provider's transaction pays one order; the same id for another
        # order is a forgery or a provider fault, never a payment.
        exists()
        .where(_Order2.payment_transaction_id == bindparam("tx"), _Order2.id != _orders.id)
        .label("paid_another"),
        exists()
        .where(
            _notifications.order_number == _orders.number,
            _notifications.transaction_id == bindparam("tx64"),
            _notifications.outcome == PaymentOutcome.ACCEPTED,
        )
        .label("accepted_before"),
        # Paid in cash: read from the order's own row, which the lock below
        # re-reads after waiting (a subquery on cash_payments would still
        # see the statement's older snapshot on PostgreSQL).
        and_(_orders.paid_at.is_not(None), _orders.payment_transaction_id.is_(None)).label(
            "paid_in_cash"
        ),
    )
    .join(Campaign, Campaign.id == _orders.campaign_id)
    .where(_orders.number == bindparam("number"))
)
# Notifications of one order take turns (SQLite's writers take turns anyway).
# The parity test runs the rules on PostgreSQL with it, as the function reads.
FACTS_LOCKED = FACTS.with_for_update(of=Order.__table__)

MARK_PAID = (
    update(Order)
    .where(_orders.id == bindparam("order_id"))
    .values(
        status=bindparam("status", type_=_orders.status.type),
        paid_at=bindparam("paid_at", type_=_orders.paid_at.type),
        payment_transaction_id=bindparam("tx", type_=_orders.payment_transaction_id.type),
    )
)
# Every accepted payment is money received, whatever becomes of it: the
# database caps the order's refunds at it (refund_cap.py).
RECEIVE = (
    update(Order)
    .where(_orders.id == bindparam("order_id"))
    .values(paid_fen=_orders.paid_fen + bindparam("amount_fen", type_=_orders.paid_fen.type))
)
REFUND = insert(Refund).values(
    {
        name: bindparam(name, type_=_refunds[name].type)
        for name in ("order_id", "amount_fen", "reason", "created_at", "transaction_id")
    }
    # Named: the prepared statements run below SQLAlchemy's default handling.
    | {"state": RefundState.PENDING, "resend_no": 0, "attempts": 0}
)
NOTIFICATION = insert(PaymentNotification).values(
    {
        name: bindparam(name, type_=_notifications[name].type)
        for name in (
            "order_number",
            "transaction_id",
            "amount_fen",
            "outcome",
            "reason",
            "received_at",
        )
    }
)


@dataclass(frozen=True)
class OrderFacts:
    """The order a notification names, as FACTS reads it."""

    order_id: int
    total_fen: int
    status: OrderStatus
    payment_transaction_id: str | None
    pickup_point_id: int
    delivery_date: date
    paid_another: bool
    accepted_before: bool
    paid_in_cash: bool


@dataclass(frozen=True)
class Decision:
    outcome: PaymentOutcome
    reason: str | None = None
    # The order's status once paid: PAID, or the closed status it keeps
    # until its refund makes it REFUNDED (``plan``).
    mark_paid: OrderStatus | None = None
    issue_code: bool = False
    refund: RefundReason | None = None


def decide(facts: OrderFacts | None, amount_fen: int, transaction_id: str | None) -> Decision:
    """What one authenticated notification does (``transaction_id`` None:
    cash, ``decide_cash``). Replays are harmless; money that arrives for a
    closed order, or twice, goes back as a refund."""
    if facts is None:
        return Decision(PaymentOutcome.REJECTED, "unknown order")
    if amount_fen != facts.total_fen:
        return Decision(
            PaymentOutcome.REJECTED,
            f"amount {amount_fen} fen does not match the order total {facts.total_fen} fen",
        )
    if transaction_id is None:
        return decide_cash(facts)
    if facts.paid_another:
        return Decision(PaymentOutcome.REJECTED, "transaction already paid another order")
    if facts.payment_transaction_id == transaction_id or facts.accepted_before:
        # Also a retried notification of a second payment, already refunded.
        return Decision(PaymentOutcome.DUPLICATE, "already recorded")
    if facts.payment_transaction_id is not None or facts.paid_in_cash:
        return Decision(
            PaymentOutcome.ACCEPTED,
            "second payment for one order; refunded",
            refund=RefundReason.DOUBLE_PAYMENT,
        )
    if facts.status is OrderStatus.PENDING_PAYMENT:
        # In the same transaction: no paid order is ever without its code.
        return Decision(PaymentOutcome.ACCEPTED, mark_paid=OrderStatus.PAID, issue_code=True)
    # Cancelled or expired before the money arrived: it goes back, whole, and
    # the order then reads REFUNDED with its paid_at (``plan``).
    return Decision(
        PaymentOutcome.ACCEPTED,
        f"paid after the order was {facts.status.value}; refunded",
        mark_paid=facts.status,
        refund=RefundReason.PAID_AFTER_CLOSE,
    )


def decide_cash(facts: OrderFacts) -> Decision:
    """Cash pays only an order still awaiting payment: for any other the
    leader does not take the money, so there is nothing to give back."""
    if facts.status is OrderStatus.PENDING_PAYMENT and not facts.paid_in_cash:
        return Decision(PaymentOutcome.ACCEPTED, mark_paid=OrderStatus.PAID, issue_code=True)
    return Decision(PaymentOutcome.REJECTED, f"the order is {facts.status.value}")


# A prebuilt statement and its parameters.
Write = tuple[Any, dict[str, Any]]


def plan(
    facts: OrderFacts | None,
    *,
    number: str,
    amount_fen: int,
    transaction_id: str | None,
    now: datetime,
) -> tuple[Decision, list[Write]]:
    """What the notification does (``decide``) and the rows that writes, but
    for the pickup code (drawn until a free one is found): the order marked
    paid, the refund and the order's status after it, and always the
    notification itself (not for cash: its record is cash.py's row)."""
    decision = decide(facts, amount_fen, transaction_id)
    planned: list[Write] = []
    if facts is not None and decision.outcome is PaymentOutcome.ACCEPTED:
        planned.append((RECEIVE, dict(order_id=facts.order_id, amount_fen=amount_fen)))
    if facts is not None and decision.mark_paid is not None:
        planned.append(
            (
                MARK_PAID,
                dict(
                    order_id=facts.order_id,
                    status=decision.mark_paid,
                    paid_at=now,
                    tx=transaction_id,
                ),
            )
        )
    if facts is not None and decision.refund is not None:
        assert transaction_id is not None  # decide_cash never refunds
        planned.append(
            (
                REFUND,
                dict(
                    order_id=facts.order_id,
                    amount_fen=facts.total_fen,
                    reason=decision.refund,
                    created_at=now,
                    # This payment goes back, not the order's own.
                    transaction_id=transaction_id[:64],
                ),
            )
        )
        # After every refund, the one rule (refunded.py): a late payment,
        # refunded whole, reads REFUNDED; a second payment's refund leaves
        # the order as it was.
        planned.append((MARK_ONE, dict(order_id=facts.order_id)))
    if transaction_id is None:
        return decision, planned
    notification = dict(
        order_number=number[:64],
        transaction_id=transaction_id[:64],
        amount_fen=amount_fen,
        outcome=decision.outcome,
        reason=decision.reason,
        received_at=now,
    )
    planned.append((NOTIFICATION, notification))
    return decision, planned
