"""Commission (佣金): booked when a line is picked up, reversed when it is
refunded. Fulfilment calls ``accrue`` and ``reverse``; nothing else here
knows about orders.

Rates are basis points (1 bp = 0.01 %): the product's own rate if it has one,
else its category's, else ``commission_default_rate_bps``; the leader's level
adds its bonus. A recruiter earns ``recruit_share_bps`` of the recruit's net
sales on lines picked up within ``recruit_share_days`` of the recruit's first
approval — one level only: the recruiter's own recruiter earns nothing from it.

Rounding rule: per line, ``commission = net_fen × bps / 10000`` rounded half
to even to an integer fen (``kernel.money.div_half_even``). A reversal is the
difference between what the line's cumulative refunds should have reversed
after this refund and what earlier reversals did, each rounded the same way;
a line refunded in full therefore reverses exactly what it accrued, however
many partial refunds it takes. Statements sum these integer entries, so a
statement's total is the exact sum of its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import as_utc, utcnow
from kernel.money import div_half_even
from kernel.settings import Settings, get_settings
from leaders.commission.ledger import LedgerWriter, lock_accounts
from leaders.commission.models import (
    CategoryRate,
    CommissionAccount,
    EntryKind,
    LeaderLevel,
    LedgerEntry,
    ProductRate,
)
from leaders.points.models import Leader

BPS = 10_000


@dataclass(frozen=True)
class PickedUpLine:
    order_line_id: int
    leader_id: int  # the leader of the order's pickup point
    product_id: int
    category: str  # Product.category
    net_fen: int  # paid for the line minus everything refunded on it so far
    picked_up_at: datetime  # UTC


def commission_fen(net_fen: int, bps: int) -> int:
    """The commission of ``bps`` on ``net_fen``, by the rounding rule above."""
    return div_half_even(net_fen * bps, BPS)


@dataclass(frozen=True)
class _Recruiter:
    leader_id: int
    until: datetime  # lines picked up before this earn the recruiter a share


async def _recruiters(
    session: AsyncSession, leader_ids: set[int], settings: Settings
) -> dict[int, _Recruiter]:
    """Each recruit's recruiter, while the share lasts."""
    if settings.recruit_share_bps == 0 or settings.recruit_share_days == 0:
        return {}
    rows = await session.execute(
        select(Leader.id, Leader.recruited_by_id, Leader.approved_at).where(
            Leader.id.in_(leader_ids), Leader.recruited_by_id.is_not(None)
        )
    )
    days = timedelta(days=settings.recruit_share_days)
    return {
        leader_id: _Recruiter(recruiter_id, approved_at + days)
        for leader_id, recruiter_id, approved_at in rows
        if recruiter_id is not None and approved_at is not None
    }


async def _rates(
    session: AsyncSession, lines: Sequence[PickedUpLine], accounts: dict[int, CommissionAccount]
) -> tuple[dict[int, int], dict[str, int], dict[int, int]]:
    """Product rates, category rates and each leader's level bonus (bps)."""
    products = dict(
        (
            await session.execute(
                select(ProductRate.product_id, ProductRate.rate_bps).where(
                    ProductRate.product_id.in_({line.product_id for line in lines})
                )
            )
        ).all()
    )
    categories = dict(
        (
            await session.execute(
                select(CategoryRate.category, CategoryRate.rate_bps).where(
                    CategoryRate.category.in_({line.category for line in lines})
                )
            )
        ).all()
    )
    level_ids = {a.level_id for a in accounts.values() if a.level_id is not None}
    # Most leaders have no level: no statement (a round trip) to learn nothing.
    bonus_of_level = (
        dict(
            (
                await session.execute(
                    select(LeaderLevel.id, LeaderLevel.bonus_bps).where(
                        LeaderLevel.id.in_(level_ids)
                    )
                )
            ).all()
        )
        if level_ids
        else {}
    )
    bonuses = {
        leader_id: bonus_of_level.get(account.level_id, 0) if account.level_id else 0
        for leader_id, account in accounts.items()
    }
    return products, categories, bonuses


async def accrue(
    session: AsyncSession, lines: Sequence[PickedUpLine], *, settings: Settings | None = None
) -> int:
    """Book the commission of picked-up lines (and the recruiter's share); a
    line already accrued is skipped (idempotent per order_line_id). Returns
    the number of lines newly accrued."""
    if not lines:
        return 0
    settings = settings or get_settings()
    now = utcnow()
    recruiters = await _recruiters(session, {line.leader_id for line in lines}, settings)
    accounts = await lock_accounts(
        session,
        [line.leader_id for line in lines] + [r.leader_id for r in recruiters.values()],
        now,
    )
    # Read under the locks: a concurrent accrual of the same line (same
    # leader, so the same lock) has committed by now and is seen here.
    done = set(
        (
            await session.execute(
                select(LedgerEntry.order_line_id).where(
                    LedgerEntry.order_line_id.in_({line.order_line_id for line in lines}),
                    LedgerEntry.kind == EntryKind.ACCRUAL,
                )
            )
        ).scalars()
    )
    products, categories, bonuses = await _rates(session, lines, accounts)
    ledger = LedgerWriter(session, accounts, now)
    accrued = 0
    for line in lines:
        if line.order_line_id in done:
            continue
        done.add(line.order_line_id)
        accrued += 1
        if line.net_fen < 0:
            raise ValueError(f"order line {line.order_line_id} has a negative net amount")
        picked_up_at = min(as_utc(line.picked_up_at), now)
        rate = products.get(
            line.product_id, categories.get(line.category, settings.commission_default_rate_bps)
        )
        bps = min(rate + bonuses[line.leader_id], BPS)
        refs = {"order_line_id": line.order_line_id, "base_fen": line.net_fen}
        ledger.add(
            line.leader_id,
            EntryKind.ACCRUAL,
            commission_fen(line.net_fen, bps),
            basis_at=picked_up_at,
            occurred_at=picked_up_at,
            rate_bps=bps,
            **refs,
        )
        recruiter = recruiters.get(line.leader_id)
        if recruiter is not None and picked_up_at < recruiter.until:
            ledger.add(
                recruiter.leader_id,
                EntryKind.RECRUIT_ACCRUAL,
                commission_fen(line.net_fen, settings.recruit_share_bps),
                basis_at=picked_up_at,
                occurred_at=picked_up_at,
                rate_bps=settings.recruit_share_bps,
                recruit_id=line.leader_id,
                **refs,
            )
    await ledger.flush()
    return accrued


_REVERSAL_OF = {
    EntryKind.ACCRUAL: EntryKind.REVERSAL,
    EntryKind.RECRUIT_ACCRUAL: EntryKind.RECRUIT_REVERSAL,
}


async def reverse(
    session: AsyncSession,
    *,
    order_line_id: int,
    refund_id: int,
    refund_fen: int,
    line_net_fen_before: int,
    now: datetime,
) -> int:
    """A refund of refund_fen on an accrued line (whose net was
    line_net_fen_before just before this refund): book the exact reversal of
    that share of the commission (and of the recruiter's share), so that a
    line refunded in full reverses exactly what it accrued, to the fen,
    however many partial refunds it takes. No-op (returns 0) for a line never
    accrued. Idempotent per refund_id. Returns the fen reversed from the
    leader."""
    accruals = await _accruals_of_line(session, order_line_id)
    if not accruals:
        return 0
    stamp = utcnow()
    accounts = await lock_accounts(session, [a.leader_id for a in accruals], stamp)
    # Under the locks: an earlier attempt of this refund, and the reversals
    # so far (refunds of one line queue on the same locks).
    already = await session.scalar(
        select(func.count()).where(
            LedgerEntry.refund_id == refund_id,
            LedgerEntry.kind.in_(list(_REVERSAL_OF.values())),
        )
    )
    if already:
        return 0
    earlier = await _reversed_so_far(session, accruals)
    ledger = LedgerWriter(session, accounts, stamp)
    reversed_from_leader = 0
    for accrual in accruals:
        base = accrual.base_fen or 0
        net_after = line_net_fen_before - refund_fen
        refunded_before = min(max(base - line_net_fen_before, 0), base)
        refunded_after = min(max(base - net_after, 0), base)
        # What the line's refunds so far should have reversed in all, rounded
        # once over the cumulative refund: the last refund lands on the accrual.
        target = div_half_even(accrual.amount_fen * refunded_after, base) if base else 0
        so_far = -int(earlier.get(accrual.id, 0))
        amount = -max(target - so_far, 0)
        ledger.add(
            accrual.leader_id,
            _REVERSAL_OF[accrual.kind],
            amount,
            basis_at=accrual.basis_at,
            # Never after the entry is written: settlement relies on it.
            occurred_at=min(as_utc(now), stamp),
            base_fen=-(refunded_after - refunded_before),
            rate_bps=accrual.rate_bps,
            order_line_id=order_line_id,
            refund_id=refund_id,
            recruit_id=accrual.recruit_id,
            reverses_id=accrual.id,
        )
        if accrual.kind is EntryKind.ACCRUAL:
            reversed_from_leader = -amount
    await ledger.flush()
    return reversed_from_leader


async def _accruals_of_line(session: AsyncSession, order_line_id: int) -> list[LedgerEntry]:
    """The line's accruals (the leader's and the recruiter's), in id order."""
    return list(
        (
            await session.execute(
                select(LedgerEntry)
                .where(
                    LedgerEntry.order_line_id == order_line_id,
                    LedgerEntry.kind.in_(list(_REVERSAL_OF)),
                )
                .order_by(LedgerEntry.id)
            )
        ).scalars()
    )


async def _reversed_so_far(
    session: AsyncSession, accruals: Sequence[LedgerEntry]
) -> dict[int | None, Any]:
    """The sum (fen, negative) of the reversals booked so far against each
    accrual, by the accrual's id; an accrual never reversed is absent."""
    return dict(
        (
            await session.execute(
                select(
                    LedgerEntry.reverses_id,
                    func.coalesce(func.sum(LedgerEntry.amount_fen), 0),
                )
                .where(LedgerEntry.reverses_id.in_([a.id for a in accruals]))
                .group_by(LedgerEntry.reverses_id)
            )
        ).all()
    )
