"""Cutoff (截单): the campaign freezes, unpaid orders expire, and items that
missed their group threshold (未成团) are cancelled with every paid line
refunded. Set-based; running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderLineShortfall,
    OrderStatus,
    Refund,
    RefundReason,
    ShortfallReason,
)
from fulfilment.orders.refunded import mark_refunded
from fulfilment.orders.reservations import release
from kernel.db import execute_counting
from kernel.errors import DomainError, NotFound

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
    session: AsyncSession, campaign_id: int, now: datetime, *, early: bool = False
) -> CutoffSummary:
    """Freeze a campaign whose cutoff time has come (``early``: an operator
    closes it now). Idempotent: a processed campaign is left as it is."""
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
        refunded_lines, refunded_fen = await _refund_whole_lines(session, cancelled, now)
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


async def _refund_whole_lines(
    session: AsyncSession, item_ids: list[int], now: datetime
) -> tuple[int, int]:
    """A refund per paid line of the items (quantity × unit price, exactly the
    line amount), and a shortfall row pointing at each refund."""
    lines = (
        select(
            OrderLine.order_id,
            OrderLine.id,
            OrderLine.quantity,
            OrderLine.amount_fen,
            literal(RefundReason.GROUP_THRESHOLD_MISSED.value),
            literal(now, type_=Refund.created_at.type),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.campaign_item_id.in_(item_ids), Order.status == OrderStatus.PAID)
    )
    inserted = await execute_counting(
        session,
        insert(Refund).from_select(
            ["order_id", "order_line_id", "quantity", "amount_fen", "reason", "created_at"], lines
        ),
    )
    refunds = (
        select(
            Refund.order_line_id,
            Refund.quantity,
            literal(ShortfallReason.GROUP_THRESHOLD.value),
            Refund.id,
            literal(now, type_=OrderLineShortfall.created_at.type),
        )
        .join(OrderLine, OrderLine.id == Refund.order_line_id)
        .where(
            OrderLine.campaign_item_id.in_(item_ids),
            Refund.reason == RefundReason.GROUP_THRESHOLD_MISSED,
        )
    )
    await session.execute(
        insert(OrderLineShortfall).from_select(
            ["order_line_id", "quantity", "reason", "refund_id", "created_at"], refunds
        )
    )
    # Orders with nothing but cancelled items read REFUNDED (refunded.py).
    await mark_refunded(
        session, select(OrderLine.order_id).where(OrderLine.campaign_item_id.in_(item_ids))
    )
    total = (
        await session.execute(
            select(func.coalesce(func.sum(Refund.amount_fen), 0))
            .join(OrderLine, OrderLine.id == Refund.order_line_id)
            .where(
                OrderLine.campaign_item_id.in_(item_ids),
                Refund.reason == RefundReason.GROUP_THRESHOLD_MISSED,
            )
        )
    ).scalar_one()
    return inserted, int(total)
