"""When an order reads REFUNDED: the one rule, applied in the same
transaction by every path that books refunds, right after it books them:
cutoff (missed group thresholds), shortage allocation and the leader's
delivery issues (``purchasing.shortages.short_latest_paid``), after-sale
approval, cancelling, and the payments that arrive late or twice
(``payment_rules.plan``).

The rule: the order was paid, and its refunds, less any DOUBLE_PAYMENT one,
add up to at least what it was paid (its total).

Why fen and not units: every refund has an amount, while the refunds of a
whole order (cancelled, paid after it closed) name no line and no units.
Refunds of a line are always its units × the line's unit price (cutoff,
shortages, delivery issues and after-sale all book exactly that), so on
them "the refunds cover the total" is "every unit of every line was
refunded". A DOUBLE_PAYMENT refund gives back a second payment, not this
order's money: the order is still paid once, so it does not count. "At
least" rather than "equal": an order refunded past its total (an operator
cancelling one that was partly refunded already books the whole total again)
has nothing left either.

A REFUNDED order has nothing to hand out (pickup refuses its code), and is
not in ``HOLDING``: it cannot be cancelled, and per-customer limits do not
count it. Its units are not given back to the caps here: only cancelling
refunds an order before the cutoff, and it releases them itself; the other
refunds come after the cutoff, when nothing is sold any more.
Refunds alone never set ``closed_at``: an order REFUNDED with ``closed_at``
unset was bought from its suppliers (see ``bought``); one with it set was
cancelled or expired, and its lines left the purchase orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import Order, OrderStatus, Refund, RefundReason
from kernel.db import dialect_name, execute_counting

# Order ids per statement: a statement binds at most 32767 parameters
# (asyncpg; SQLite 32766), and a shortage may refund that many orders.
_BATCH = 10_000


def refunded_in_full() -> ColumnElement[bool]:
    """The rule, of the order in the outer statement (not REFUNDED yet)."""
    # One value compared, not NOT IN: the payment paths compile this once
    # and bind positionally, which an expanding IN list does not allow.
    refunded = (
        select(func.coalesce(func.sum(Refund.amount_fen), 0))
        .where(Refund.order_id == Order.id, Refund.reason != RefundReason.DOUBLE_PAYMENT)
        .correlate(Order)
        .scalar_subquery()
    )
    return and_(
        Order.status != OrderStatus.REFUNDED,
        Order.paid_at.is_not(None),
        Order.total_fen > 0,
        refunded >= Order.total_fen,
    )


def bought() -> ColumnElement[bool]:
    """The order was paid for and never cancelled or expired: its lines were
    ordered from the suppliers, whatever was refunded on them since (a
    supplier's shortage does not revise what was ordered from it)."""
    return and_(
        or_(Order.status == OrderStatus.PAID, Order.status == OrderStatus.REFUNDED),
        Order.closed_at.is_(None),
    )


# The rule for one order, prebuilt for the payment paths (which compile their
# statements once and run them on the driver: see payment_rules.py).
MARK_ONE = (
    update(Order)
    .where(Order.id == bindparam("order_id"), refunded_in_full())
    .values(status=OrderStatus.REFUNDED)
)


async def mark_refunded(session: AsyncSession, orders: Sequence[int] | Select[Any]) -> int:
    """Apply the rule to ``orders`` (ids, or a SELECT of order ids) after
    booking refunds on them: those it now holds for read REFUNDED. Returns
    how many changed. Set-based: one statement per batch of orders."""
    if isinstance(orders, Select):
        return await _mark(session, orders)
    ids = sorted(set(orders))
    changed = 0
    for start in range(0, len(ids), _BATCH):
        changed += await _mark(session, ids[start : start + _BATCH])
    return changed


async def _mark(session: AsyncSession, orders: Sequence[int] | Select[Any]) -> int:
    due = Order.id.in_(orders), refunded_in_full()
    if dialect_name(session) == "postgresql":
        # Lock the orders to change in id order first: two transactions
        # refunding overlapping orders (two purchase orders' shortages)
        # would otherwise update them in their plans' orders and could
        # deadlock. NO KEY UPDATE, as the UPDATE itself takes: the refunds'
        # foreign keys (KEY SHARE) do not wait on it. SQLite's writers take
        # turns already.
        locked = await session.execute(
            select(Order.id).where(*due).order_by(Order.id).with_for_update(key_share=True)
        )
        if not locked.all():
            return 0
    return await execute_counting(
        session,
        update(Order)
        .where(*due)
        .values(status=OrderStatus.REFUNDED)
        .execution_options(synchronize_session=False),
    )
