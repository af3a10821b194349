"""Reading supplier statements, their lines and pay batches, page by page."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.supplier_settlement.models import (
    StatementState,
    SupplierStatement,
    SupplierStatementLine,
)
from kernel.db import keyset_page


async def list_statements(
    session: AsyncSession,
    *,
    supplier_id: int | None,
    state: StatementState | None,
    after_id: int | None,
    limit: int,
) -> Sequence[SupplierStatement]:
    """Statements in id order: one supplier's, or everyone's."""
    stmt = select(SupplierStatement)
    if supplier_id is not None:
        stmt = stmt.where(SupplierStatement.supplier_id == supplier_id)
    if state is not None:
        stmt = stmt.where(SupplierStatement.state == state)
    page = keyset_page(stmt, SupplierStatement.id, after_id, limit)
    return list((await session.execute(page)).scalars())


async def statement_lines(
    session: AsyncSession, statement_id: int, *, after_id: int | None, limit: int
) -> Sequence[SupplierStatementLine]:
    """One page of a statement's lines, in order."""
    stmt = select(SupplierStatementLine).where(SupplierStatementLine.statement_id == statement_id)
    page = keyset_page(stmt, SupplierStatementLine.id, after_id, limit)
    return list((await session.execute(page)).scalars())
