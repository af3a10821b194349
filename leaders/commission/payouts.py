"""Payouts (提现): a leader asks for part of the available (settled) balance;
an operator approves or rejects; approved payouts are exported in a batch
for the bank or WeChat Pay and then marked paid.

requested ──approve──▶ approved ──(exported in a batch, marked paid)──▶ paid
    │                      │        └─(batch sent by WeChat transfer)──▶ paid | failed
    └──────reject──────────┴─(not yet exported)─▶ rejected

The money leaves the balance when the payout is requested (a payout entry
for what reaches the leader and a fee entry), under the account's row lock,
so concurrent requests can never take more than the balance. A rejection,
or a failed transfer (leaders/commission/transfers.py), returns both by new
entries (``return_to_balance``); nothing is updated in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import User
from kernel.db import execute_counting
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.settings import Settings
from kernel.validation import clean_text
from leaders.applications.errors import LeaderErrorCode
from leaders.commission.books import GRIDS, LEADERS, Book
from leaders.commission.errors import CommissionErrorCode
from leaders.commission.ledger import LedgerWriter, lock_accounts
from leaders.commission.models import EntryKind, Payout, PayoutBatch, PayoutStatus
from leaders.commission.payout_notices import tell_payouts_paid
from leaders.points.models import Leader, PickupPoint


async def request_payout(
    session: AsyncSession,
    leader_id: int,
    amount_fen: int,
    idempotency_key: str,
    now: datetime,
    settings: Settings,
) -> Payout:
    """Take ``amount_fen`` (the fee included) from the leader's available
    balance. The same key returns the first request and changes nothing."""
    return await take_payout(
        session, LEADERS, leader_id, amount_fen, idempotency_key, now, settings
    )


def book_of(payout: Payout) -> tuple[Book, int]:
    """The book a payout's money came from, and its payee there."""
    if payout.grid_id is not None:
        return GRIDS, payout.grid_id
    assert payout.leader_id is not None
    return LEADERS, payout.leader_id


async def take_payout(
    session: AsyncSession,
    book: Book,
    payee_id: int,
    amount_fen: int,
    idempotency_key: str,
    now: datetime,
    settings: Settings,
    *,
    payee_user_id: int | None = None,
) -> Payout:
    """Take ``amount_fen`` (the fee included) from the available balance of
    ``payee_id`` in ``book``; one rule for leaders and grids. The same key
    returns the first request and changes nothing."""
    key = clean_text(idempotency_key, ["idempotencyKey"], max_len=64)
    fee = settings.payout_fee_fen
    if amount_fen < settings.payout_min_fen or amount_fen <= fee:
        raise DomainError(
            CommissionErrorCode.PAYOUT_BELOW_MINIMUM,
            f"A payout must be at least {max(settings.payout_min_fen, fee + 1)} fen.",
            ["amountFen"],
        )
    accounts = await lock_accounts(session, [payee_id], now, book)
    # Under the lock: a retry of this request has committed by now.
    earlier = (
        await session.execute(
            select(Payout).where(book.payee_of(Payout) == payee_id, Payout.idempotency_key == key)
        )
    ).scalar_one_or_none()
    if earlier is not None:
        if earlier.amount_fen != amount_fen:
            raise DomainError(
                CommonErrorCode.IDEMPOTENCY_CONFLICT,
                "This key already requested another amount.",
                ["idempotencyKey"],
            )
        return earlier
    available = accounts[payee_id].available_fen
    if amount_fen > available:
        raise DomainError(
            CommissionErrorCode.INSUFFICIENT_BALANCE,
            f"Only {max(available, 0)} fen is available for payout.",
            ["amountFen"],
            remaining=max(available, 0),
        )
    payout = Payout(
        **{book.payee: payee_id},
        payee_user_id=payee_user_id,
        idempotency_key=key,
        amount_fen=amount_fen,
        fee_fen=fee,
        transfer_fen=amount_fen - fee,
        status=PayoutStatus.REQUESTED,
        requested_at=now,
    )
    session.add(payout)
    await session.flush()
    ledger = LedgerWriter(session, accounts, now, book)
    ledger.add(payee_id, EntryKind.PAYOUT, -payout.transfer_fen, payout_id=payout.id)
    if fee:
        ledger.add(payee_id, EntryKind.FEE, -fee, payout_id=payout.id)
    await ledger.flush()
    return payout


async def _locked_payout(session: AsyncSession, payout_id: int) -> Payout:
    payout = (
        await session.execute(
            select(Payout)
            .where(Payout.id == payout_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if payout is None:
        raise NotFound("Payout", ["id"])
    return payout


def _refuse(payout: Payout, action: str) -> DomainError:
    return DomainError(
        LeaderErrorCode.INVALID_STATUS,
        f"A {payout.status.value} payout cannot be {action}.",
        ["id"],
    )


async def approve_payout(
    session: AsyncSession, payout_id: int, operator: User, now: datetime
) -> Payout:
    """Approve a requested payout for the next export."""
    payout = await _locked_payout(session, payout_id)
    if payout.status is not PayoutStatus.REQUESTED:
        raise _refuse(payout, "approved")
    payout.status = PayoutStatus.APPROVED
    payout.decided_at = now
    payout.decided_by_id = operator.id
    await session.flush()
    return payout


async def return_to_balance(session: AsyncSession, payout: Payout, now: datetime) -> None:
    """Give a payout's amount and fee back to its payee's available balance
    (a leader's or a grid's) by new entries, under the account's lock. Once
    per payout: the book's unique index on (payout, kind) refuses a second
    return."""
    book, payee = book_of(payout)
    accounts = await lock_accounts(session, [payee], now, book)
    ledger = LedgerWriter(session, accounts, now, book)
    ledger.add(payee, EntryKind.PAYOUT_RETURN, payout.transfer_fen, payout_id=payout.id)
    if payout.fee_fen:
        ledger.add(payee, EntryKind.FEE_RETURN, payout.fee_fen, payout_id=payout.id)
    await ledger.flush()


async def reject_payout(
    session: AsyncSession, payout_id: int, operator: User, reason: str, now: datetime
) -> Payout:
    """Reject a payout not yet exported; its amount and fee go back to the
    balance by new entries."""
    why = clean_text(reason, ["reason"], max_len=500, code=LeaderErrorCode.REASON_REQUIRED)
    payout = await _locked_payout(session, payout_id)
    if payout.status is PayoutStatus.REJECTED or payout.batch_id is not None:
        raise _refuse(payout, "rejected")
    await return_to_balance(session, payout, now)
    payout.status = PayoutStatus.REJECTED
    payout.reason = why
    payout.decided_at = now
    payout.decided_by_id = operator.id
    await session.flush()
    return payout


async def export_batch(session: AsyncSession, operator: User, now: datetime) -> PayoutBatch:
    """Gather every approved payout not yet exported into a new batch."""
    batch = PayoutBatch(payout_count=0, transfer_fen=0, created_by_id=operator.id, created_at=now)
    session.add(batch)
    await session.flush()
    count = await execute_counting(
        session,
        update(Payout)
        .where(Payout.status == PayoutStatus.APPROVED, Payout.batch_id.is_(None))
        .values(batch_id=batch.id)
        .execution_options(synchronize_session=False),
    )
    if count == 0:
        raise DomainError(CommissionErrorCode.NOTHING_TO_EXPORT, "No approved payout is waiting.")
    batch.payout_count = count
    batch.transfer_fen = int(
        await session.scalar(
            select(func.sum(Payout.transfer_fen)).where(Payout.batch_id == batch.id)
        )
        or 0
    )
    await session.flush()
    return batch


async def mark_batch_paid(
    session: AsyncSession, batch_id: int, operator: User, now: datetime
) -> PayoutBatch:
    """The bank has paid the batch: its payouts become paid, and their
    leaders are told."""
    batch = (
        await session.execute(
            select(PayoutBatch).where(PayoutBatch.id == batch_id).with_for_update()
        )
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound("Payout batch", ["id"])
    if batch.paid_at is not None:
        raise DomainError(LeaderErrorCode.INVALID_STATUS, "This batch is already paid.", ["id"])
    if batch.transfer_status is not None:
        # Its payouts are paid one by one as WeChat Pay reports each transfer.
        raise DomainError(
            LeaderErrorCode.INVALID_STATUS, "This batch was sent by WeChat Pay transfer.", ["id"]
        )
    batch.paid_at = now
    batch.paid_by_id = operator.id
    paid = (
        await session.execute(
            update(Payout)
            .where(Payout.batch_id == batch.id, Payout.status == PayoutStatus.APPROVED)
            .values(status=PayoutStatus.PAID, paid_at=now)
            .returning(Payout.id)
            .execution_options(synchronize_session=False)
        )
    ).scalars()
    await tell_payouts_paid(session, list(paid))
    await session.flush()
    return batch


@dataclass(frozen=True)
class BatchRow:
    """One transfer of a batch, as the bank file lists it. A grid's payout
    has no leader: its operator's name, "网格仓 <grid id>" for the point and
    the operator's phone."""

    payout_id: int
    leader_id: int | None
    leader_name: str
    pickup_point: str
    phone: str
    transfer_fen: int
    requested_at: datetime


async def batch_rows(session: AsyncSession, batch_id: int) -> Sequence[BatchRow]:
    """The transfers of a batch in payout order, leaders' and grids'."""
    rows = await session.execute(
        select(
            Payout.id,
            Payout.leader_id,
            User.name,
            func.coalesce(PickupPoint.name, "网格仓 " + cast(Payout.grid_id, String)),
            func.coalesce(PickupPoint.contact_phone, User.phone, ""),
            Payout.transfer_fen,
            Payout.requested_at,
        )
        .outerjoin(Leader, Leader.id == Payout.leader_id)
        .join(User, User.id == func.coalesce(Leader.user_id, Payout.payee_user_id))
        .outerjoin(PickupPoint, PickupPoint.leader_id == Leader.id)
        .where(Payout.batch_id == batch_id)
        .order_by(Payout.id)
    )
    return [BatchRow(*row) for row in rows]
