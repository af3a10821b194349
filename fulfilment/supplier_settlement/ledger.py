"""Writing a statement's lines and their ledger entries together.

Every line is booked by one ledger entry of the same kind and amount that
names its source (the purchase-order line, chargeback, delivery fault or
carried-forward entry); the ledger's unique indexes refuse a second booking
of a source, so nothing is ever settled twice. Entries are only inserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.supplier_settlement.models import (
    EntryKind,
    LineKind,
    LineState,
    SupplierLedgerEntry,
    SupplierStatement,
    SupplierStatementLine,
)


@dataclass(frozen=True)
class Draft:
    """A line to write, with the source its entry books."""

    kind: LineKind
    amount_fen: int
    detail: str = ""
    purchase_order_id: int | None = None
    product_id: int | None = None
    units: int | None = None
    unit_cost_fen: int | None = None
    purchase_order_line_id: int | None = None
    chargeback_id: int | None = None
    delivery_fault_id: int | None = None
    reverses_id: int | None = None


async def write_lines(
    session: AsyncSession,
    statement: SupplierStatement,
    drafts: list[Draft],
    *,
    by_id: int | None,
    now: datetime,
    state: LineState = LineState.OPEN,
) -> list[SupplierStatementLine]:
    """Write ``drafts`` as lines of ``statement`` and book each in the ledger."""
    lines = [
        SupplierStatementLine(
            statement_id=statement.id,
            kind=d.kind,
            amount_fen=d.amount_fen,
            state=state,
            purchase_order_id=d.purchase_order_id,
            product_id=d.product_id,
            units=d.units,
            unit_cost_fen=d.unit_cost_fen,
            detail=d.detail,
            adjustment_fen=0,
            confirmed_at=now if state is LineState.CONFIRMED else None,
        )
        for d in drafts
    ]
    session.add_all(lines)
    await session.flush()
    await session.execute(
        insert(SupplierLedgerEntry),
        [
            _entry(statement, EntryKind(d.kind.value), d.amount_fen, by_id, now, line.id, d)
            for d, line in zip(drafts, lines, strict=True)
        ],
    )
    return lines


def _entry(
    statement: SupplierStatement,
    kind: EntryKind,
    amount_fen: int,
    by_id: int | None,
    now: datetime,
    line_id: int | None,
    draft: Draft | None = None,
) -> dict[str, Any]:
    return {
        "supplier_id": statement.supplier_id,
        "kind": kind,
        "amount_fen": amount_fen,
        "statement_id": statement.id,
        "statement_line_id": line_id,
        "purchase_order_line_id": draft.purchase_order_line_id if draft else None,
        "chargeback_id": draft.chargeback_id if draft else None,
        "delivery_fault_id": draft.delivery_fault_id if draft else None,
        "reverses_id": draft.reverses_id if draft else None,
        "created_by_id": by_id,
        "created_at": now,
    }


async def book(
    session: AsyncSession,
    statement: SupplierStatement,
    kind: EntryKind,
    amount_fen: int,
    *,
    by_id: int | None,
    now: datetime,
    line_id: int | None = None,
) -> None:
    """One entry that no line stands for: an adjustment or a payment."""
    await session.execute(
        insert(SupplierLedgerEntry), [_entry(statement, kind, amount_fen, by_id, now, line_id)]
    )
