"""Cash held (现金代收): what a leader owes the platform for orders they were
paid in cash (代下单, fulfilment/orders/cash.py), in their commission ledger.

    cash held = cash taken − cash handed back for refunds of those orders

When: the deduction is booked when the cash is taken, as a CASH_HELD entry
(−amount) on the PENDING account, and each refund the leader hands back in
cash books a CASH_RETURNED entry (+amount) there too. Settlement then moves
them with the period's commission, like reversals: the cash of a period is
deducted in that period's statement (``Statement.cash_held_fen``) and so
from what a payout may take. Booking on PENDING rather than straight on
AVAILABLE is the choice that puts the cash on the statement next to the
commission it is netted with, in the ledger's own settlement rules (cut-offs,
one statement per entry). Until settled, the pending balance already shows
it. The available balance may go negative after a settlement (more cash held
than commission earned): the ledger already carries a negative balance
forward, and payouts are refused while it is below the amount asked.

Entries are exact fen, never updated or deleted; the unique indexes on
(cash_payment_id) and (refund_id) of these kinds book each once.

The leaders layer does not import fulfilment: the cash payment's and the
refund's ids come in as plain values, as for accruals and reversals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leaders.commission.ledger import LedgerWriter, lock_accounts
from leaders.commission.models import EntryKind, LedgerEntry, Settlement, Statement
from leaders.commission.statements import admitted, pending

CASH_KINDS = (EntryKind.CASH_HELD, EntryKind.CASH_RETURNED)


async def hold_cash(
    session: AsyncSession,
    *,
    leader_id: int,
    cash_payment_id: int,
    amount_fen: int,
    received_at: datetime,
    now: datetime,
) -> None:
    """Book cash the leader took: −``amount_fen`` on their pending balance,
    settled with the period it was taken in (``basis_at`` = when)."""
    accounts = await lock_accounts(session, [leader_id], now)
    ledger = LedgerWriter(session, accounts, now)
    ledger.add(
        leader_id,
        EntryKind.CASH_HELD,
        -amount_fen,
        basis_at=received_at,
        occurred_at=received_at,
        cash_payment_id=cash_payment_id,
    )
    await ledger.flush()


@dataclass(frozen=True)
class CashReturn:
    """A refund of a cash-paid order that the leader handed back in cash."""

    leader_id: int
    refund_id: int
    cash_payment_id: int
    amount_fen: int
    received_at: datetime  # when the cash was taken: the entry's basis
    returned_at: datetime  # when it went back: settled by the period after it


async def return_cash(session: AsyncSession, returns: Sequence[CashReturn], now: datetime) -> int:
    """Book cash handed back for refunds: +amount each, once per refund
    (a refund already booked is skipped). Returns how many were booked."""
    if not returns:
        return 0
    accounts = await lock_accounts(session, [r.leader_id for r in returns], now)
    # Read under the locks: a concurrent booking of the same refund (same
    # leader, so the same lock) has committed by now and is seen here.
    done = set(
        (
            await session.execute(
                select(LedgerEntry.refund_id).where(
                    LedgerEntry.kind == EntryKind.CASH_RETURNED,
                    LedgerEntry.refund_id.in_([r.refund_id for r in returns]),
                )
            )
        ).scalars()
    )
    ledger = LedgerWriter(session, accounts, now)
    for item in sorted(returns, key=lambda r: r.refund_id):
        if item.refund_id in done:
            continue
        done.add(item.refund_id)
        ledger.add(
            item.leader_id,
            EntryKind.CASH_RETURNED,
            item.amount_fen,
            basis_at=item.received_at,
            occurred_at=item.returned_at,
            refund_id=item.refund_id,
            cash_payment_id=item.cash_payment_id,
        )
    return await ledger.flush()


async def unsettled_cash_fen(session: AsyncSession, leader_id: int) -> int:
    """Cash the leader holds that no statement has deducted yet (>= 0 as a
    rule): their cash entries not admitted by their newest statement."""
    newest = (
        select(Statement.through_entry_id, Settlement.picked_up_before, Settlement.refunded_before)
        .join(Settlement, Settlement.id == Statement.settlement_id)
        .where(Statement.leader_id == leader_id)
        .order_by(Statement.settlement_id.desc())
        .limit(1)
    )
    last = (await session.execute(newest)).one_or_none()
    entry = LedgerEntry
    conditions = [entry.leader_id == leader_id, entry.kind.in_(CASH_KINDS), pending(entry)]
    if last is not None:
        conditions.append(~admitted(entry, *last))
    total = await session.scalar(
        select(func.coalesce(func.sum(entry.amount_fen), 0)).where(*conditions)
    )
    return -int(total or 0)
