"""Writing the commission ledger: lock the leaders' account rows, then append
entries whose balances before and after follow from the locked balances.

Every writer of a leader's ledger goes through here, so the account row's
lock (SELECT … FOR UPDATE on PostgreSQL; on SQLite every unit of work is
BEGIN IMMEDIATE and writers queue anyway) serialises them: two payouts, or
a payout and a reversal, never both read the same balance. Rows are locked
in leader-id order so that two writers never wait for each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utcnow
from kernel.db import insert_ignoring_conflicts
from leaders.commission.books import LEADERS, Book
from leaders.commission.models import EntryKind, LedgerAccount

_AVAILABLE_KINDS = {
    EntryKind.PAYOUT,
    EntryKind.FEE,
    EntryKind.PAYOUT_RETURN,
    EntryKind.FEE_RETURN,
}


def account_of(kind: EntryKind) -> LedgerAccount:
    """Which balance an entry of ``kind`` moves (settlement moves both, in SQL)."""
    return LedgerAccount.AVAILABLE if kind in _AVAILABLE_KINDS else LedgerAccount.PENDING


async def lock_accounts(
    session: AsyncSession, payee_ids: Iterable[int], now: datetime, book: Book = LEADERS
) -> dict[int, Any]:
    """The payees' account rows in ``book`` (leaders' by default), created
    if missing and locked until the transaction ends."""
    ids = sorted(set(payee_ids))
    if not ids:
        return {}
    account = book.account
    await session.execute(
        insert_ignoring_conflicts(session, account, [book.payee]),
        [{book.payee: i, "pending_fen": 0, "available_fen": 0, "updated_at": now} for i in ids],
    )
    rows = (
        await session.execute(
            select(account)
            .where(book.payee_of(account).in_(ids))
            .order_by(book.payee_of(account))
            .with_for_update()
            # The identity map may hold an older copy; the locked row wins.
            .execution_options(populate_existing=True)
        )
    ).scalars()
    return {getattr(row, book.payee): row for row in rows}


class LedgerWriter:
    """Entries for payees of ``book`` (leaders' by default) whose accounts
    this transaction holds locked, written in one statement by ``flush``."""

    def __init__(
        self,
        session: AsyncSession,
        accounts: dict[int, Any],
        now: datetime,
        book: Book = LEADERS,
    ) -> None:
        self.session = session
        self.accounts = accounts
        self.now = now
        self.book = book
        # Entries are stamped with the wall clock (settlement scans from a
        # floor of it), whatever business time ``now`` says.
        self.written_at = utcnow()
        self._rows: list[dict[str, Any]] = []

    def add(
        self,
        payee_id: int,
        kind: EntryKind,
        amount_fen: int,
        *,
        basis_at: datetime | None = None,
        occurred_at: datetime | None = None,
        **refs: Any,
    ) -> None:
        """Queue one entry and move the locked balance it belongs to."""
        unknown = set(refs) - set(self.book.refs)
        if unknown:
            raise TypeError(f"unknown ledger references {sorted(unknown)}")
        account = self.accounts[payee_id]
        which = account_of(kind)
        before = account.pending_fen if which is LedgerAccount.PENDING else account.available_fen
        after = before + amount_fen
        if which is LedgerAccount.PENDING:
            account.pending_fen = after
        else:
            account.available_fen = after
        account.updated_at = self.now
        self._rows.append(
            {
                self.book.payee: payee_id,
                "kind": kind,
                "account": which,
                "amount_fen": amount_fen,
                "balance_before_fen": before,
                "balance_after_fen": after,
                "basis_at": basis_at or self.now,
                "occurred_at": occurred_at or self.now,
                "created_at": self.written_at,
                **dict.fromkeys(self.book.refs),
                **refs,
            }
        )

    async def flush(self) -> int:
        """Write the queued entries (in the order they were added) and the
        balances; returns how many entries were written."""
        rows, self._rows = self._rows, []
        if rows:
            await self.session.execute(insert(self.book.entry), rows)
        await self.session.flush()
        return len(rows)
