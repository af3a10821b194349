"""Which ledger entries a statement settled, as SQL expressions.

The entries are never marked (see ``leaders.commission.settlement``); a
statement's lines are what it admitted less what the leader's previous
statement admitted:

    admitted(s) = the leader's pending entries with id <= s.through_entry_id,
                  basis_at < s.picked_up_before, occurred_at < s.refunded_before
    lines(s)    = admitted(s) − admitted(the leader's previous statement)

Settlement uses these to write statements; ``statement_lines_query`` lists
one statement's lines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from leaders.commission.books import LEADERS, Book
from leaders.commission.models import EntryKind, LedgerAccount, Settlement


def admitted(entry: Any, through_entry_id: Any, picked_up_before: Any, refunded_before: Any) -> Any:
    """The condition on ``entry`` (LedgerEntry or an alias) of being settled
    by a statement with these bounds, or by one before it."""
    return and_(
        entry.id <= through_entry_id,
        entry.basis_at < picked_up_before,
        entry.occurred_at < refunded_before,
    )


def pending(entry: Any) -> Any:
    """The condition on ``entry`` of being one a statement can settle: on
    the pending account, and not a settlement's own entry."""
    return and_(entry.account == LedgerAccount.PENDING, entry.kind != EntryKind.SETTLEMENT)


def previous_statements(before_settlement_id: int, book: Book = LEADERS) -> Any:
    """Each payee's newest statement in ``book`` before the given
    settlement, with its settlement's cut-offs (the payee column is
    ``payee``)."""
    statement = book.statement
    payee = book.payee_of(statement)
    newest = (
        select(payee.label("payee"), func.max(statement.settlement_id).label("settlement_id"))
        .where(statement.settlement_id < before_settlement_id)
        .group_by(payee)
        .subquery()
    )
    return (
        select(
            payee.label("payee"),
            statement.through_entry_id,
            Settlement.picked_up_before,
            Settlement.refunded_before,
        )
        .join(
            newest,
            and_(
                newest.c.payee == payee,
                newest.c.settlement_id == statement.settlement_id,
            ),
        )
        .join(Settlement, Settlement.id == statement.settlement_id)
        .subquery()
    )


def statement_lines_query(statement: Any, settlement: Settlement, book: Book = LEADERS) -> Any:
    """The ledger entries a statement of ``book`` settled (its lines), in id
    order: admitted by it, not by the payee's statement before."""
    entry, statements = book.entry, book.statement
    payee_id = getattr(statement, book.payee)
    previous = (
        select(statements.through_entry_id, Settlement.picked_up_before, Settlement.refunded_before)
        .join(Settlement, Settlement.id == statements.settlement_id)
        .where(
            book.payee_of(statements) == payee_id,
            statements.settlement_id < statement.settlement_id,
        )
        .order_by(statements.settlement_id.desc())
        .limit(1)
        .subquery()
    )
    earlier = (
        select(1)
        .select_from(previous)
        .where(
            admitted(
                entry,
                previous.c.through_entry_id,
                previous.c.picked_up_before,
                previous.c.refunded_before,
            )
        )
        .exists()
    )
    conditions = [
        book.payee_of(entry) == payee_id,
        pending(entry),
        admitted(
            entry,
            statement.through_entry_id,
            settlement.picked_up_before,
            settlement.refunded_before,
        ),
        ~earlier,
    ]
    if settlement.scanned_from is not None:
        conditions.append(entry.created_at >= settlement.scanned_from)
    return select(entry).where(*conditions)
