"""The ledger's two books: leaders' commission and grid warehouses' fees
per piece. Both are written by ``leaders.commission.ledger`` and settled
together by ``leaders.commission.settlement``, by one rule; a book names the
tables and the payee column that rule runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leaders.commission.grid_fee_models import GridFeeAccount, GridFeeEntry, GridFeeStatement
from leaders.commission.models import CommissionAccount, LedgerEntry, Statement


@dataclass(frozen=True)
class Book:
    """One payee kind's account, entry and statement tables."""

    entry: Any
    account: Any
    statement: Any
    # The payee's column, the same name in all three tables.
    payee: str
    # Every entry names all of these (None where they do not apply), so one
    # executemany INSERT writes a mixed batch.
    refs: tuple[str, ...]

    def payee_of(self, table: Any) -> Any:
        """The payee column of ``table`` (one of the book's, or an alias)."""
        return getattr(table, self.payee)


LEADERS = Book(
    entry=LedgerEntry,
    account=CommissionAccount,
    statement=Statement,
    payee="leader_id",
    refs=(
        "base_fen",
        "rate_bps",
        "order_line_id",
        "refund_id",
        "recruit_id",
        "reverses_id",
        "statement_id",
        "payout_id",
        "cash_payment_id",
    ),
)


GRIDS = Book(
    entry=GridFeeEntry,
    account=GridFeeAccount,
    statement=GridFeeStatement,
    payee="grid_id",
    refs=(
        "pieces",
        "piece_fee_fen",
        "receipt_id",
        "refund_id",
        "pickup_point_id",
        "reverses_id",
        "statement_id",
        "payout_id",
    ),
)


# A statement's figures, in the order statements and their registers list them.
STATEMENT_FIGURES = (
    "opening_fen",
    "accrued_fen",
    "reversed_fen",
    "cash_held_fen",
    "total_fen",
    "closing_fen",
    "line_count",
)
