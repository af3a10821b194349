"""Supplier pay batches (供应商付款批次): approved statements gathered into
one file for the bank, then marked paid when the bank has paid them.

A statement enters one batch only; marking the batch paid makes its
statements PAID and books a payment entry (minus the payable) for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Supplier
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.ledger import book
from fulfilment.supplier_settlement.models import (
    EntryKind,
    StatementState,
    SupplierBankAccount,
    SupplierPayBatch,
    SupplierStatement,
)
from kernel.accounts import User
from kernel.errors import DomainError, NotFound


async def create_batch(
    session: AsyncSession,
    operator: User,
    now: datetime,
    statement_ids: Sequence[int] | None = None,
) -> SupplierPayBatch:
    """Gather approved statements not yet in a batch (those named, or all)."""
    query = (
        select(SupplierStatement)
        .where(
            SupplierStatement.state == StatementState.APPROVED,
            SupplierStatement.batch_id.is_(None),
        )
        .order_by(SupplierStatement.id)
        .with_for_update()
    )
    if statement_ids is not None:
        query = query.where(SupplierStatement.id.in_(statement_ids))
    statements = list((await session.execute(query)).scalars())
    if statement_ids is not None and len(statements) != len(set(statement_ids)):
        raise DomainError(
            Code.NO_STATEMENT_TO_PAY,
            "Every statement named must be approved and in no batch yet.",
            ["statementIds"],
        )
    if not statements:
        raise DomainError(Code.NO_STATEMENT_TO_PAY, "No approved statement is waiting.")
    suppliers = {s.supplier_id for s in statements}
    known = set(
        (
            await session.execute(
                select(SupplierBankAccount.supplier_id).where(
                    SupplierBankAccount.supplier_id.in_(suppliers)
                )
            )
        ).scalars()
    )
    if suppliers - known:
        # The bank cannot pay a supplier it has no account for.
        raise DomainError(
            Code.BANK_ACCOUNT_MISSING,
            f"No bank account for supplier(s) {sorted(suppliers - known)}; set them first.",
            ["statementIds"],
            remaining=len(suppliers - known),
        )
    batch = SupplierPayBatch(
        statement_count=len(statements),
        total_fen=sum(s.payable_fen or 0 for s in statements),
        created_by_id=operator.id,
        created_at=now,
    )
    session.add(batch)
    await session.flush()
    for statement in statements:
        statement.batch_id = batch.id
    await session.flush()
    return batch


async def mark_batch_paid(
    session: AsyncSession, batch_id: int, operator: User, now: datetime
) -> SupplierPayBatch:
    """The bank paid the batch: its statements are PAID."""
    batch = (
        await session.execute(
            select(SupplierPayBatch).where(SupplierPayBatch.id == batch_id).with_for_update()
        )
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound("Supplier pay batch", ["id"])
    if batch.paid_at is not None:
        raise DomainError(Code.BATCH_ALREADY_PAID, "This batch is already paid.", ["id"])
    batch.paid_at = now
    batch.paid_by_id = operator.id
    statements = (
        await session.execute(
            select(SupplierStatement)
            .where(SupplierStatement.batch_id == batch.id)
            .order_by(SupplierStatement.id)
            .with_for_update()
        )
    ).scalars()
    for statement in statements:
        statement.state = StatementState.PAID
        statement.paid_at = now
        await book(
            session,
            statement,
            EntryKind.PAYMENT,
            -(statement.payable_fen or 0),
            by_id=operator.id,
            now=now,
        )
    await session.flush()
    return batch


@dataclass(frozen=True)
class BatchRow:
    """One transfer of a batch, as the bank file lists it."""

    statement_id: int
    supplier_id: int
    supplier: str
    contact_name: str
    contact_phone: str
    period_start: date
    period_end: date
    payable_fen: int
    account_name: str
    bank_name: str
    account_number: str


async def batch_rows(session: AsyncSession, batch_id: int) -> list[BatchRow]:
    """The batch's statements in statement order."""
    rows = await session.execute(
        select(
            SupplierStatement.id,
            Supplier.id,
            Supplier.name,
            Supplier.contact_name,
            Supplier.contact_phone,
            SupplierStatement.period_start,
            SupplierStatement.period_end,
            SupplierStatement.payable_fen,
            SupplierBankAccount.account_name,
            SupplierBankAccount.bank_name,
            SupplierBankAccount.account_number,
        )
        .join(Supplier, Supplier.id == SupplierStatement.supplier_id)
        .outerjoin(
            SupplierBankAccount, SupplierBankAccount.supplier_id == SupplierStatement.supplier_id
        )
        .where(SupplierStatement.batch_id == batch_id)
        .order_by(SupplierStatement.id)
    )
    return [
        BatchRow(*row[:7], int(row[7] or 0), row[8] or "", row[9] or "", row[10] or "")
        for row in rows
    ]
