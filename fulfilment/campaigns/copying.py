"""Tomorrow's campaign made from today's, and every campaign open at a
pickup point: the two things rolling campaigns (several open at once per
warehouse, each for its own delivery date) need of the campaigns room."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.campaigns import CampaignDraft, ItemDraft, create_campaign
from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.campaigns.service_areas import warehouse_of
from kernel.accounts import User
from kernel.errors import NotFound


def _moved(moment: datetime | None, shift: timedelta) -> datetime | None:
    return None if moment is None else moment + shift


async def copy_campaign(
    session: AsyncSession,
    campaign_id: int,
    delivery_date: date,
    *,
    created_by: User,
    zone: ZoneInfo,
    now: datetime,
) -> Campaign:
    """A new campaign for ``delivery_date`` made from another: the same
    warehouse and pickup window, its sale window moved by the days between
    the two delivery dates, its items with their prices, limits and own sale
    windows (moved the same; none of them sold, none cancelled). The new
    campaign is checked as any other: a cutoff already past, or a campaign
    the warehouse has already for that date and cutoff, is refused."""
    source = await session.get(Campaign, campaign_id)
    if source is None:
        raise NotFound("Campaign", ["campaignId"])
    shift = timedelta(days=(delivery_date - source.delivery_date).days)
    draft = CampaignDraft(
        warehouse_id=source.warehouse_id,
        delivery_date=delivery_date,
        opens_at=source.opens_at + shift,
        cutoff_at=source.cutoff_at + shift,
        pickup_start=source.pickup_start,
        pickup_end=source.pickup_end,
    )
    items = await session.scalars(
        select(CampaignItem).where(CampaignItem.campaign_id == source.id).order_by(CampaignItem.id)
    )
    drafts = [
        ItemDraft(
            product_id=i.product_id,
            group_price_fen=i.group_price_fen,
            list_price_fen=i.list_price_fen,
            cap=i.cap,
            per_customer_limit=i.per_customer_limit,
            group_threshold=i.group_threshold,
            sale_starts_at=_moved(i.sale_starts_at, shift),
            sale_ends_at=_moved(i.sale_ends_at, shift),
        )
        for i in items
    ]
    return await create_campaign(session, draft, drafts, created_by=created_by, zone=zone, now=now)


async def open_campaigns_for(
    session: AsyncSession, pickup_point_id: int, now: datetime
) -> Sequence[Campaign]:
    """Every campaign taking orders now at the warehouse serving the pickup
    point, earliest delivery date first (次日达 before a weekend's presale)."""
    warehouse_id = await warehouse_of(session, pickup_point_id)
    if warehouse_id is None:
        return []
    rows = await session.scalars(
        select(Campaign)
        .where(
            Campaign.warehouse_id == warehouse_id,
            Campaign.opens_at <= now,
            Campaign.cutoff_at > now,
            Campaign.cutoff_processed_at.is_(None),
        )
        .order_by(Campaign.delivery_date, Campaign.id)
    )
    return rows.all()
