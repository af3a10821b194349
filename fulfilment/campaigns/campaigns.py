"""Campaigns: a warehouse's presale for one delivery date, and its items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign, CampaignItem, Product, Warehouse
from kernel.accounts import User
from kernel.clock import as_utc
from kernel.db import keyset_page
from kernel.errors import CommonErrorCode, DomainError, NotFound


class CampaignStatus(Enum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # called off before its cutoff, everything refunded


class SaleWindow(Protocol):
    opens_at: datetime
    cutoff_at: datetime
    cancelled_at: datetime | None


def campaign_status(campaign: SaleWindow, now: datetime) -> CampaignStatus:
    """Derived from the clock, so no job has to flip it at the right second."""
    if campaign.cancelled_at is not None:
        return CampaignStatus.CANCELLED
    if now < campaign.opens_at:
        return CampaignStatus.SCHEDULED
    if now < campaign.cutoff_at:
        return CampaignStatus.OPEN
    return CampaignStatus.CLOSED


class ItemStatus(Enum):
    SCHEDULED = "scheduled"
    ON_SALE = "on_sale"
    SOLD_OUT = "sold_out"
    CLOSED = "closed"
    CANCELLED_BELOW_THRESHOLD = "cancelled_below_threshold"
    WITHDRAWN = "withdrawn"  # taken off the sale by an operator


class ItemFacts(Protocol):
    cap: int | None
    reserved: int
    cancelled_at: datetime | None
    withdrawn_at: datetime | None
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None


def item_status(item: ItemFacts, campaign: SaleWindow, now: datetime) -> ItemStatus:
    """Where a campaign item stands, from its campaign's clock, its own sale
    window, its cap and the cutoff's verdict; a withdrawal or a cancellation
    outranks everything, and outside either window the sale is not on
    whatever the cap says."""
    if item.withdrawn_at is not None:
        return ItemStatus.WITHDRAWN
    if item.cancelled_at is not None:
        return ItemStatus.CANCELLED_BELOW_THRESHOLD
    sale = campaign_status(campaign, now)
    if sale in (CampaignStatus.CLOSED, CampaignStatus.CANCELLED) or (
        item.sale_ends_at is not None and now >= item.sale_ends_at
    ):
        return ItemStatus.CLOSED
    if sale is CampaignStatus.SCHEDULED or (
        item.sale_starts_at is not None and now < item.sale_starts_at
    ):
        return ItemStatus.SCHEDULED
    if item.cap is not None and item.reserved >= item.cap:
        return ItemStatus.SOLD_OUT
    return ItemStatus.ON_SALE


@dataclass(frozen=True)
class ItemDraft:
    product_id: int
    group_price_fen: int
    list_price_fen: int
    cap: int | None = None
    per_customer_limit: int | None = None
    group_threshold: int | None = None
    # The item's own sale window; None: the campaign's opening, its cutoff.
    sale_starts_at: datetime | None = None
    sale_ends_at: datetime | None = None


@dataclass(frozen=True)
class CampaignDraft:
    warehouse_id: int
    delivery_date: date
    opens_at: datetime
    cutoff_at: datetime
    pickup_start: time
    pickup_end: time


def check_item(item: ItemDraft, field: list[str]) -> None:
    """Refuse an item whose prices or limits make no sense."""
    if item.group_price_fen <= 0 or item.list_price_fen < item.group_price_fen:
        raise DomainError(
            CampaignErrorCode.INVALID_PRICE,
            "The group price must be positive and no higher than the list price.",
            field,
        )
    for name, value in (
        ("cap", item.cap),
        ("perCustomerLimit", item.per_customer_limit),
        ("groupThreshold", item.group_threshold),
    ):
        if value is not None and value <= 0:
            raise DomainError(
                CommonErrorCode.INVALID,
                "Must be a positive number, or left out.",
                [*field, name],
            )


def check_sale_window(
    window: tuple[datetime | None, datetime | None],
    opens_at: datetime,
    cutoff_at: datetime,
    field: list[str],
) -> None:
    """Refuse an item's sale ``window`` (start, end; None for the campaign's
    own) that does not lie inside its campaign's, from ``opens_at`` to
    ``cutoff_at``, or ends before it starts: the cutoff buys the day, so
    nothing may sell after it."""
    starts = window[0] or opens_at
    ends = window[1] or cutoff_at
    for name, moment in (("saleStartsAt", starts), ("saleEndsAt", ends)):
        if not opens_at <= moment <= cutoff_at:
            raise DomainError(
                CampaignErrorCode.SALE_WINDOW_OUTSIDE_CAMPAIGN,
                "An item's sale window must lie inside its campaign's, "
                "from the opening to the cutoff.",
                [*field, name],
            )
    if starts >= ends:
        raise DomainError(
            CampaignErrorCode.SALE_WINDOW_OUTSIDE_CAMPAIGN,
            "An item's sale window must start before it ends.",
            [*field, "saleEndsAt"],
        )


def check_times(draft: CampaignDraft, zone: ZoneInfo, now: datetime) -> None:
    """A campaign's times in order: it opens, then cuts off, in the future and
    no later than its delivery date starts; its pickup window starts first."""
    delivery_starts = datetime.combine(draft.delivery_date, time(0), zone)
    if not draft.opens_at < draft.cutoff_at <= delivery_starts:
        raise DomainError(
            CampaignErrorCode.INVALID_TIMES,
            "A campaign opens, then cuts off no later than the start of its delivery date.",
            ["cutoffAt"],
        )
    if draft.cutoff_at <= now:
        raise DomainError(
            CampaignErrorCode.INVALID_TIMES, "The cutoff is already past.", ["cutoffAt"]
        )
    if draft.pickup_start >= draft.pickup_end:
        raise DomainError(
            CampaignErrorCode.INVALID_TIMES,
            "The pickup window must start before it ends.",
            ["pickupWindow"],
        )


async def check_unique(session: AsyncSession, draft: CampaignDraft, field: str) -> None:
    """Refuse a second campaign of the warehouse with the same delivery date
    and cutoff (several for one date need several cutoffs)."""
    clash = await session.execute(
        select(Campaign.id).where(
            Campaign.warehouse_id == draft.warehouse_id,
            Campaign.delivery_date == draft.delivery_date,
            Campaign.cutoff_at == draft.cutoff_at,
        )
    )
    if clash.first() is not None:
        raise DomainError(
            CampaignErrorCode.CAMPAIGN_EXISTS,
            "This warehouse has a campaign for that delivery date and cutoff already.",
            [field],
        )


async def _add_items(
    session: AsyncSession, campaign: Campaign, items: Sequence[ItemDraft], field: str
) -> list[CampaignItem]:
    taken = set(
        (
            await session.execute(
                select(CampaignItem.product_id).where(CampaignItem.campaign_id == campaign.id)
            )
        ).scalars()
    )
    product_ids = {i.product_id for i in items}
    known = set(
        (await session.execute(select(Product.id).where(Product.id.in_(product_ids)))).scalars()
    )
    added = []
    for index, item in enumerate(items):
        path = [field, str(index)]
        if item.product_id not in known:
            raise NotFound("Product", [*path, "productId"])
        if item.product_id in taken:
            raise DomainError(
                CampaignErrorCode.DUPLICATE_ITEM,
                "This product is in the campaign already.",
                [*path, "productId"],
            )
        check_item(item, path)
        check_sale_window(
            (item.sale_starts_at, item.sale_ends_at),
            as_utc(campaign.opens_at),
            as_utc(campaign.cutoff_at),
            path,
        )
        taken.add(item.product_id)
        row = CampaignItem(
            campaign_id=campaign.id,
            product_id=item.product_id,
            group_price_fen=item.group_price_fen,
            list_price_fen=item.list_price_fen,
            cap=item.cap,
            per_customer_limit=item.per_customer_limit,
            group_threshold=item.group_threshold,
            sale_starts_at=item.sale_starts_at,
            sale_ends_at=item.sale_ends_at,
            reserved=0,
        )
        session.add(row)
        added.append(row)
    await session.flush()
    return added


async def create_campaign(
    session: AsyncSession,
    draft: CampaignDraft,
    items: Sequence[ItemDraft],
    *,
    created_by: User,
    zone: ZoneInfo,
    now: datetime,
) -> Campaign:
    """A campaign for one warehouse and delivery date, with its items."""
    if await session.get(Warehouse, draft.warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    check_times(draft, zone, now)
    await check_unique(session, draft, "deliveryDate")
    campaign = Campaign(
        warehouse_id=draft.warehouse_id,
        delivery_date=draft.delivery_date,
        opens_at=draft.opens_at,
        cutoff_at=draft.cutoff_at,
        pickup_start=draft.pickup_start,
        pickup_end=draft.pickup_end,
        created_by_id=created_by.id,
    )
    session.add(campaign)
    await session.flush()
    await _add_items(session, campaign, items, "items")
    return campaign


async def add_campaign_items(
    session: AsyncSession, campaign_id: int, items: Sequence[ItemDraft], *, now: datetime
) -> list[CampaignItem]:
    """Add items to a campaign that has not cut off yet."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campaign", ["campaignId"])
    if campaign_status(campaign, now) in (CampaignStatus.CLOSED, CampaignStatus.CANCELLED):
        raise DomainError(
            CampaignErrorCode.CAMPAIGN_STARTED,
            "The campaign has cut off or was cancelled.",
            ["campaignId"],
        )
    return await _add_items(session, campaign, items, "items")


async def campaign_items(session: AsyncSession, campaign_ids: Sequence[int]) -> list[CampaignItem]:
    rows = await session.execute(
        select(CampaignItem)
        .where(CampaignItem.campaign_id.in_(campaign_ids))
        .order_by(CampaignItem.id)
    )
    return list(rows.scalars())


async def list_campaigns(
    session: AsyncSession, *, warehouse_id: int | None, after_id: int | None, limit: int
) -> Sequence[Campaign]:
    stmt = select(Campaign)
    if warehouse_id is not None:
        stmt = stmt.where(Campaign.warehouse_id == warehouse_id)
    stmt = keyset_page(stmt, Campaign.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()
