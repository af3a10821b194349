"""Reading the commission ledger: pages in id order (keyset), for one leader
or for all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import keyset_page
from leaders.commission.grid_fee_models import GridFeeEntry, GridFeeStatement
from leaders.commission.models import (
    CategoryRate,
    LeaderLevel,
    LedgerEntry,
    Payout,
    PayoutBatch,
    PayoutStatus,
    ProductRate,
    Settlement,
    Statement,
)
from leaders.commission.statements import statement_lines_query
from leaders.points.models import Leader


async def leader_id_of_user(session: AsyncSession, user_id: int) -> int | None:
    """The leader record of a user, if any."""
    return await session.scalar(select(Leader.id).where(Leader.user_id == user_id))


async def _page(
    session: AsyncSession, stmt: Any, id_column: Any, after_id: int | None, limit: int
) -> Sequence[Any]:
    return list((await session.execute(keyset_page(stmt, id_column, after_id, limit))).scalars())


async def list_entries(
    session: AsyncSession, *, leader_id: int | None, after_id: int | None, limit: int
) -> Sequence[LedgerEntry]:
    stmt = select(LedgerEntry)
    if leader_id is not None:
        stmt = stmt.where(LedgerEntry.leader_id == leader_id)
    return await _page(session, stmt, LedgerEntry.id, after_id, limit)


async def list_statements(
    session: AsyncSession, *, leader_id: int | None, after_id: int | None, limit: int
) -> Sequence[Statement]:
    stmt = select(Statement)
    if leader_id is not None:
        stmt = stmt.where(Statement.leader_id == leader_id)
    return await _page(session, stmt, Statement.id, after_id, limit)


async def statement_lines(
    session: AsyncSession, statement: Statement, *, after_id: int | None, limit: int
) -> Sequence[LedgerEntry]:
    """The entries a statement settled, a page in id order."""
    settlement = await session.get(Settlement, statement.settlement_id)
    assert settlement is not None  # FK
    stmt = statement_lines_query(statement, settlement)
    return await _page(session, stmt, LedgerEntry.id, after_id, limit)


async def list_payouts(
    session: AsyncSession,
    *,
    leader_id: int | None,
    status: PayoutStatus | None,
    after_id: int | None,
    limit: int,
    batch_id: int | None = None,
    grid_id: int | None = None,
) -> Sequence[Payout]:
    """Payouts in id order: a leader's, a grid's, a batch's, or everyone's."""
    stmt = select(Payout)
    if leader_id is not None:
        stmt = stmt.where(Payout.leader_id == leader_id)
    if grid_id is not None:
        stmt = stmt.where(Payout.grid_id == grid_id)
    if batch_id is not None:
        stmt = stmt.where(Payout.batch_id == batch_id)
    if status is not None:
        stmt = stmt.where(Payout.status == status)
    return await _page(session, stmt, Payout.id, after_id, limit)


async def list_batches(
    session: AsyncSession, *, after_id: int | None, limit: int
) -> Sequence[PayoutBatch]:
    return await _page(session, select(PayoutBatch), PayoutBatch.id, after_id, limit)


async def list_settlements(
    session: AsyncSession, *, after_id: int | None, limit: int
) -> Sequence[Settlement]:
    return await _page(session, select(Settlement), Settlement.id, after_id, limit)


async def category_rates(session: AsyncSession) -> Sequence[CategoryRate]:
    return list(
        (await session.execute(select(CategoryRate).order_by(CategoryRate.category))).scalars()
    )


async def product_rates(session: AsyncSession) -> Sequence[ProductRate]:
    return list(
        (await session.execute(select(ProductRate).order_by(ProductRate.product_id))).scalars()
    )


async def levels(session: AsyncSession) -> Sequence[LeaderLevel]:
    return list(
        (
            await session.execute(select(LeaderLevel).order_by(LeaderLevel.min_monthly_sales_fen))
        ).scalars()
    )


async def list_grid_entries(
    session: AsyncSession, *, grid_id: int, after_id: int | None, limit: int
) -> Sequence[GridFeeEntry]:
    """A grid's book (its fees per piece), a page in id order."""
    stmt = select(GridFeeEntry).where(GridFeeEntry.grid_id == grid_id)
    return await _page(session, stmt, GridFeeEntry.id, after_id, limit)


async def list_grid_statements(
    session: AsyncSession, *, grid_id: int, after_id: int | None, limit: int
) -> Sequence[GridFeeStatement]:
    """A grid's statements, oldest first."""
    stmt = select(GridFeeStatement).where(GridFeeStatement.grid_id == grid_id)
    return await _page(session, stmt, GridFeeStatement.id, after_id, limit)
