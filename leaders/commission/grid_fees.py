"""Grid warehouses' fees per piece (网格仓计件费), the ledger's second book
(leaders/commission/books.py).

A grid earns its fee per piece for the units its vans delivered to a point:
one accrual when the point's leader signs (pieces = the units the point
received, those reported missing or damaged left out), at the grid's fee
that moment. Units found missing at the grid's handover after a point
signed were counted in that accrual; each such refund reverses its pieces at
the accrual's fee, never more pieces than the accrual had. Settlement takes
both with the leaders' period (basis: the point's signature), and payouts
take the settled balance through the leaders' payout flow.

Fulfilment calls these (fulfilment/delivery/grid_fees.py); receipts,
refunds, points and grids are plain ids here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.settings import Settings
from leaders.commission.books import GRIDS
from leaders.commission.grid_fee_models import GridFeeEntry
from leaders.commission.ledger import LedgerWriter, lock_accounts
from leaders.commission.models import EntryKind, Payout
from leaders.commission.payouts import take_payout


async def accrue_grid_fee(
    session: AsyncSession,
    grid_id: int,
    *,
    receipt_id: int,
    pickup_point_id: int,
    pieces: int,
    piece_fee_fen: int,
    signed_at: datetime,
    now: datetime,
) -> int:
    """Book the grid's fee for the ``pieces`` a point signed for on
    ``receipt_id`` (once per receipt); returns the fen earned (0, and
    nothing booked, for no piece or a fee of zero)."""
    if pieces <= 0 or piece_fee_fen <= 0:
        return 0
    accounts = await lock_accounts(session, [grid_id], now, GRIDS)
    ledger = LedgerWriter(session, accounts, now, GRIDS)
    ledger.add(
        grid_id,
        EntryKind.ACCRUAL,
        pieces * piece_fee_fen,
        basis_at=signed_at,
        occurred_at=signed_at,
        pieces=pieces,
        piece_fee_fen=piece_fee_fen,
        receipt_id=receipt_id,
        pickup_point_id=pickup_point_id,
    )
    await ledger.flush()
    return pieces * piece_fee_fen


@dataclass(frozen=True)
class LateMissing:
    """Units of a refund booked at the grid's handover for a point whose
    receipt (and so the grid's accrual) came first."""

    refund_id: int
    receipt_id: int
    pieces: int


async def reverse_grid_fees(
    session: AsyncSession, grid_id: int, refunds: Sequence[LateMissing], now: datetime
) -> int:
    """Reverse the grid's fee for units refunded after their point signed:
    one reversal per refund, at the accrual's fee, no more pieces than the
    accrual has left. Returns the fen reversed (a positive number)."""
    receipts = sorted({r.receipt_id for r in refunds})
    if not receipts:
        return 0
    accounts = await lock_accounts(session, [grid_id], now, GRIDS)
    accruals = {
        e.receipt_id: e
        for e in (
            await session.execute(
                select(GridFeeEntry).where(
                    GridFeeEntry.grid_id == grid_id,
                    GridFeeEntry.kind == EntryKind.ACCRUAL,
                    GridFeeEntry.receipt_id.in_(receipts),
                )
            )
        ).scalars()
    }
    left = await _pieces_left(session, list(accruals.values()))
    ledger = LedgerWriter(session, accounts, now, GRIDS)
    total = 0
    for refund in refunds:
        accrual = accruals.get(refund.receipt_id)
        if accrual is None:
            continue  # the point signed for nothing the grid is paid for
        pieces = min(refund.pieces, left[accrual.id])
        if pieces <= 0:
            continue
        left[accrual.id] -= pieces
        assert accrual.piece_fee_fen is not None
        amount = pieces * accrual.piece_fee_fen
        total += amount
        ledger.add(
            grid_id,
            EntryKind.REVERSAL,
            -amount,
            basis_at=accrual.basis_at,
            occurred_at=now,
            pieces=-pieces,
            piece_fee_fen=accrual.piece_fee_fen,
            refund_id=refund.refund_id,
            receipt_id=refund.receipt_id,
            pickup_point_id=accrual.pickup_point_id,
            reverses_id=accrual.id,
        )
    await ledger.flush()
    return total


async def _pieces_left(session: AsyncSession, accruals: Sequence[GridFeeEntry]) -> dict[int, int]:
    """Each accrual's pieces less those its reversals took back already."""
    reversed_ = dict(
        (
            await session.execute(
                select(GridFeeEntry.reverses_id, func.sum(GridFeeEntry.pieces))
                .where(
                    GridFeeEntry.kind == EntryKind.REVERSAL,
                    GridFeeEntry.reverses_id.in_([a.id for a in accruals]),
                )
                .group_by(GridFeeEntry.reverses_id)
            )
        ).all()
    )
    return {a.id: (a.pieces or 0) + int(reversed_.get(a.id) or 0) for a in accruals}


async def request_grid_payout(
    session: AsyncSession,
    grid_id: int,
    operator_user_id: int,
    amount_fen: int,
    idempotency_key: str,
    now: datetime,
    settings: Settings,
) -> Payout:
    """The grid's operator asks for ``amount_fen`` (the fee included) of
    the grid's settled fees; the leaders' payout rules and flow from here
    (minimum, fee, balance, idempotency key, approval, batches, transfer to
    the operator's WeChat)."""
    return await take_payout(
        session,
        GRIDS,
        grid_id,
        amount_fen,
        idempotency_key,
        now,
        settings,
        payee_user_id=operator_user_id,
    )
