"""Cutoff (截单): the campaign freezes, unpaid orders expire, and items that
missed their group threshold (未成团) are cancelled with every paid line
refunded. Set-based; running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.orders.line_refunds import refund_whole_lines
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    RefundReason,
    ShortfallReason,
)
from fulfilment.orders.notices import tell_threshold_missed
from fulfilment.orders.reservations import release
from kernel.errors import DomainError, NotFound
from kernel.notifications import Gateway

# Orders per release() statement: a statement takes at most 32767 bound
# parameters (asyncpg; SQLite 32766).
_RELEASE_BATCH = 30_000


@dataclass(frozen=True)
class CutoffSummary:
    campaign_id: int
    expired_orders: int
    cancelled_items: int
    refunded_lines: int
    refunded_fen: int
    already_done: bool


def check_cutoff_due(campaign: Campaign, now: datetime, *, early: bool) -> None:
    """Refuse cutting off before the cutoff time unless an operator closes it
    ``early``. The API asks at once, the job again when it runs."""
    if campaign.cutoff_processed_at is None and now < campaign.cutoff_at and not early:
        raise DomainError(
            CampaignErrorCode.INVALID_TIMES,
            "The campaign has not reached its cutoff; cut it off early to close it now.",
            ["id"],
        )


async def run_cutoff(
    session: AsyncSession,
    campaign_id: int,
    now: datetime,
    *,
    early: bool = False,
    gateway: Gateway | None = None,
) -> CutoffSummary:
    """Freeze a campaign whose cutoff time has come (``early``: an operator
    closes it now). Idempotent: a processed campaign is left as it is.
    Customers whose lines were cancelled are told, once per order."""
    campaign = (
        await session.execute(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    ).scalar_one_or_none()
    if campaign is None:
        raise NotFound("Campaign", ["id"])
    if campaign.cutoff_processed_at is not None:
        return CutoffSummary(campaign_id, 0, 0, 0, 0, already_done=True)
    check_cutoff_due(campaign, now, early=early)
    if now < campaign.cutoff_at:
        campaign.cutoff_at = now
    expired = await _expire_unpaid(session, campaign_id, now)
    cancelled = await _items_below_threshold(session, campaign_id)
    refunded_lines, refunded_fen = 0, 0
    if cancelled:
        await session.execute(
            update(CampaignItem).where(CampaignItem.id.in_(cancelled)).values(cancelled_at=now)
        )
        refunded_lines, refunded_fen = await refund_whole_lines(
            session,
            cancelled,
            now,
            reason=RefundReason.GROUP_THRESHOLD_MISSED,
            shortfall=ShortfallReason.GROUP_THRESHOLD,
        )
        await tell_threshold_missed(session, cancelled, gateway)
    campaign.cutoff_processed_at = now
    await session.flush()
    return CutoffSummary(
        campaign_id, expired, len(cancelled), refunded_lines, refunded_fen, already_done=False
    )


async def _expire_unpaid(session: AsyncSession, campaign_id: int, now: datetime) -> int:
    # Status first, with RETURNING: a payment racing this statement either
    # wins (the order stays paid and keeps its units) or finds it expired.
    ids = list(
        (
            await session.execute(
                update(Order)
                .where(
                    Order.campaign_id == campaign_id, Order.status == OrderStatus.PENDING_PAYMENT
                )
                .values(status=OrderStatus.EXPIRED, closed_at=now)
                .returning(Order.id)
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    # In slices (see _RELEASE_BATCH): a day's unpaid orders may not bind at once.
    for start in range(0, len(ids), _RELEASE_BATCH):
        await release(session, ids[start : start + _RELEASE_BATCH])
    return len(ids)


async def _items_below_threshold(session: AsyncSession, campaign_id: int) -> list[int]:
    paid_units = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.campaign_item_id == CampaignItem.id, Order.status == OrderStatus.PAID)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(CampaignItem.id).where(
            CampaignItem.campaign_id == campaign_id,
            CampaignItem.group_threshold.is_not(None),
            CampaignItem.cancelled_at.is_(None),
            paid_units < CampaignItem.group_threshold,
        )
    )
    return list(rows.scalars())
