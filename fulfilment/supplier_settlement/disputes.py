"""The supplier's answer to each line of an issued statement, and the
operator's resolution of a dispute.

    OPEN ──confirm──▶ CONFIRMED
      │                  │
      └────dispute───────┴──▶ DISPUTED ──resolve (adjustment, note)──▶ RESOLVED

Only lines of an ISSUED statement change. A resolution's adjustment (any
sign; 0 keeps the line as it was) is added to the line and to the
statement's total, and booked in the ledger as an entry of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.ledger import book
from fulfilment.supplier_settlement.models import (
    EntryKind,
    LineState,
    StatementState,
    SupplierStatement,
    SupplierStatementLine,
)
from fulfilment.supplier_settlement.statements import locked_statement
from kernel.accounts import User
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.validation import clean_text

MAX_TEXT = 500


# Amounts an adjustment may not pass: far beyond any statement, well inside BIGINT.
MAX_ADJUSTMENT_FEN = 10**12


async def _line(
    session: AsyncSession, line_id: int, supplier_id: int | None
) -> tuple[SupplierStatementLine, SupplierStatement]:
    """The line and its statement (locked, and ISSUED); another supplier's
    line reads as missing."""
    line = await session.get(SupplierStatementLine, line_id, populate_existing=True)
    if line is None:
        raise NotFound("Supplier statement line", ["lineId"])
    try:
        statement = await locked_statement(session, line.statement_id, supplier_id)
    except NotFound as exc:
        raise NotFound("Supplier statement line", ["lineId"]) from exc
    # Read again under the statement's lock: a concurrent answer has committed.
    await session.refresh(line)
    if statement.state is not StatementState.ISSUED:
        raise DomainError(
            Code.STATEMENT_NOT_OPEN,
            "The statement is approved: its lines no longer change.",
            ["lineId"],
        )
    return line, statement


async def confirm_line(
    session: AsyncSession, line_id: int, supplier_id: int, now: datetime
) -> SupplierStatementLine:
    """The supplier agrees with an open line."""
    line, _ = await _line(session, line_id, supplier_id)
    if line.state is not LineState.OPEN:
        raise DomainError(Code.LINE_NOT_OPEN, "This line was already answered.", ["lineId"])
    line.state = LineState.CONFIRMED
    line.confirmed_at = now
    await session.flush()
    return line


async def dispute_line(
    session: AsyncSession, line_id: int, supplier_id: int, reason: str, by: User, now: datetime
) -> SupplierStatementLine:
    """The supplier disputes an open or confirmed line, saying why."""
    why = clean_text(reason, ["reason"], max_len=MAX_TEXT, code=Code.REASON_REQUIRED)
    line, _ = await _line(session, line_id, supplier_id)
    if line.state not in (LineState.OPEN, LineState.CONFIRMED):
        raise DomainError(
            Code.LINE_NOT_OPEN, "This line is disputed or resolved already.", ["lineId"]
        )
    line.state = LineState.DISPUTED
    line.dispute_reason = why
    line.disputed_at = now
    line.disputed_by_id = by.id
    await session.flush()
    return line


async def resolve_dispute(
    session: AsyncSession,
    line_id: int,
    adjustment_fen: int,
    note: str,
    operator: User,
    now: datetime,
) -> SupplierStatementLine:
    """The operator settles a disputed line: ``adjustment_fen`` is added to
    the line (and the statement), with ``note`` saying why."""
    why = clean_text(note, ["note"], max_len=MAX_TEXT, code=Code.REASON_REQUIRED)
    if abs(adjustment_fen) > MAX_ADJUSTMENT_FEN:
        raise DomainError(
            CommonErrorCode.OUT_OF_RANGE, "The adjustment is out of range.", ["adjustmentFen"]
        )
    line, statement = await _line(session, line_id, None)
    if line.state is not LineState.DISPUTED:
        raise DomainError(Code.LINE_NOT_DISPUTED, "This line is not disputed.", ["lineId"])
    line.state = LineState.RESOLVED
    line.adjustment_fen = adjustment_fen
    line.resolution_note = why
    line.resolved_at = now
    line.resolved_by_id = operator.id
    if adjustment_fen:
        await book(
            session,
            statement,
            EntryKind.ADJUSTMENT,
            adjustment_fen,
            by_id=operator.id,
            now=now,
            line_id=line.id,
        )
        statement.adjustment_fen += adjustment_fen
        statement.total_fen += adjustment_fen
    await session.flush()
    return line


async def lines_of(session: AsyncSession, statement_id: int) -> list[SupplierStatementLine]:
    """A statement's lines in order."""
    rows = await session.execute(
        select(SupplierStatementLine)
        .where(SupplierStatementLine.statement_id == statement_id)
        .order_by(SupplierStatementLine.id)
    )
    return list(rows.scalars())
