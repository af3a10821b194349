"""The grid operators' book of the ledger: the fee per piece a grid
warehouse (网格仓) earns for the units its vans deliver, kept like the
leaders' commission (leaders/commission/models.py) and settled with it.

Grid warehouses, receipts and refunds belong to fulfilment, a layer above:
this book keeps their ids as plain columns, as the leaders' book keeps
order lines', so the leaders layer does not depend on fulfilment's tables.
Entry kinds and accounts are the leaders' own (accrual, reversal,
settlement, payout, fee and their returns; pending and available).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, UTCDateTime, enum_column
from leaders.commission.models import BookEntry, BookStatement, EntryKind, LedgerAccount

_ACCRUALS = "kind = 'accrual'"


_REVERSALS = "kind = 'reversal'"


_PAYOUTS = "kind IN ('payout', 'fee', 'payout_return', 'fee_return')"


class GridFeeAccount(Base):
    """A grid's two balances, locked by every writer of its book."""

    __tablename__ = "grid_fee_accounts"

    # The grid warehouse (fulfilment's warehouses.id; a plain column).
    grid_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pending_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    available_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GridFeeEntry(BookEntry, Base):
    """One immutable movement of a grid's fees: an accrual per point
    receipt, a reversal per refund of units found missing at the grid after
    the point signed, settlements and payouts."""

    __tablename__ = "grid_fee_entries"
    __table_args__ = (
        CheckConstraint("balance_after_fen = balance_before_fen + amount_fen", name="balance"),
        # A point's receipt earns its grid one accrual; a refund reverses once.
        Index(
            "uq_grid_fee_entries_accrual",
            "receipt_id",
            unique=True,
            postgresql_where=text(_ACCRUALS),
            sqlite_where=text(_ACCRUALS),
        ),
        Index(
            "uq_grid_fee_entries_reversal",
            "refund_id",
            unique=True,
            postgresql_where=text(_REVERSALS),
            sqlite_where=text(_REVERSALS),
        ),
        Index(
            "uq_grid_fee_entries_payout",
            "payout_id",
            "kind",
            unique=True,
            postgresql_where=text(_PAYOUTS),
            sqlite_where=text(_PAYOUTS),
        ),
        Index("ix_grid_fee_entries_grid_id_id", "grid_id", "id"),
        Index("ix_grid_fee_entries_created_at", "created_at"),
    )

    grid_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "grid_fee_entry_kind"))
    account: Mapped[LedgerAccount] = mapped_column(
        enum_column(LedgerAccount, "grid_fee_ledger_account")
    )
    # Pieces and the fee per piece the amount was computed from (pieces
    # negative for reversals).
    pieces: Mapped[int | None] = mapped_column(Integer)
    piece_fee_fen: Mapped[int | None] = mapped_column(Integer)
    # Fulfilment's delivery_receipts row (accruals), its refund (reversals),
    # and the pickup point both concern: plain columns.
    receipt_id: Mapped[int | None] = mapped_column(BigInteger)
    refund_id: Mapped[int | None] = mapped_column(BigInteger)
    pickup_point_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("grid_fee_entries.id"))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("grid_fee_statements.id"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("commission_payouts.id"))
    # basis_at: when the point signed (reversals: the accrual's signature).


class GridFeeStatement(BookStatement, Base):
    """A grid's statement in one settlement of the leaders' period, made by
    the same rule as a leader's (leaders/commission/settlement.py)."""

    __tablename__ = "grid_fee_statements"
    __table_args__ = (
        UniqueConstraint("settlement_id", "grid_id"),
        CheckConstraint("closing_fen = opening_fen + total_fen", name="closing"),
        Index("ix_grid_fee_statements_grid_id_id", "grid_id", "id"),
    )

    grid_id: Mapped[int] = mapped_column(BigInteger)
